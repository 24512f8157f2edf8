// The connector with the real psql and node-postgres against a real PostgreSQL (SCRAM).
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomPassword, startPostgres, type PostgresServer } from '../../sandbox/servers';
import { createPostgresConnector } from './connector';
import {
  createFrameReader,
  parseErrorResponse,
  startupMessage,
  sslRequest,
  gssEncRequest,
  parseNegotiateProtocolVersion,
  type Message,
} from './protocol';
import { PostgresTargetError } from './target';
import { listenForTests, literalFetcher, runPsql, type TestListener } from './testing';

/** node-postgres keeps the BackendKeyData and a cancel method that @types/pg does not declare. */
type PgClientInternals = pg.Client & { processID: number; cancel(client: pg.Client, query: pg.Query): void };

const APP_USER = 'orders_app';
const APP_PASSWORD = randomPassword();
let server: PostgresServer;
const listeners: TestListener[] = [];

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    user: server.adminUser,
    password: server.adminPassword,
    database: 'postgres',
  });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function listen(values: Record<string, string>, target: Record<string, unknown> = {}, fetcherOptions = {}) {
  const connector = createPostgresConnector({ host: server.host, port: server.port, database: 'orders', ...target });
  const credentials = literalFetcher(values, fetcherOptions);
  const listener = await listenForTests(connector, credentials);
  listeners.push(listener);
  return { listener, credentials, connector };
}

const good = { username: APP_USER, password: APP_PASSWORD };

/** A raw protocol client: write bytes, read typed messages or single bytes. */
async function rawClient(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const frames = createFrameReader(1 << 20);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let wake = () => {};
  socket.on('data', (chunk: Buffer) => {
    frames.push(chunk);
    wake();
  });
  socket.on('close', () => wake());
  return {
    socket,
    closed,
    async message(): Promise<Message | undefined> {
      for (;;) {
        const m = frames.readMessage();
        if (m || socket.destroyed) return m;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    async byte(): Promise<string> {
      while (frames.buffered === 0) await new Promise<void>((resolve) => (wake = resolve));
      return frames.takeRest().toString('latin1');
    },
  };
}

beforeAll(async () => {
  server = await startPostgres({ authMethod: 'scram-sha-256' });
  await admin(`create role ${APP_USER} login password '${APP_PASSWORD}'`);
  await admin(`create database orders owner ${APP_USER}`);
});

afterAll(async () => {
  await Promise.all(listeners.map((l) => l.close()));
  await server?.stop();
});

describe('postgres connector with psql', () => {
  it("runs psql with no password anywhere as the credential's user", async () => {
    const { listener, credentials } = await listen(good);
    const result = await runPsql(listener.port, ['-At', '-c', 'select current_user, current_database()'], {
      env: { PGAPPNAME: 'walking-path' },
    });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(`${APP_USER}|orders`);
    await listener.settled();
    expect(credentials.calls).toEqual([{ refresh: false }]);
    expect(credentials.released).toHaveLength(1);
    const started = listener.logs.find((r) => r.message === 'session started');
    expect(started).toMatchObject({ user: APP_USER, database: 'orders', authMethod: 'SCRAM-SHA-256', tls: false });
    expect(listener.bytes.toTarget).toBeGreaterThan(0);
    expect(listener.bytes.toClient).toBeGreaterThan(0);
    expect(JSON.stringify(listener.logs)).not.toContain(APP_PASSWORD);
  });

  it("relays the client's startup parameters and honours its explicit database", async () => {
    const { listener } = await listen(good);
    const result = await runPsql(
      listener.port,
      [
        '-d',
        'postgres',
        '-At',
        '-c',
        "select current_database(), current_setting('application_name'), current_setting('work_mem')",
      ],
      {
        env: { PGAPPNAME: 'relayed-app', PGOPTIONS: '-c work_mem=7MB' },
      },
    );
    expect(result.stdout.trim()).toBe('postgres|relayed-app|7MB');
  });

  it("passes the backend's own refusal on with its SQLSTATE (unknown database → 3D000)", async () => {
    const { listener, credentials } = await listen(good);
    const result = await runPsql(listener.port, ['-d', 'no_such_db', '-At', '-c', 'select 1']);
    expect(result.stderr).toContain(
      `sesame: connection 'test-db': the backend 127.0.0.1:${server.port} refused the login of user '${APP_USER}': database "no_such_db" does not exist`,
    );
    const client = new pg.Client({ host: '127.0.0.1', port: listener.port, user: 'x', database: 'no_such_db' });
    await expect(client.connect()).rejects.toMatchObject({ code: '3D000' });
    expect(credentials.calls.every((c) => !c.refresh)).toBe(true);
  });

  it('shows psql a clear 28000 error naming the connection when the backend refuses the password', async () => {
    const wrong = 'definitely-not-it-' + randomPassword();
    const { listener, credentials } = await listen({ username: APP_USER, password: wrong });
    const result = await runPsql(listener.port, ['-At', '-c', 'select 1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `FATAL:  sesame: connection 'test-db': the backend 127.0.0.1:${server.port} refused the login of user '${APP_USER}': password authentication failed for user "${APP_USER}"`,
    );
    expect(result.stderr).not.toContain(wrong);
    // Rotation was tried once: a fresh fetch, then the error.
    expect(credentials.calls).toEqual([{ refresh: false }, { refresh: true }]);
    await listener.settled();
    expect(credentials.released).toHaveLength(2);
    expect(JSON.stringify(listener.logs)).not.toContain(wrong);

    const client = new pg.Client({ host: '127.0.0.1', port: listener.port, user: 'whoever', database: 'orders' });
    await expect(client.connect()).rejects.toMatchObject({ code: '28000' });
  });

  it("says the Vault secret has no 'password' field (28000), never hangs", async () => {
    const { listener } = await listen({ username: APP_USER }, {}, { path: 'secret/data/x' });
    const result = await runPsql(listener.port, ['-At', '-c', 'select 1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "FATAL:  sesame: connection 'test-db': the Vault secret at secret/data/x has no 'password' field",
    );
    const client = new pg.Client({ host: '127.0.0.1', port: listener.port, user: 'x' });
    await expect(client.connect()).rejects.toMatchObject({ code: '28000' });
  });

  it('reports a failing credential source with its own words (28000)', async () => {
    const connector = createPostgresConnector({ host: server.host, port: server.port });
    const listener = await listenForTests(connector, {
      description: 'vault-kv secret/data/orders-db',
      get: async () => {
        throw new Error('permission denied at secret/data/orders-db');
      },
    });
    listeners.push(listener);
    const result = await runPsql(listener.port, ['-At', '-c', 'select 1']);
    expect(result.stderr).toContain(
      "sesame: connection 'test-db': could not get the credential from vault-kv secret/data/orders-db: permission denied at secret/data/orders-db",
    );
  });

  it('rotates: a refused stale password is fetched afresh once and the session works', async () => {
    const { listener, credentials } = await listen(
      { username: APP_USER, password: 'stale-password' },
      {},
      { refreshed: good },
    );
    const result = await runPsql(listener.port, ['-At', '-c', 'select current_user']);
    expect(result.stdout.trim()).toBe(APP_USER);
    expect(credentials.calls).toEqual([{ refresh: false }, { refresh: true }]);
    await listener.settled();
    // The stale credential was released when it was replaced, the fresh one when the session ended.
    expect(credentials.released.map((c) => c.values.password)).toEqual(['stale-password', APP_PASSWORD]);
  });

  it('answers 08006 when the backend is unreachable', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const connector = createPostgresConnector({ host: '127.0.0.1', port: closedPort });
    const listener = await listenForTests(connector, literalFetcher(good));
    listeners.push(listener);
    const result = await runPsql(listener.port, ['-At', '-c', 'select 1']);
    expect(result.stderr).toContain(
      `sesame: connection 'test-db': cannot reach the backend 127.0.0.1:${closedPort}: ECONNREFUSED`,
    );
    const client = new pg.Client({ host: '127.0.0.1', port: listener.port, user: 'x' });
    await expect(client.connect()).rejects.toMatchObject({ code: '08006' });
  });

  it('times out a credential source that never answers (28000) and releases a late credential', async () => {
    const connector = createPostgresConnector({ host: server.host, port: server.port, timeouts: { handshakeMs: 500 } });
    let deliver: (() => void) | undefined;
    const released: string[] = [];
    const listener = await listenForTests(connector, {
      description: 'vault-dynamic database/creds/orders',
      get: () =>
        new Promise(
          (resolve) => (deliver = () => resolve({ path: 'database/creds/orders', leaseId: 'lease-1', values: good })),
        ),
      release: async (credential) => void released.push(credential.leaseId ?? ''),
    });
    listeners.push(listener);
    const result = await runPsql(listener.port, ['-At', '-c', 'select 1']);
    expect(result.stderr).toContain(
      "sesame: connection 'test-db': timed out after 500 ms while fetching the credential from vault-dynamic database/creds/orders",
    );
    const client = new pg.Client({ host: '127.0.0.1', port: listener.port, user: 'x' });
    await expect(client.connect()).rejects.toMatchObject({ code: '28000' });
    deliver!();
    await expect.poll(() => released).toContain('lease-1');
  });

  it('a credential held for a Vault login stops the handshake clock: psql is served after 4× the handshake time', async () => {
    const connector = createPostgresConnector({
      host: server.host,
      port: server.port,
      database: 'orders',
      timeouts: { handshakeMs: 500 },
    });
    const listener = await listenForTests(connector, {
      description: 'vault-kv secret/orders',
      get: async (options) => {
        // As a session that needs a login: held, then the login comes after 2 s.
        options?.onHold?.(true);
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        options?.onHold?.(false);
        return { path: 'secret/orders', values: good };
      },
    });
    listeners.push(listener);
    const result = await runPsql(listener.port, ['-At', '-c', 'select current_user']);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(APP_USER);
  });

  it('times out a backend that accepts TCP but never answers (08006)', async () => {
    const silent = net.createServer((socket) => socket.on('error', () => {}));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const silentPort = (silent.address() as net.AddressInfo).port;
    try {
      for (const sslmode of ['prefer', 'disable'] as const) {
        const connector = createPostgresConnector({
          host: '127.0.0.1',
          port: silentPort,
          sslmode,
          timeouts: { handshakeMs: 500 },
        });
        const listener = await listenForTests(connector, literalFetcher(good));
        listeners.push(listener);
        const result = await runPsql(listener.port, ['-At', '-c', 'select 1']);
        const waitingFor =
          sslmode === 'prefer'
            ? `waiting for the backend 127.0.0.1:${silentPort} to answer the SSL request`
            : `authenticating to the backend 127.0.0.1:${silentPort} as user '${APP_USER}'`;
        expect(result.stderr).toContain(`sesame: connection 'test-db': timed out after 500 ms while ${waitingFor}`);
      }
    } finally {
      silent.close();
    }
  });

  it('closes live sessions when the connection is turned off', async () => {
    const { listener } = await listen(good);
    const client = new pg.Client({ host: '127.0.0.1', port: listener.port, user: 'anyone' });
    await client.connect();
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
    client.on('error', () => {});
    const sleeping = client.query('select pg_sleep(30)').catch((err: Error) => err);
    await listener.close();
    await ended;
    expect(await sleeping).toBeInstanceOf(Error);
  });
});

describe('postgres connector with node-postgres', () => {
  it('runs queries, prepared statements and LISTEN/NOTIFY through the broker', async () => {
    const { listener } = await listen(good);
    const client = new pg.Client({ host: '127.0.0.1', port: listener.port, user: 'ignored', database: 'orders' });
    await client.connect();
    try {
      expect((await client.query('select current_user as u')).rows).toEqual([{ u: APP_USER }]);
      const prepared = { name: 'add', text: 'select $1::int + $2::int as sum', values: [20, 22] };
      expect((await client.query(prepared)).rows).toEqual([{ sum: 42 }]);
      expect((await client.query({ ...prepared, values: [1, 2] })).rows).toEqual([{ sum: 3 }]);
      const notified = new Promise<string | undefined>((resolve) =>
        client.once('notification', (n) => resolve(n.payload)),
      );
      await client.query('listen sesame_test');
      await client.query("notify sesame_test, 'hello'");
      expect(await notified).toBe('hello');
      expect((client as PgClientInternals).processID).toEqual(expect.any(Number));
      const real = (await client.query('select pg_backend_pid() as pid')).rows[0].pid;
      expect((client as PgClientInternals).processID).not.toBe(real); // the client holds the broker's key, not the backend's
    } finally {
      await client.end();
    }
  });

  it('refuses sessions beyond maxSessions with 53300', async () => {
    const { listener } = await listen(good, { maxSessions: 1 });
    const first = new pg.Client({ host: '127.0.0.1', port: listener.port, user: 'a' });
    await first.connect();
    try {
      const second = new pg.Client({ host: '127.0.0.1', port: listener.port, user: 'b' });
      await expect(second.connect()).rejects.toMatchObject({
        code: '53300',
        message: /too many clients: at most 1 sessions at once/,
      });
    } finally {
      await first.end();
    }
  });
});

describe('client startup edge cases', () => {
  it('declines GSS and SSL encryption with N and then starts the session', async () => {
    const { listener } = await listen(good);
    const raw = await rawClient(listener.port);
    raw.socket.write(gssEncRequest());
    expect(await raw.byte()).toBe('N');
    raw.socket.write(sslRequest());
    expect(await raw.byte()).toBe('N');
    raw.socket.write(startupMessage(new Map([['user', 'x']])));
    const types: string[] = [];
    for (let m = await raw.message(); m && m.type !== 'Z'; m = await raw.message()) types.push(m.type);
    expect(types[0]).toBe('R');
    expect(types).toContain('S');
    expect(types).toContain('K');
    raw.socket.end(Buffer.from('X\0\0\0\x04', 'latin1'));
    await raw.closed;
  });

  it('answers a 3.2 client with NegotiateProtocolVersion 3.0, declining _pq_ options', async () => {
    const { listener } = await listen(good);
    const raw = await rawClient(listener.port);
    raw.socket.write(
      startupMessage(
        new Map([
          ['user', 'x'],
          ['_pq_.test_option', 'on'],
        ]),
        2,
      ),
    );
    const first = await raw.message();
    expect(first?.type).toBe('v');
    // The whole version, 3.0, as PostgreSQL sends it (libpq 18 reads it so).
    expect(parseNegotiateProtocolVersion(first!.body)).toEqual({
      newest: 0x30000,
      unrecognizedOptions: ['_pq_.test_option'],
    });
    expect((await raw.message())?.type).toBe('R');
    raw.socket.destroy();
  });

  it('closes on garbage without a word (as PostgreSQL does), logs why, and keeps serving others', async () => {
    const { listener } = await listen(good);
    const raw = await rawClient(listener.port);
    raw.socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect(await raw.message()).toBeUndefined();
    await raw.closed;

    const oversized = await rawClient(listener.port);
    oversized.socket.write(Buffer.from([0x00, 0x10, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00]));
    expect(await oversized.message()).toBeUndefined();
    await listener.settled();
    expect(listener.logs.filter((r) => r.message === 'session failed').map((r) => r.error)).toEqual([
      'invalid length of startup packet (1195725856; expected 8 to 10004)',
      'invalid length of startup packet (1048576; expected 8 to 10004)',
    ]);

    // A refused protocol version is answered, in that version's format (see startup-parity-postgres).
    const oldProtocol = await rawClient(listener.port);
    oldProtocol.socket.write(Buffer.from([0, 0, 0, 8, 0, 4, 0, 0]));
    expect(parseErrorResponse((await oldProtocol.message())!.body)).toMatchObject({
      code: '0A000',
      message: "sesame: connection 'test-db': unsupported frontend protocol 4.0: server supports 3.0 to 3.0",
    });

    expect((await runPsql(listener.port, ['-At', '-c', 'select 1'])).stdout.trim()).toBe('1');
  });

  it('lets a client that stalls mid-startup go at the deadline, without a word, while serving others', async () => {
    const { listener } = await listen(good, { timeouts: { handshakeMs: 1500 } });
    const stalled = await rawClient(listener.port);
    stalled.socket.write(Buffer.from([0, 0, 0, 40, 0, 3])); // a startup packet that never completes
    const served = await runPsql(listener.port, ['-At', '-c', 'select 2']);
    expect(served.stdout.trim()).toBe('2');
    expect(await stalled.message()).toBeUndefined();
    await stalled.closed;
    await listener.settled();
    expect(listener.logs.find((r) => r.message === 'session failed')).toMatchObject({
      level: 'warn',
      error: "timed out after 1500 ms while waiting for the client's startup message",
    });
  });

  it('rejects an invalid target naming the field', () => {
    expect(() => createPostgresConnector({ host: 'db', port: 70000 })).toThrow(PostgresTargetError);
    expect(() => createPostgresConnector({ host: 'db', port: 5432, sslmode: 'verify' as 'require' })).toThrow(
      /target.sslmode/,
    );
  });
});
