// `sesame sandbox --json` as scripts use it: one JSON line on stdout, servers that answer,
// and nothing left behind after SIGTERM.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

describe('sesame sandbox --json', () => {
  it('prints one JSON line with what scripts need, serves until SIGTERM, then cleans up', async () => {
    const child = spawn(process.execPath, [path.join(root, 'bin', 'sesame.mjs'), 'sandbox', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        if (stdout.includes('\n')) resolve(stdout.split('\n')[0]!);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code} before printing JSON:\n${stderr}`)));
    });
    const info = JSON.parse(line);
    expect(Object.keys(info)).toEqual(
      expect.arrayContaining([
        'vaultAddr',
        'rootToken',
        'configPath',
        'connections',
        'postgres',
        'mariadb',
        'sshd',
        'oidc',
        'userpass',
        'approle',
      ]),
    );
    expect(info.connections[0]).toMatchObject({
      name: 'sandbox-postgres',
      protocol: 'postgres',
      listen: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
    });
    expect(info.postgres).toMatchObject({ host: '127.0.0.1', port: expect.any(Number), adminUser: 'admin' });
    const health = await fetch(`${info.vaultAddr}/v1/sys/health`);
    expect(((await health.json()) as { sealed: boolean }).sealed).toBe(false);
    expect(existsSync(info.configPath)).toBe(true);

    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(existsSync(path.dirname(info.configPath))).toBe(false);
    await expect(fetch(`${info.vaultAddr}/v1/sys/health`)).rejects.toThrow();
  });
});
