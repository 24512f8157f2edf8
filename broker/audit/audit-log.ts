// The audit file: one JSON line per brokered client session, appended to `<dir>/audit.jsonl`
// (0600, in a 0700 directory checked by broker/private-files), never through a symlink. When
// the next line would take the file past `maxBytes` it is rotated — audit.jsonl → audit.1.jsonl
// → … → audit.<keep>.jsonl, the oldest dropped — so the files never hold more than
// (keep + 1) × maxBytes. A restart appends to the file that is there.
//
// Writes are queued and done one at a time; a write that fails is logged by the caller's
// `onError` and the next one tries again (an audit problem never ends a client's session).
import { constants } from 'node:fs';
import { lstat, open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { ensurePrivateDirectory } from '../private-files';
import type { SessionRecord } from '../supervisor';

export interface AuditLogOptions {
  /** The folder of the audit files, made 0700 when missing. */
  dir: string;
  /** A file is rotated before it would grow past this. Default 5 MiB. */
  maxBytes?: number;
  /** How many rotated files are kept beside the live one. Default 4. */
  keep?: number;
  /** A write that failed (the record is lost; the next write tries again). */
  onError?(error: Error): void;
}

export interface AuditLog {
  /** The live file's path. */
  readonly file: string;
  /** Append one record (queued; never throws). */
  write(record: SessionRecord): void;
  /** Resolves when every queued record is written. */
  flush(): Promise<void>;
  /** Flush and close the file. */
  close(): Promise<void>;
}

export const AUDIT_FILE = 'audit.jsonl';
const rotated = (dir: string, n: number) => path.join(dir, `audit.${n}.jsonl`);

export function createAuditLog(options: AuditLogOptions): AuditLog {
  const dir = options.dir;
  const maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
  const keep = options.keep ?? 4;
  const file = path.join(dir, AUDIT_FILE);
  let handle: FileHandle | undefined;
  let size = 0;
  let queue: Promise<void> = Promise.resolve();

  async function openLive(): Promise<FileHandle> {
    if (handle) return handle;
    await ensurePrivateDirectory(dir);
    const existing = await lstat(file).catch(() => undefined);
    if (existing && !existing.isFile()) throw new Error(`${file} is not a regular file; the audit log is not written`);
    const opened = await open(
      file,
      constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
      0o600,
    );
    await opened.chmod(0o600); // a file from before, or made under another umask
    size = (await opened.stat()).size;
    handle = opened;
    return opened;
  }

  async function rotate() {
    await handle?.close();
    handle = undefined;
    await rm(rotated(dir, keep), { force: true });
    for (let n = keep - 1; n >= 1; n--) await rename(rotated(dir, n), rotated(dir, n + 1)).catch(() => {});
    if (keep >= 1) await rename(file, rotated(dir, 1));
    else await rm(file, { force: true });
  }

  async function append(line: string) {
    const bytes = Buffer.byteLength(line);
    let live = await openLive();
    if (size > 0 && size + bytes > maxBytes) {
      await rotate();
      live = await openLive();
    }
    await live.appendFile(line);
    size += bytes;
  }

  return {
    file,
    write(record) {
      const line = `${JSON.stringify(record)}\n`;
      queue = queue.then(() =>
        append(line).catch((error: Error) => {
          handle?.close().catch(() => {});
          handle = undefined;
          options.onError?.(error);
        }),
      );
    },
    flush: () => queue,
    async close() {
      await queue;
      await handle?.close();
      handle = undefined;
    },
  };
}
