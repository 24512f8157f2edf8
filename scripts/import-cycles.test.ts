import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findImportCycles } from './import-cycles';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('import cycles', () => {
  it('there are none among our modules', () => {
    expect(findImportCycles(path.resolve(import.meta.dirname, '..'))).toEqual([]);
  });

  it('finds a type-only cycle through an index file', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sesame-cycles-'));
    await mkdir(path.join(dir, 'broker', 'x'), { recursive: true });
    await writeFile(path.join(dir, 'broker', 'x', 'index.ts'), "export * from './a';\n");
    await writeFile(path.join(dir, 'broker', 'x', 'a.ts'), "import type { B } from './b';\nexport type A = B;\n");
    await writeFile(
      path.join(dir, 'broker', 'x', 'b.ts'),
      "import type { A } from './index';\nexport type B = A | 1;\n",
    );
    expect(findImportCycles(dir)).toEqual([['broker/x/a.ts', 'broker/x/b.ts', 'broker/x/index.ts']]);
  });
});
