// Temp dirs for sandbox servers: `sesame-<label>-XXXXXX` under os.tmpdir(), removed on stop;
// after a failed start only the logs stay, so the error can point at them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const LABEL = /^[a-z0-9][a-z0-9-]{0,30}$/;

/** A fresh private (0700) dir `os.tmpdir()/sesame-<label>-XXXXXX`. */
export function createTempDir(label: string): string {
  if (typeof label !== 'string' || !LABEL.test(label)) {
    throw new TypeError(
      `createTempDir: label must be lower-case letters, digits and dashes, got ${JSON.stringify(label)}`,
    );
  }
  return fs.mkdtempSync(path.join(os.tmpdir(), `sesame-${label}-`));
}

/** Refuse to delete anything that is not one of our temp dirs. */
function assertOurs(dir: string): void {
  const resolved = path.resolve(dir);
  if (path.dirname(resolved) !== path.resolve(os.tmpdir()) || !path.basename(resolved).startsWith('sesame-')) {
    throw new Error(`refusing to remove ${resolved}: not a sesame temp dir under ${os.tmpdir()}`);
  }
}

/** Remove a dir made by createTempDir, with everything in it. Missing is fine. */
export function removeTempDir(dir: string): void {
  assertOurs(dir);
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** After a failed start: delete everything in `dir` but the `*.log` files at its top. */
export function keepOnlyLogs(dir: string): void {
  assertOurs(dir);
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry.isFile() && entry.name.endsWith('.log')) continue;
    fs.rmSync(path.join(dir, entry.name), { recursive: true, force: true, maxRetries: 3 });
  }
}

/** The last `lines` lines of a log, with every secret replaced by `[redacted]`. */
export function logTail(file: string, lines = 30, secrets: readonly string[] = []): string {
  let text: string;
  try {
    const size = fs.statSync(file).size;
    const start = Math.max(0, size - 16_384);
    const fd = fs.openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(size - start);
      fs.readSync(fd, buffer, 0, buffer.length, start);
      text = buffer.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return `(could not read ${file})`;
  }
  for (const secret of secrets) if (secret) text = text.split(secret).join('[redacted]');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
