import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SessionRecord } from '../supervisor';
import { createAuditLog } from '.';

const record = (n: number): SessionRecord => ({
  connection: 'orders',
  protocol: 'postgres',
  client: '127.0.0.1:50000',
  process: { pid: 4242, name: 'psql', exe: '/usr/bin/psql' },
  start: '2026-01-01T00:00:00.000Z',
  end: '2026-01-01T00:00:01.000Z',
  bytesToTarget: n,
  bytesToClient: 2 * n,
  credentialPath: 'database/creds/orders',
  leaseId: 'database/creds/orders/abc',
  ended: { by: 'client' },
});

describe('audit log', () => {
  let root: string;
  beforeEach(async () => void (root = await mkdtemp(path.join(os.tmpdir(), 'sesame-audit-'))));
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('appends one JSON line per session, 0600 in a 0700 folder, and appends again after a restart', async () => {
    const dir = path.join(root, 'audit');
    const first = createAuditLog({ dir });
    first.write(record(1));
    first.write(record(2));
    await first.close();
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(first.file)).mode & 0o777).toBe(0o600);
    const second = createAuditLog({ dir }); // the app started again
    second.write(record(3));
    await second.close();
    const lines = (await readFile(second.file, 'utf8')).trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as SessionRecord).bytesToTarget)).toEqual([1, 2, 3]);
    expect(JSON.parse(lines[0]!)).toEqual(record(1));
  });

  it('makes a file from before private', async () => {
    const dir = path.join(root, 'audit');
    await mkdir(dir, { mode: 0o700 });
    await writeFile(path.join(dir, 'audit.jsonl'), '', { mode: 0o644 });
    const log = createAuditLog({ dir });
    log.write(record(1));
    await log.close();
    expect((await stat(log.file)).mode & 0o777).toBe(0o600);
  });

  it('rotates by size and keeps at most keep+1 files, each within the limit', async () => {
    const dir = path.join(root, 'audit');
    const lineBytes = JSON.stringify(record(100)).length + 1;
    const log = createAuditLog({ dir, maxBytes: lineBytes * 3, keep: 2 });
    for (let n = 100; n < 120; n++) log.write(record(n));
    await log.close();
    const files = (await readdir(dir)).sort();
    expect(files).toEqual(['audit.1.jsonl', 'audit.2.jsonl', 'audit.jsonl']);
    for (const file of files) {
      const info = await stat(path.join(dir, file));
      expect(info.size).toBeLessThanOrEqual(lineBytes * 3);
      expect(info.mode & 0o777).toBe(0o600);
    }
    // The newest records are kept, in order, oldest file first.
    const kept = (
      await Promise.all(
        ['audit.2.jsonl', 'audit.1.jsonl', 'audit.jsonl'].map((f) => readFile(path.join(dir, f), 'utf8')),
      )
    )
      .join('')
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as SessionRecord).bytesToTarget);
    expect(kept).toEqual([112, 113, 114, 115, 116, 117, 118, 119]);
  });

  it('refuses a folder others may enter and a symlinked file, reporting instead of throwing', async () => {
    const open = path.join(root, 'open');
    await mkdir(open, { mode: 0o755 });
    const errors: Error[] = [];
    const log = createAuditLog({ dir: open, onError: (e) => errors.push(e) });
    log.write(record(1));
    await log.close();
    expect(errors[0]?.message).toMatch(/can be entered by other users/);

    const dir = path.join(root, 'audit');
    await mkdir(dir, { mode: 0o700 });
    await writeFile(path.join(root, 'elsewhere'), '');
    await symlink(path.join(root, 'elsewhere'), path.join(dir, 'audit.jsonl'));
    const linked = createAuditLog({ dir, onError: (e) => errors.push(e) });
    linked.write(record(1));
    await linked.close();
    expect(errors[1]?.message).toMatch(/not a regular file/);
    expect(await readFile(path.join(root, 'elsewhere'), 'utf8')).toBe('');
  });
});
