// The host over the real broker, the Vault dev server and PostgreSQL: the walking path and its
// bad-input cases, with the real psql as the client.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { silentLogger } from '../../broker/log';
import { startSandbox, type Sandbox } from '../../sandbox';
import type { AppEvent } from '../api';
import { createMemorySecretStore, type Platform } from '../platform';
import { createAppHost, type AppHost } from '.';

const platform: Platform = {
  openExternal: async () => {},
  openTerminal: async () => {},
  launch: async () => {},
  notify: () => {},
  secrets: createMemorySecretStore('tests keep nothing'),
};

/** The real psql with no password anywhere in reach; async, since the broker runs in this process. */
function psql(listen: string, sql: string): Promise<{ status: number; stdout: string; stderr: string }> {
  const [host, port] = listen.split(':') as [string, string];
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG')));
  return new Promise((resolve) => {
    execFile(
      'psql',
      ['-h', host, '-p', port, '-U', 'whoever', '-d', 'sandbox', '-w', '-At', '-c', sql],
      { env: { ...env, PGPASSFILE: '/nonexistent/pgpass', PGCONNECT_TIMEOUT: '10' }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout: stdout.trim(), stderr: stderr.trim() }),
    );
  });
}

async function kvPut(sandbox: Sandbox, secretPath: string, data: Record<string, string>) {
  const res = await fetch(`${sandbox.vaultAddr}/v1/secret/data/${secretPath}`, {
    method: 'POST',
    headers: { 'X-Vault-Token': sandbox.rootToken },
    body: JSON.stringify({ data }),
  });
  expect(res.status).toBe(200);
}

describe('app host over the real broker', () => {
  let sandbox: Sandbox;
  let host: AppHost;
  const events: AppEvent[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox();
    await kvPut(sandbox, 'wrong-password', { username: sandbox.postgresAppUser, password: 'not-the-password' });
    await kvPut(sandbox, 'no-password', { username: sandbox.postgresAppUser });
    const base = (await import('../config')).parseConfig(await (await import('node:fs/promises')).readFile(sandbox.configPath, 'utf8'), sandbox.configPath);
    const pgConn = base.connections[0]!;
    const variant = (name: string, secret: string, port: number) => ({
      name,
      protocol: 'postgres',
      listen: `127.0.0.1:${port}`,
      target: { host: pgConn.target.host, port: pgConn.target.port, database: 'sandbox', sslmode: 'disable' },
      credentials: { from: 'vault-kv', path: `secret/${secret}` },
    });
    const configPath = path.join(sandbox.dir, 'host-test.yaml');
    const listenPort = Number(pgConn.listen.split(':')[1]);
    await writeFile(
      configPath,
      stringify({
        vault: { address: sandbox.vaultAddr, auth: { method: 'token', tokenFile: path.join(sandbox.dir, 'vault-token') } },
        connections: [
          { ...variant('orders', 'sandbox/postgres', listenPort) },
          variant('wrong', 'wrong-password', listenPort + 1),
          variant('nopass', 'no-password', listenPort + 2),
        ],
      }),
    );
    host = await createAppHost({ configPath, platform, mode: 'browser', log: silentLogger });
    host.subscribe((e) => events.push(e));
  });

  afterAll(async () => {
    await host?.close();
    await sandbox?.stop();
  });

  it('logs in at start with the token file and shows the session without the token', async () => {
    const session = await host.call('session.get', {});
    expect(session.state).toBe('authenticated');
    expect(session.policies).toContain('root');
    expect(JSON.stringify(session)).not.toContain(sandbox.rootToken);
  });

  it('brokers psql to PostgreSQL with the KV credential; turning off closes the port', async () => {
    const view = await host.call('connections.setEnabled', { name: 'orders', enabled: true });
    expect(view.state).toBe('ready');
    const result = await psql(view.listen, 'select current_user');
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(sandbox.postgresAppUser);
    await expect.poll(() => events.some((e) => e.event === 'connection.changed' && e.payload.name === 'orders' && e.payload.stats.sessionsServed >= 1)).toBe(true);

    const off = await host.call('connections.setEnabled', { name: 'orders', enabled: false });
    expect(off.state).toBe('off');
    expect((await psql(view.listen, 'select 1')).stderr).toMatch(/Connection refused/);
  });

  it('answers a wrong KV password with a clear error naming the connection, never the secret', async () => {
    const view = await host.call('connections.setEnabled', { name: 'wrong', enabled: true });
    const result = await psql(view.listen, 'select 1');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("connection 'wrong'");
    expect(result.stderr).not.toContain('not-the-password');
  });

  it('puts a connection whose secret lacks the password in error, and tells psql why (28000)', async () => {
    const view = await host.call('connections.setEnabled', { name: 'nopass', enabled: true });
    expect(view.state).toBe('error');
    expect(view.error).toBe("the Vault secret at secret/data/no-password has no 'password' field");
    const result = await psql(view.listen, 'select 1');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("the Vault secret at secret/data/no-password has no 'password' field");
  });

  it('refuses unknown connections and bad input without changing state', async () => {
    await expect(host.call('connections.setEnabled', { name: 'nope', enabled: true })).rejects.toMatchObject({ code: 'not-found' });
    const before = await host.call('connections.list', {});
    expect(before.map((c) => c.name)).toEqual(['orders', 'wrong', 'nopass']);
  });

  it('never puts a secret value into an event', () => {
    const text = JSON.stringify(events);
    expect(text).not.toContain(sandbox.rootToken);
    expect(text).not.toContain('not-the-password');
  });
});
