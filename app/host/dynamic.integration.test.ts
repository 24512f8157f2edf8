// Dynamic database credentials through the host: the lease shows in the registry with the
// connection as its origin, a per-connection user is dropped when psql leaves, and Revoke in
// the leases view drops a shared lease's user from PostgreSQL.
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../broker/log';
import { startSandbox, type Sandbox } from '../../sandbox';
import { freePort } from '../../sandbox/servers';
import { createAppHost, type AppHost } from '.';
import { postgresConnection, psql, recordingPlatform, writeTestConfig } from './testing';

describe('vault-dynamic connections in the host', () => {
  let sandbox: Sandbox;
  let host: AppHost;
  let admin: pg.Client;
  const roleExists = async (name: string) =>
    (await admin.query('select 1 from pg_roles where rolname = $1', [name])).rowCount === 1;

  beforeAll(async () => {
    sandbox = await startSandbox();
    const configPath = path.join(sandbox.dir, 'dynamic.yaml');
    const dynamic = (lease: string) => ({ from: 'vault-dynamic', path: 'database/creds/sandbox-postgres', lease });
    await writeTestConfig(configPath, sandbox, [
      {
        ...postgresConnection('per-client', await freePort(), sandbox.postgres, 'unused'),
        credentials: dynamic('per-connection'),
      },
      { ...postgresConnection('shared', await freePort(), sandbox.postgres, 'unused'), credentials: dynamic('shared') },
    ]);
    host = await createAppHost({ configPath, platform: recordingPlatform(), mode: 'browser', log: silentLogger });
    admin = new pg.Client({
      host: sandbox.postgres.host,
      port: sandbox.postgres.port,
      user: 'admin',
      password: sandbox.postgres.adminPassword,
      database: 'postgres',
    });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await host?.close();
    await sandbox?.stop();
  });

  it('gives each psql its own database user, shown as a lease of the connection, dropped when psql leaves', async () => {
    const view = await host.call('connections.setEnabled', { name: 'per-client', enabled: true });
    const result = await psql(view.listen, 'select current_user');
    expect(result.stderr).toBe('');
    const user = result.stdout;
    expect(user).not.toBe(sandbox.postgresAppUser);
    // What minting a user costs each connect is measured and shown on the connection.
    const stats = (await host.call('connections.list', {})).find((c) => c.name === 'per-client')!.stats;
    expect(stats.credentialWaitMs).toBeGreaterThan(0);
    const leases = await host.call('leases.list', {});
    const lease = leases.find((l) => l.origin === 'connection:per-client');
    expect(lease).toMatchObject({ kind: 'lease', path: 'database/creds/sandbox-postgres' });
    expect(JSON.stringify(leases)).not.toMatch(/password/i);
    await expect.poll(() => roleExists(user), { timeout: 10_000 }).toBe(false);
    await expect
      .poll(async () => (await host.call('leases.list', {})).find((l) => l.id === lease!.id)?.state ?? 'removed')
      .not.toBe('active');
  });

  it('turning a shared connection off revokes its lease (the user is dropped); on again takes a new one', async () => {
    const view = await host.call('connections.setEnabled', { name: 'shared', enabled: true });
    const first = await psql(view.listen, 'select current_user');
    expect(first.stderr).toBe('');
    expect(await roleExists(first.stdout)).toBe(true);
    const off = await host.call('connections.setEnabled', { name: 'shared', enabled: false });
    expect(off.state).toBe('off');
    await expect.poll(() => roleExists(first.stdout), { timeout: 10_000 }).toBe(false);
    const on = await host.call('connections.setEnabled', { name: 'shared', enabled: true });
    const second = await psql(on.listen, 'select current_user');
    expect(second.stderr).toBe('');
    expect(second.stdout).not.toBe(first.stdout);
  });

  it('revoking a shared lease in the leases view drops its user from PostgreSQL', async () => {
    const view = await host.call('connections.setEnabled', { name: 'shared', enabled: true });
    const first = await psql(view.listen, 'select current_user');
    expect(first.stderr).toBe('');
    expect(await roleExists(first.stdout)).toBe(true);
    const lease = (await host.call('leases.list', {})).find(
      (l) => l.origin === 'connection:shared' && l.state === 'active',
    )!;
    expect(lease.renewable).toBe(true);
    const revoked = await host.call('leases.revoke', { id: lease.id });
    expect(revoked.state).toBe('revoked');
    await expect.poll(() => roleExists(first.stdout), { timeout: 10_000 }).toBe(false);
  });
});
