// Lease caching through the proxy, with real database credentials (the Vault dev server's
// database engine creating real PostgreSQL users): hits, renewal and eviction at max TTL,
// revocation (lease, prefix, parent token), cache-clear by lease, and Vault sealed meanwhile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresServer } from '../../sandbox/servers';
import { startVaultDev, type VaultDevServer } from '../../sandbox/vault';
import { createVaultSession, type VaultSession } from '../vault-session';
import { createLogger } from '../log';
import { createVaultClient } from '../vault';
import { startAgentProxy, type AgentProxy } from './index';
import { awaitLease, raw } from './testing';

let vault: VaultDevServer;
let postgres: PostgresServer;
let session: VaultSession;
let proxy: AgentProxy;
const log = createLogger('test', () => {}, 'error');
const POLICY = `path "database/creds/*" { capabilities = ["read"] }
path "auth/token/create" { capabilities = ["update"] }
path "sys/leases/renew" { capabilities = ["update"] }
path "sys/leases/revoke" { capabilities = ["update"] }`;

const creds = (role: string, token?: string) =>
  raw(proxy.address, 'GET', `/v1/database/creds/${role}`, token ? { token } : {});

beforeAll(async () => {
  [vault, postgres] = await Promise.all([startVaultDev(), startPostgres()]);
  const root = vault.rootToken;
  const setup: Array<[string, unknown]> = [
    ['sys/mounts/database', { type: 'database' }],
    [
      'database/config/pg',
      {
        plugin_name: 'postgresql-database-plugin',
        connection_url: `postgresql://{{username}}:{{password}}@127.0.0.1:${postgres.port}/postgres?sslmode=disable`,
        username: postgres.adminUser,
        password: postgres.adminPassword,
        allowed_roles: ['*'],
      },
    ],
    ['sys/policies/acl/app', { policy: POLICY }],
  ];
  const statements = [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`];
  for (const [role, ttl, max] of [
    ['long', '1h', '2h'],
    ['short', '3s', '7s'],
    ['other', '1h', '2h'],
  ]) {
    setup.push([
      `database/roles/${role}`,
      { db_name: 'pg', creation_statements: statements, default_ttl: ttl, max_ttl: max },
    ]);
  }
  for (const [path, body] of setup) {
    const r = await raw(vault.address, 'POST', `/v1/${path}`, { token: root, body });
    if (r.status >= 300) throw new Error(`setup ${path}: ${r.status} ${r.text}`);
  }
  const token = (
    await raw(vault.address, 'POST', '/v1/auth/token/create', { token: root, body: { policies: ['app'], ttl: '1h' } })
  ).json.auth.client_token;
  session = createVaultSession(createVaultClient({ address: vault.address }), log);
  await session.login({ method: 'token', token });
  proxy = await startAgentProxy({ vaultAddress: vault.address, listen: '127.0.0.1:0', session, log });
}, 120_000);

afterAll(async () => {
  await proxy?.close();
  session?.close();
  await vault?.stop();
  await postgres?.stop();
});

describe('leases through the proxy', () => {
  it('caches database credentials created with the session token and serves them again', async () => {
    const first = await creds('long');
    expect(first.status).toBe(200);
    expect(first.headers['x-cache']).toBe('MISS');
    const second = await creds('long');
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.json.data.username).toBe(first.json.data.username);
    expect(proxy.registry.get(`lease:${first.json.lease_id}`)).toMatchObject({
      kind: 'lease',
      path: 'database/creds/long',
      leaseId: first.json.lease_id,
      parentId: `token:${session.snapshot().accessor}`,
      renewable: true,
      hits: 1,
    });
  });

  it('renews a cached lease until its max TTL, then evicts it', async () => {
    const first = await creds('short');
    const id = `lease:${first.json.lease_id}`;
    const ended = await awaitLease(proxy.registry, id, (r) => r.state === 'expired');
    expect(ended.renewals).toBeGreaterThanOrEqual(1);
    const again = await creds('short');
    expect(again.headers['x-cache']).toBe('MISS');
    expect(again.json.lease_id).not.toBe(first.json.lease_id);
  });

  it('keeps what it holds while Vault is sealed, until it expires', async () => {
    const first = await creds('short');
    const id = `lease:${first.json.lease_id}`;
    vault.seal();
    try {
      const failing = await awaitLease(proxy.registry, id, (r) => /sealed/.test(r.lastError ?? ''));
      expect(failing.state).toBe('active');
      expect((await creds('short')).headers['x-cache']).toBe('HIT');
      const ended = await awaitLease(proxy.registry, id, (r) => r.state === 'expired');
      expect(ended.lastError).toMatch(/sealed/);
    } finally {
      vault.unseal();
    }
  });

  it('sys/leases/revoke and revoke-prefix through the proxy evict what they revoke', async () => {
    const one = await creds('other');
    const revoked = await raw(proxy.address, 'PUT', '/v1/sys/leases/revoke', { body: { lease_id: one.json.lease_id } });
    expect(revoked.status).toBe(204);
    expect(proxy.registry.get(`lease:${one.json.lease_id}`)?.state).toBe('revoked');
    expect((await creds('other')).headers['x-cache']).toBe('MISS');

    const cached = proxy.registry.list().filter((r) => r.path === 'database/creds/long' && r.state === 'active');
    expect(cached.length).toBeGreaterThan(0);
    const prefix = await raw(proxy.address, 'PUT', '/v1/sys/leases/revoke-prefix/database/creds/long', {
      token: vault.rootToken,
    });
    expect(prefix.status).toBe(204);
    for (const lease of cached) expect(proxy.registry.get(lease.id)?.state).toBe('revoked');
  });

  it('cache-clear by lease evicts it without revoking it', async () => {
    const one = await creds('other');
    const cleared = await raw(proxy.address, 'POST', '/agent/v1/cache-clear', {
      body: { type: 'lease', value: one.json.lease_id },
    });
    expect(cleared.status).toBe(200);
    expect(proxy.registry.get(`lease:${one.json.lease_id}`)?.state).toBe('evicted');
    const lookup = await raw(vault.address, 'PUT', '/v1/sys/leases/lookup', {
      token: vault.rootToken,
      body: { lease_id: one.json.lease_id },
    });
    expect(lookup.status).toBe(200);
  });

  it('revoking a token through the proxy evicts the leases created with it', async () => {
    const child = (
      await raw(proxy.address, 'POST', '/v1/auth/token/create', { body: { policies: ['app'], ttl: '1h' } })
    ).json.auth;
    const lease = await creds('other', child.client_token);
    expect(proxy.registry.get(`lease:${lease.json.lease_id}`)?.parentId).toBe(`token:${child.accessor}`);
    expect((await raw(proxy.address, 'POST', '/v1/auth/token/revoke-self', { token: child.client_token })).status).toBe(
      204,
    );
    expect(proxy.registry.get(`lease:${lease.json.lease_id}`)?.state).toBe('revoked');
    expect(
      (
        await raw(vault.address, 'PUT', '/v1/sys/leases/lookup', {
          token: vault.rootToken,
          body: { lease_id: lease.json.lease_id },
        })
      ).status,
    ).toBe(400);
  });
});
