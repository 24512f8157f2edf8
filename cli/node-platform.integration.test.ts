// Browser mode's platform with real (stand-in) openers on PATH: an opener that finds no
// application makes "Open" fail in plain words instead of saying it opened.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openWithOs } from './node-platform';

let bin: string;
let savedPath: string | undefined;

beforeEach(async () => {
  bin = await mkdtemp(path.join(tmpdir(), 'sesame-openers-'));
  savedPath = process.env.PATH;
  process.env.PATH = `${bin}:${savedPath}`;
});

afterEach(async () => {
  process.env.PATH = savedPath;
  await rm(bin, { recursive: true, force: true });
});

async function opener(script: string) {
  await writeFile(path.join(bin, 'xdg-open'), `#!/bin/sh\n${script}\n`);
  await chmod(path.join(bin, 'xdg-open'), 0o755);
}

describe('openWithOs (xdg-open)', () => {
  it('resolves when the opener handed the address to an application', async () => {
    await opener(`echo "$1" > ${bin}/opened`);
    await openWithOs('postgresql://127.0.0.1:5432/orders', 'linux');
  });

  it('fails, saying why, when no application takes the address (xdg-open exit 3)', async () => {
    await opener('echo "xdg-open: no method available for opening \'postgresql://x\'" >&2; exit 3');
    await expect(openWithOs('postgresql://127.0.0.1:5432/orders', 'linux')).rejects.toThrow(
      /xdg-open could not open it: no application is registered for this kind of address \(xdg-open: no method available/,
    );
  });

  it('fails when there is no opener at all', async () => {
    process.env.PATH = bin; // an empty folder
    await expect(openWithOs('https://example.com', 'linux')).rejects.toThrow(/xdg-open is not installed/);
  });
});
