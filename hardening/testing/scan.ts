// Looking for canary secrets: in strings, in every file under a directory (recursively), and a
// tally of where each was found. A canary is unique, so any hit is a leak.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

export interface CanaryScan {
  /** Places scanned, by kind (frames, log records, files …). */
  scanned: Record<string, number>;
  /** "where: canary name" for every hit. Must stay empty. */
  hits: string[];
  text(kind: string, where: string, text: string): void;
  dir(kind: string, dir: string, skip?: (file: string) => boolean): Promise<void>;
}

export function createCanaryScan(canaries: Record<string, string>): CanaryScan {
  const scanned: Record<string, number> = {};
  const hits: string[] = [];
  const text = (kind: string, where: string, value: string) => {
    scanned[kind] = (scanned[kind] ?? 0) + 1;
    for (const [name, canary] of Object.entries(canaries)) if (value.includes(canary)) hits.push(`${where}: ${name}`);
  };
  async function dir(kind: string, root: string, skip?: (file: string) => boolean): Promise<void> {
    for (const entry of await readdir(root, { withFileTypes: true }).catch(() => [])) {
      const file = path.join(root, entry.name);
      if (skip?.(file)) continue;
      if (entry.isDirectory()) await dir(kind, file, skip);
      else if (entry.isFile() && (await stat(file)).size < 64 * 2 ** 20)
        text(kind, file, (await readFile(file)).toString('latin1'));
    }
  }
  return { scanned, hits, text, dir };
}
