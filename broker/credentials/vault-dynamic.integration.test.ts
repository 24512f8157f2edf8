// vault-dynamic with real users: the sandbox's Vault dev server creates them in real PostgreSQL
// and MariaDB; the real psql and mariadb CLIs reach them through the connectors, logged in to
// Vault as the sandbox developer (userpass), whose policy allows creds, renew and revoke.
import pg from 'pg';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox';
import { VaultSeeder, seedDatabase } from '../../sandbox/seed';
import { createMysqlConnector } from '../mysql';
import { runMariadbCli } from '../mysql/testing';
import { createPostgresConnector } from '../postgres';
import { runPsql } from '../postgres/testing';
import { listenForTests, type TestListener } from '../connector-kit/testing';
import { createVaultClient, type VaultClient } from '../vault';
import {
  createVaultDynamicFetcher,
  type DynamicLeaseEvent,
  type VaultDynamicFetcher,
  type VaultDynamicSource,
} from './vault-dynamic';
import { CredentialError } from './errors';

let sandbox: Sandbox;
let vault: VaultClient;
let developerToken: string;
const session = { token: async () => developerToken };
const listeners: TestListener[] = [];
const fetchers: VaultDynamicFetcher[] = [];

/** A fetcher whose events are collected; `waitFor` resolves on the first event matching. */
function dynamic(options: Omit<VaultDynamicSource, 'onLease'>) {
  const events: DynamicLeaseEvent[] = [];
  const waiters: { match: (e: DynamicLeaseEvent) => boolean; resolve: (e: DynamicLeaseEvent) => void }[] = [];
  const fetcher = createVaultDynamicFetcher(vault, session, {
    ...options,
    onLease: (event) => {
      events.push(event);
      for (const w of [...waiters]) {
        if (w.match(event)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(event);
        }
      }
    },
  });
  fetchers.push(fetcher);
  const waitFor = (match: (e: DynamicLeaseEvent) => boolean) =>
    new Promise<DynamicLeaseEvent>((resolve) => {
      const seen = events.find(match);
      if (seen) resolve(seen);
      else waiters.push({ match, resolve });
    });
  return { fetcher, events, waitFor };
}

async function pgRoleExists(name: string): Promise<boolean> {
  const { postgres } = sandbox;
  const client = new pg.Client({
    host: postgres.host,
    port: postgres.port,
    user: postgres.adminUser,
    password: postgres.adminPassword,
    database: 'postgres',
  });
  await client.connect();
  try {
    const result = await client.query('select 1 from pg_roles where rolname = $1', [name]);
    return result.rowCount === 1;
  } finally {
    await client.end();
  }
}

async function pgAdmin(sql: string): Promise<void> {
  const { postgres } = sandbox;
  const client = new pg.Client({
    host: postgres.host,
    port: postgres.port,
    user: postgres.adminUser,
    password: postgres.adminPassword,
    database: 'postgres',
  });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function listenPostgres(fetcher: VaultDynamicFetcher) {
  const connector = createPostgresConnector({
    host: sandbox.postgres.host,
    port: sandbox.postgres.port,
    database: 'sandbox',
    sslmode: 'disable',
  });
  const listener = await listenForTests(connector, fetcher, 'orders-dynamic');
  listeners.push(listener);
  return listener;
}

/** The user psql is logged in as, through the broker. */
async function psqlUser(port: number): Promise<string> {
  const result = await runPsql(port, ['-d', 'sandbox', '-U', 'whoever', '-At', '-c', 'select current_user']);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout.trim();
}

/** A database engine role on the sandbox PostgreSQL with short TTLs, so renewals and ends happen in a test. */
async function shortPostgresRole(role: string, ttl: string, maxTtl: string): Promise<string> {
  const seeder = new VaultSeeder(sandbox.vaultAddr, sandbox.rootToken);
  const { postgres } = sandbox;
  await seedDatabase(seeder, {
    plugin: 'postgresql-database-plugin',
    name: role,
    connectionUrl: `postgresql://{{username}}:{{password}}@${postgres.host}:${postgres.port}/sandbox`,
    username: postgres.adminUser,
    password: postgres.adminPassword,
    role,
    creation: [
      `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE ${sandbox.postgresAppUser};`,
    ],
    revocation: [`DROP ROLE IF EXISTS "{{name}}";`],
  });
  await seeder.write(`database/roles/${role}`, { default_ttl: ttl, max_ttl: maxTtl });
  return `database/creds/${role}`;
}

beforeAll(async () => {
  sandbox = await startSandbox();
  vault = createVaultClient({ address: sandbox.vaultAddr, minBackoffMs: 50, maxBackoffMs: 200 });
  const { username, password } = sandbox.logins.userpass;
  const login = await vault.request({ method: 'POST', path: `auth/userpass/login/${username}`, body: { password } });
  developerToken = login!.auth!.client_token;
});

afterAll(async () => {
  sandbox?.vault.faults.clear();
  await Promise.all(listeners.map((l) => l.close()));
  await Promise.all(fetchers.map((f) => f.close()));
  await sandbox?.stop();
});

describe('vault-dynamic per-connection', () => {
  it('gives each psql session its own user and drops it from pg_roles after the client disconnects', async () => {
    const { fetcher, events, waitFor } = dynamic({ path: 'database/creds/sandbox-postgres', lease: 'per-connection' });
    const listener = await listenPostgres(fetcher);

    const first = await psqlUser(listener.port);
    const second = await psqlUser(listener.port);
    expect(first).toMatch(/^v-/);
    expect(second).toMatch(/^v-/);
    expect(second).not.toBe(first);

    await listener.settled();
    await waitFor((e) => e.type === 'revoked' && events.filter((x) => x.type === 'revoked').length === 2);
    expect(await pgRoleExists(first)).toBe(false);
    expect(await pgRoleExists(second)).toBe(false);
    expect(events.filter((e) => e.type === 'issued')).toHaveLength(2);
    expect(events.filter((e) => e.type === 'revoked').map((e) => e.reason)).toEqual(['released', 'released']);
    expect(events).toHaveLength(4);
    expect(
      events.every(
        (e) => e.path === 'database/creds/sandbox-postgres' && e.leaseId.startsWith('database/creds/sandbox-postgres/'),
      ),
    ).toBe(true);
    expect(fetcher.leases()).toEqual([]);
  });

  it('gives each mariadb CLI session its own user and drops it after the client disconnects', async () => {
    const { fetcher, waitFor } = dynamic({ path: 'database/creds/sandbox-mariadb', lease: 'per-connection' });
    const connector = createMysqlConnector({
      host: sandbox.mariadb.host,
      port: sandbox.mariadb.port,
      sslmode: 'disable',
    });
    const listener = await listenForTests(connector, fetcher, 'orders-mariadb');
    listeners.push(listener);

    const result = await runMariadbCli(listener.port, [
      '-u',
      'whoever',
      '-N',
      '-B',
      '-e',
      'select substring_index(current_user(), "@", 1)',
    ]);
    expect(result.stderr).toBe('');
    const user = result.stdout.trim();
    expect(user).toMatch(/^v-/);

    await listener.settled();
    await waitFor((e) => e.type === 'revoked');
    const admin = await mysql.createConnection({
      host: sandbox.mariadb.host,
      port: sandbox.mariadb.port,
      user: sandbox.mariadb.adminUser,
      password: sandbox.mariadb.adminPassword,
    });
    try {
      const [rows] = await admin.query('select count(*) as n from mysql.user where user = ?', [user]);
      expect((rows as { n: number }[])[0]!.n).toBe(0);
    } finally {
      await admin.end();
    }
  });
});

describe('vault-dynamic shared', () => {
  it('serves every session with one user, renews it, replaces it before its max TTL and revokes it on close', async () => {
    const path = await shortPostgresRole('short-shared', '3s', '6s');
    const { fetcher, events, waitFor } = dynamic({ path, lease: 'shared' });
    const listener = await listenPostgres(fetcher);

    const first = await psqlUser(listener.port);
    expect(await psqlUser(listener.port)).toBe(first);
    await waitFor((e) => e.type === 'renewed');

    // Near the max TTL a fresh lease takes over; the old one is revoked (no session holds it).
    const replaced = await waitFor((e) => e.type === 'revoked' && e.reason === 'replaced');
    expect(replaced.leaseId).toBe(events[0]!.leaseId);
    expect(await pgRoleExists(first)).toBe(false);
    const second = await psqlUser(listener.port);
    expect(second).not.toBe(first);
    expect(events.filter((e) => e.type === 'issued')).toHaveLength(2);
    expect(events.some((e) => e.type === 'expired')).toBe(false);

    await fetcher.close();
    expect(events.at(-1)).toMatchObject({ type: 'revoked', reason: 'closed', ttl: 0 });
    expect(await pgRoleExists(second)).toBe(false);
    await expect(fetcher.get()).rejects.toThrow(/closed/);
  });

  it('rotates: get({ refresh: true }) fetches a new user, and the connector recovers when the backend refuses the cached one', async () => {
    const { fetcher, events, waitFor } = dynamic({ path: 'database/creds/sandbox-postgres', lease: 'shared' });
    const listener = await listenPostgres(fetcher);
    const first = await psqlUser(listener.port);

    const direct = await fetcher.get();
    expect(direct.values.username).toBe(first);
    const rotated = await fetcher.get({ refresh: true });
    expect(rotated.values.username).not.toBe(first);
    // The old lease is revoked once its last holder lets go.
    await fetcher.release!(direct);
    await waitFor((e) => e.type === 'revoked' && e.reason === 'rotated');
    expect(await pgRoleExists(first)).toBe(false);
    await fetcher.release!(rotated);

    // The password changes behind Vault's back: the broker refreshes once and logs in.
    await pgAdmin(`alter role "${rotated.values.username}" password 'changed-elsewhere'`);
    const third = await psqlUser(listener.port);
    expect(third).not.toBe(rotated.values.username);
    expect(listener.logs.some((r) => r.message === 'the backend refused the credential; fetching it afresh')).toBe(
      true,
    );

    const text = JSON.stringify(events);
    expect(text).not.toContain(direct.values.password!);
    expect(text).not.toContain(rotated.values.password!);
    expect(
      events.every((e) =>
        Object.keys(e).every((k) =>
          ['type', 'leaseId', 'path', 'mode', 'ttl', 'expiresAt', 'renewable', 'reason'].includes(k),
        ),
      ),
    ).toBe(true);
  });

  it('keeps serving the cached user while Vault is down, until its lease ends', async () => {
    const path = await shortPostgresRole('short-outage', '4s', '4s');
    const { fetcher, waitFor } = dynamic({ path, lease: 'shared' });
    const listener = await listenPostgres(fetcher);
    const user = await psqlUser(listener.port);

    const outage = sandbox.vault.faults.drop();
    try {
      expect(await psqlUser(listener.port)).toBe(user);
      const ended = await waitFor((e) => e.type === 'expired');
      expect(ended.reason).toMatch(/max TTL|renewed/);
      const refused = await runPsql(listener.port, ['-d', 'sandbox', '-U', 'whoever', '-At', '-c', 'select 1']);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain("sesame: connection 'orders-dynamic'");
      expect(refused.stderr).toMatch(/unreachable/);
    } finally {
      sandbox.vault.faults.remove(outage.id);
    }
    expect(await psqlUser(listener.port)).not.toBe(user);
  });
});

describe('vault-dynamic input', () => {
  it('refuses a bad path or lease mode with an error naming the field', () => {
    expect(() => createVaultDynamicFetcher(vault, session, { path: 'database/../creds', lease: 'shared' })).toThrow(
      /path 'database\/\.\.\/creds'/,
    );
    expect(() => createVaultDynamicFetcher(vault, session, { path: 'creds', lease: 'shared' })).toThrow(
      CredentialError,
    );
    expect(() =>
      createVaultDynamicFetcher(vault, session, { path: 'database/creds/x', lease: 'pooled' as 'shared' }),
    ).toThrow(/lease must be/);
    expect(() =>
      createVaultDynamicFetcher(vault, session, { path: 'database/creds/x', lease: 'shared', renewIncrement: 0 }),
    ).toThrow(/renewIncrement/);
  });

  it('says which path is wrong when Vault has no such role, and refuses secrets without a lease', async () => {
    const unknown = dynamic({ path: 'database/creds/no-such-role', lease: 'shared' }).fetcher;
    await expect(unknown.get()).rejects.toThrow(/database\/creds\/no-such-role/);
    const kv = dynamic({ path: 'secret/data/sandbox/postgres', lease: 'per-connection' }).fetcher;
    await expect(kv.get()).rejects.toThrow(/without a lease/);
  });
});
