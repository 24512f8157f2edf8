import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTrayHint, TRAY_HINT } from './tray-hint';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('createTrayHint', () => {
  it('says once, across restarts, that closing the window keeps Sesame in the tray', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sesame-tray-hint-'));
    const flagFile = path.join(dir, 'tray-hint-shown');
    const said: string[] = [];
    const hint = createTrayHint({ flagFile, notify: (title) => said.push(title) });
    hint();
    hint();
    expect(said).toEqual([TRAY_HINT.title]);
    expect(existsSync(flagFile)).toBe(true);

    const afterRestart = createTrayHint({ flagFile, notify: (title) => said.push(title) });
    afterRestart();
    expect(said).toHaveLength(1);
  });

  it('still says it when the flag cannot be written, and reports why', async () => {
    const said: string[] = [];
    const errors: unknown[] = [];
    const hint = createTrayHint({
      flagFile: '/nonexistent-dir/tray-hint-shown',
      notify: (title) => said.push(title),
      onError: (e) => errors.push(e),
    });
    hint();
    hint();
    expect(said).toEqual([TRAY_HINT.title]);
    expect(String(errors[0])).toMatch(/ENOENT/);
  });
});
