// Every backend auth method and sslmode the connector claims, against real PostgreSQL servers.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTempDir,
  createTestCa,
  randomPassword,
  removeTempDir,
  startPostgres,
  type PostgresAuthMethod,
  type PostgresServer,
} from '../../sandbox/servers';
import { createPostgresConnector } from './connector';
import type { PostgresTarget } from './target';
import { listenForTests, literalFetcher, runPsql, type TestListener } from './testing';

const APP_USER = 'app_user';
const APP_PASSWORD = randomPassword();
const servers: PostgresServer[] = [];
const listeners: TestListener[] = [];

async function startWithAppUser(authMethod: PostgresAuthMethod, tls = false): Promise<PostgresServer> {
  const server = await startPostgres({ authMethod, tls });
  servers.push(server);
  const admin = new pg.Client({
    host: server.host,
    port: server.port,
    user: server.adminUser,
    password: server.adminPassword,
    database: 'postgres',
    ...(tls && { ssl: { rejectUnauthorized: false } }),
  });
  await admin.connect();
  try {
    await admin.query(`create role ${APP_USER} login password '${APP_PASSWORD}'`);
  } finally {
    await admin.end();
  }
  return server;
}

async function through(server: PostgresServer, target: Partial<PostgresTarget> = {}) {
  const connector = createPostgresConnector({ host: server.host, port: server.port, database: 'postgres', ...target });
  const listener = await listenForTests(connector, literalFetcher({ username: APP_USER, password: APP_PASSWORD }));
  listeners.push(listener);
  return listener;
}

const sessionStarted = (listener: TestListener) => listener.logs.find((r) => r.message === 'session started');

afterAll(async () => {
  await Promise.all(listeners.map((l) => l.close()));
  await Promise.all(servers.map((s) => s.stop()));
});

const INSECURE = { insecureAllowPasswordWithoutVerifiedTls: true };

describe.each([
  ['scram-sha-256', 'SCRAM-SHA-256', {}],
  // Without verified TLS, these two reveal the password: only with the insecure opt-in.
  ['md5', 'md5', INSECURE],
  ['password', 'cleartext', INSECURE],
] as const)('a %s backend', (authMethod, expected, optIn) => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startWithAppUser(authMethod);
  });

  it(`logs psql in with ${expected}`, async () => {
    const listener = await through(server, optIn);
    const result = await runPsql(listener.port, ['-At', '-c', 'select current_user']);
    expect(result.stdout.trim()).toBe(APP_USER);
    await listener.settled();
    expect(sessionStarted(listener)).toMatchObject({ authMethod: expected, tls: false });
  });

  if (authMethod !== 'scram-sha-256')
    it(`refuses ${expected} over plain TCP without the opt-in, with 28000 naming the setting`, async () => {
      const listener = await through(server);
      const result = await runPsql(listener.port, ['-At', '-c', 'select current_user']);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        `sesame: connection 'test-db': the backend 127.0.0.1:${server.port} asks for ` +
          (expected === 'md5' ? 'an md5 password hash' : 'the password in clear text') +
          ' over a connection without TLS (sslmode prefer)',
      );
      expect(result.stderr).toContain('set target.insecureAllowPasswordWithoutVerifiedTls: true');
      const client = new pg.Client({ host: '127.0.0.1', port: listener.port, user: 'x', database: 'postgres' });
      await expect(client.connect()).rejects.toMatchObject({ code: '28000' });
    });
});

describe('an md5 backend behind TLS', () => {
  it('gets the md5 answer over verify-full without any opt-in, and is refused over require', async () => {
    const server = await startWithAppUser('md5', true);
    const verified = await through(server, { sslmode: 'verify-full', caFile: server.tls!.caFile });
    expect((await runPsql(verified.port, ['-At', '-c', 'select current_user'])).stdout.trim()).toBe(APP_USER);
    const unverified = await through(server, { sslmode: 'require' });
    const result = await runPsql(unverified.port, ['-At', '-c', 'select current_user']);
    expect(result.stderr).toContain('over TLS that did not verify the server (sslmode require)');
  });
});

describe('a TLS backend', () => {
  let server: PostgresServer;
  let otherCaDir: string;
  beforeAll(async () => {
    server = await startWithAppUser('scram-sha-256', true);
    otherCaDir = createTempDir('other-ca');
  });
  afterAll(() => removeTempDir(otherCaDir));

  const sslQuery = ['-At', '-c', 'select current_user, ssl from pg_stat_ssl where pid = pg_backend_pid()'];

  it('sslmode require: encrypts and binds SCRAM to the TLS channel (SCRAM-SHA-256-PLUS)', async () => {
    const listener = await through(server, { sslmode: 'require' });
    const result = await runPsql(listener.port, sslQuery);
    expect(result.stdout.trim()).toBe(`${APP_USER}|t`);
    await listener.settled();
    expect(sessionStarted(listener)).toMatchObject({ authMethod: 'SCRAM-SHA-256-PLUS', tls: true });
  });

  it('sslmode verify-full with the CA file, for 127.0.0.1 and for localhost', async () => {
    for (const host of ['127.0.0.1', 'localhost']) {
      const listener = await through(server, { host, sslmode: 'verify-full', caFile: server.tls!.caFile });
      const result = await runPsql(listener.port, sslQuery);
      expect(result.stdout.trim(), host).toBe(`${APP_USER}|t`);
    }
  });

  it('sslmode verify-ca with the CA file, node-postgres client', async () => {
    const listener = await through(server, { sslmode: 'verify-ca', caFile: server.tls!.caFile });
    const client = new pg.Client({ host: '127.0.0.1', port: listener.port, user: 'x', database: 'postgres' });
    await client.connect();
    try {
      expect((await client.query('select ssl from pg_stat_ssl where pid = pg_backend_pid()')).rows).toEqual([
        { ssl: true },
      ]);
    } finally {
      await client.end();
    }
  });

  it('sslmode prefer uses TLS when offered; disable does not', async () => {
    const preferred = await through(server, { sslmode: 'prefer' });
    expect((await runPsql(preferred.port, sslQuery)).stdout.trim()).toBe(`${APP_USER}|t`);
    const plain = await through(server, { sslmode: 'disable' });
    expect((await runPsql(plain.port, sslQuery)).stdout.trim()).toBe(`${APP_USER}|f`);
  });

  it('fails with 08006 when the certificate does not verify (untrusted CA)', async () => {
    const otherCa = await createTestCa(otherCaDir);
    for (const target of [
      { sslmode: 'verify-full' as const },
      { sslmode: 'verify-ca' as const, caFile: otherCa.certFile },
    ]) {
      const listener = await through(server, target);
      const result = await runPsql(listener.port, ['-At', '-c', 'select 1']);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        `sesame: connection 'test-db': TLS verification of the backend 127.0.0.1:${server.port} failed (sslmode ${target.sslmode})`,
      );
      const client = new pg.Client({ host: '127.0.0.1', port: listener.port, user: 'x' });
      await expect(client.connect()).rejects.toMatchObject({ code: '08006' });
    }
  });
});

describe('a backend without TLS', () => {
  it('fails with 08006 when sslmode requires TLS', async () => {
    const server = servers.find((s) => !s.tls) ?? (await startWithAppUser('scram-sha-256'));
    const listener = await through(server, { sslmode: 'require' });
    const result = await runPsql(listener.port, ['-At', '-c', 'select 1']);
    expect(result.stderr).toContain(
      `sesame: connection 'test-db': the backend 127.0.0.1:${server.port} does not accept TLS, and sslmode is require`,
    );
  });
});
