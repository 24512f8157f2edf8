// Rotation, end to end (issue #19 item 4), with the real psql and mariadb through the host:
// - a KV secret rotated in Vault (a new version written, the database password changed to
//   match): the next client logs in with the new password with no restart, a session already
//   open keeps running, and Activity says the credential was refreshed;
// - a shared vault-dynamic lease revoked from outside Sesame (its user dropped by Vault): the
//   next psql gets a new user, and Activity says so.
import { spawn } from 'node:child_process';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../broker/log';
import { startSandbox, type Sandbox } from '../../sandbox';
import { freePort } from '../../sandbox/servers';
import { createAppHost, type AppHost } from '.';
import { kvPut, postgresConnection, psql, recordingPlatform, run, writeTestConfig } from './testing';

describe('rotation through the host', () => {
  let sandbox: Sandbox;
  let host: AppHost;
  let pgAdmin: pg.Client;
  let myAdmin: mysql.Connection;
  const refreshed = async (connection: string) =>
    (await host.call('activity.list', {})).filter(
      (a) => a.connection === connection && a.kind === 'credential-refreshed',
    );

  beforeAll(async () => {
    sandbox = await startSandbox();
    pgAdmin = new pg.Client({
      host: sandbox.postgres.host,
      port: sandbox.postgres.port,
      user: sandbox.postgres.adminUser,
      password: sandbox.postgres.adminPassword,
      database: 'sandbox',
    });
    await pgAdmin.connect();
    await pgAdmin.query("create role rotating_app login password 'first-Passw0rd'");
    myAdmin = await mysql.createConnection({
      host: sandbox.mariadb.host,
      port: sandbox.mariadb.port,
      user: sandbox.mariadb.adminUser,
      password: sandbox.mariadb.adminPassword,
    });
    await myAdmin.query("create user 'rotating_app'@'%' identified by 'first-Passw0rd'");
    await kvPut(sandbox, 'rotating-pg', { username: 'rotating_app', password: 'first-Passw0rd' });
    await kvPut(sandbox, 'rotating-my', { username: 'rotating_app', password: 'first-Passw0rd' });

    const configPath = path.join(sandbox.dir, 'rotation.yaml');
    await writeTestConfig(configPath, sandbox, [
      // Within maxAge (30 s; 1h for shop) the broker still holds the old value when the database refuses it.
      { ...postgresConnection('orders', await freePort(), sandbox.postgres, 'rotating-pg'), autoStart: true },
      {
        name: 'shop',
        protocol: 'mysql',
        listen: `127.0.0.1:${await freePort()}`,
        target: { host: sandbox.mariadb.host, port: sandbox.mariadb.port, sslmode: 'disable' },
        credentials: { from: 'vault-kv', path: 'secret/rotating-my', maxAge: '1h' },
        autoStart: true,
      },
      {
        ...postgresConnection('reports', await freePort(), sandbox.postgres, 'unused'),
        credentials: { from: 'vault-dynamic', path: 'database/creds/sandbox-postgres', lease: 'shared' },
        autoStart: true,
      },
    ]);
    host = await createAppHost({ configPath, platform: recordingPlatform(), mode: 'browser', log: silentLogger });
  });

  afterAll(async () => {
    await host?.close();
    await pgAdmin?.end();
    await myAdmin?.end();
    await sandbox?.stop();
  });

  const listenOf = async (name: string) =>
    (await host.call('connections.list', {})).find((c) => c.name === name)!.listen;

  it('PostgreSQL: after a KV rotation the next psql uses the new password; an open session keeps running', async () => {
    const listen = await listenOf('orders');
    expect((await psql(listen, 'select current_user')).stdout).toBe('rotating_app');
    // A session that stays open across the rotation.
    const [host_, port] = listen.split(':') as [string, string];
    const open = spawn('psql', ['-h', host_, '-p', port, '-d', 'sandbox', '-U', 'x', '-w', '-At'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PGPASSFILE: '/nonexistent/pgpass' },
    });
    let openOutput = '';
    open.stdout.on('data', (chunk: Buffer) => (openOutput += chunk.toString()));
    open.stdin.write('select 1;\n');
    await expect.poll(() => openOutput).toContain('1');

    // Rotate as an operator does: the database first, then the new version in Vault.
    await pgAdmin.query("alter role rotating_app password 'second-Passw0rd'");
    await kvPut(sandbox, 'rotating-pg', { username: 'rotating_app', password: 'second-Passw0rd' });

    const next = await psql(listen, 'select current_user');
    expect(next.stderr).toBe('');
    expect(next.stdout).toBe('rotating_app');
    open.stdin.write("select 'still-open';\n");
    await expect.poll(() => openOutput).toContain('still-open');
    open.stdin.end();
    expect(await refreshed('orders')).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(
          /^credential refreshed: the target refused the one in use .*secret\/(data\/)?rotating-pg/,
        ),
      }),
    ]);
    // Only the refused value was replaced: the following client does not refresh again.
    expect((await psql(listen, 'select 1')).stdout).toBe('1');
    expect(await refreshed('orders')).toHaveLength(1);
  });

  it('MariaDB: after a KV rotation the next mariadb uses the new password, with no restart', async () => {
    const [address, port] = (await listenOf('shop')).split(':') as [string, string];
    const mariadb = () =>
      run('mariadb', ['-h', address, '-P', port, '-u', 'anyone', '--skip-ssl', '-N', '-e', 'select current_user()']);
    expect((await mariadb()).stdout).toBe('rotating_app@%');
    await myAdmin.query("alter user 'rotating_app'@'%' identified by 'second-Passw0rd'");
    await kvPut(sandbox, 'rotating-my', { username: 'rotating_app', password: 'second-Passw0rd' });
    const next = await mariadb();
    expect(next.stderr).toBe('');
    expect(next.stdout).toBe('rotating_app@%');
    expect(await refreshed('shop')).toHaveLength(1);
  });

  it('vault-dynamic: a shared lease revoked outside Sesame is replaced for the next psql', async () => {
    const listen = await listenOf('reports');
    const first = await psql(listen, 'select current_user');
    expect(first.stderr).toBe('');
    const lease = (await host.call('leases.list', {})).find(
      (l) => l.origin === 'connection:reports' && l.state === 'active',
    )!;
    // An operator revokes it at Vault (Vault drops the user), not through Sesame.
    const res = await fetch(`${sandbox.vaultAddr}/v1/sys/leases/revoke`, {
      method: 'PUT',
      headers: { 'X-Vault-Token': sandbox.rootToken },
      body: JSON.stringify({ lease_id: lease.id.replace(/^lease:/, '') }),
    });
    expect(res.status).toBe(204);
    await expect
      .poll(async () => (await pgAdmin.query('select 1 from pg_roles where rolname = $1', [first.stdout])).rowCount, {
        timeout: 10_000,
      })
      .toBe(0);

    const next = await psql(listen, 'select current_user');
    expect(next.stderr).toBe('');
    expect(next.stdout).toMatch(/^v-/);
    expect(next.stdout).not.toBe(first.stdout);
    expect(await refreshed('reports')).toHaveLength(1);
  });
});
