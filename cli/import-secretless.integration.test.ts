// `sesame import-secretless` as a real command: the config on stdout (notes on stderr), or
// written to --out and then loadable; an existing --out is never overwritten; a file Sesame
// cannot import fails with the file, line and field.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../app/config';
import { projectRoot } from './lifecycle';

const fixtures = path.join(projectRoot, 'app', 'config', 'fixtures', 'secretless');

function sesame(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(projectRoot, 'bin', 'sesame.mjs'), ...args],
      { cwd: projectRoot, env: { ...process.env, VAULT_ADDR: '' } },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('sesame import-secretless', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sesame-import-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('prints the config and the notes', async () => {
    const result = await sesame([
      'import-secretless',
      path.join(fixtures, 'mysql-kv1.yml'),
      '--vault-addr',
      'https://vault.example.com:8200',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^# Imported by Sesame from .*mysql-kv1\.yml\./);
    expect(result.stdout).toContain('protocol: mysql');
    expect(result.stderr).toContain('note: inventory-mysql: kv/inventory/mysql is read as a KV version 1 secret');
  });

  it('writes --out, which loads as a Sesame config, and never overwrites it', async () => {
    const out = path.join(dir, 'sesame.yaml');
    const first = await sesame(['import-secretless', path.join(fixtures, 'ssh.yml'), '--out', out]);
    expect(first).toMatchObject({ code: 0, stdout: '' });
    expect(first.stderr).toContain(`wrote ${out} (2 connections)`);
    expect((await loadConfig(out)).connections.map((c) => c.name)).toEqual(['bastion', 'legacy-box']);
    const before = await readFile(out, 'utf8');
    const second = await sesame(['import-secretless', path.join(fixtures, 'ssh.yml'), '--out', out]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`${out} already exists`);
    expect(await readFile(out, 'utf8')).toBe(before);
  });

  it('fails with the file, line and field of what cannot be imported', async () => {
    const file = path.join(dir, 'secretless.yml');
    await writeFile(
      file,
      'version: 2\nservices:\n  web:\n    connector: generic_http\n    listenOn: tcp://0.0.0.0:8080\n',
    );
    const result = await sesame(['import-secretless', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `${file}:4:16: services.web.connector: the 'generic_http' connector is not supported: Sesame imports pg, mysql, ssh and ssh-agent`,
    );
  });
});
