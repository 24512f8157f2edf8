// Watching the config file for changes, the way editors save: in place (change) or by writing a
// new file and renaming it over the old one (rename). The directory is watched, since a rename
// replaces the file the old watch was on; bursts are debounced; a save that leaves the content
// as it was is ignored.
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export interface ConfigWatcher {
  close(): void;
}

const digest = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file).catch(() => Buffer.alloc(0)))
    .digest('hex');

export async function watchConfigFile(file: string, onChange: () => void, debounceMs = 300): Promise<ConfigWatcher> {
  const dir = path.dirname(path.resolve(file));
  const name = path.basename(file);
  let last = await digest(file);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const check = async () => {
    const now = await digest(file);
    if (closed || now === last) return;
    last = now;
    onChange();
  };
  const watcher: FSWatcher = watch(dir, { persistent: false }, (_event, changed) => {
    if (changed !== null && changed !== name) return;
    clearTimeout(timer);
    timer = setTimeout(() => void check(), debounceMs);
  });
  watcher.on('error', () => {}); // the directory went away: nothing more to watch
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      watcher.close();
    },
  };
}
