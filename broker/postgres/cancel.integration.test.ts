// Query cancellation through the broker, with psql (Ctrl-C) and node-postgres, to plain and TLS backends.
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomPassword, startPostgres, type PostgresServer } from '../../sandbox/servers';
import { createCancelRegistry } from './cancel';
import { createPostgresConnector } from './connector';
import { cancelRequest } from './protocol';
import type { PostgresTarget } from './target';
import { listenForTests, literalFetcher, runPsql, type TestListener } from './testing';

/** node-postgres keeps the BackendKeyData and a cancel method that @types/pg does not declare. */
type PgClientInternals = pg.Client & { processID: number; cancel(client: pg.Client, query: pg.Query): void };

const APP_USER = 'cancel_app';
const APP_PASSWORD = randomPassword();
const servers: PostgresServer[] = [];
const listeners: TestListener[] = [];

async function adminQuery(server: PostgresServer, sql: string): Promise<pg.QueryResult> {
  const admin = new pg.Client({
    host: server.host,
    port: server.port,
    user: server.adminUser,
    password: server.adminPassword,
    database: 'postgres',
    ...(server.tls && { ssl: { rejectUnauthorized: false } }),
  });
  await admin.connect();
  try {
    return await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** Resolves once the backend runs `sql` for APP_USER (seen in pg_stat_activity). */
async function untilRunning(server: PostgresServer, sql: string): Promise<void> {
  for (;;) {
    const { rowCount } = await adminQuery(
      server,
      `select 1 from pg_stat_activity where usename = '${APP_USER}' and state = 'active' and query = '${sql}'`,
    );
    if (rowCount) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function through(server: PostgresServer, target: Partial<PostgresTarget> = {}) {
  const connector = createPostgresConnector({ host: server.host, port: server.port, database: 'postgres', ...target });
  const listener = await listenForTests(connector, literalFetcher({ username: APP_USER, password: APP_PASSWORD }));
  listeners.push(listener);
  return { listener, connector };
}

let plain: PostgresServer;
let secure: PostgresServer;

beforeAll(async () => {
  [plain, secure] = await Promise.all([startPostgres(), startPostgres({ tls: true })]);
  servers.push(plain, secure);
  for (const server of servers) await adminQuery(server, `create role ${APP_USER} login password '${APP_PASSWORD}'`);
});

afterAll(async () => {
  await Promise.all(listeners.map((l) => l.close()));
  await Promise.all(servers.map((s) => s.stop()));
});

describe('cancel through the broker', () => {
  it('psql Ctrl-C cancels pg_sleep(30)', async () => {
    const { listener } = await through(plain);
    const sql = 'select pg_sleep(30)';
    const result = await runPsql(listener.port, ['-At', '-c', sql], {
      onSpawn: (child) => void untilRunning(plain, sql).then(() => child.kill('SIGINT')),
    });
    expect(result.stderr).toContain('canceling statement due to user request');
    expect(result.code).toBe(1);
    await listener.settled();
    expect(listener.logs.map((r) => r.message)).toContain('forwarded a cancel request to the backend');
  });

  it('node-postgres cancel reaches a TLS backend (verify-full) over TLS', async () => {
    const { listener, connector } = await through(secure, { sslmode: 'verify-full', caFile: secure.tls!.caFile });
    const config = { host: '127.0.0.1', port: listener.port, user: 'x', database: 'postgres' };
    const client = new pg.Client(config);
    await client.connect();
    try {
      expect(connector.cancelRegistry.size).toBe(1);
      const sql = 'select pg_sleep(30) as slept';
      const query = new pg.Query(sql);
      const outcome = new Promise<Error | 'done'>((resolve) => {
        query.on('error', resolve);
        query.on('end', () => resolve('done'));
      });
      client.query(query);
      await untilRunning(secure, sql);
      (new pg.Client(config) as PgClientInternals).cancel(client, query);
      const error = await outcome;
      expect(error).toMatchObject({ code: '57014', message: 'canceling statement due to user request' });
      // The session is still usable after the cancel.
      expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
    await listener.settled();
    expect(connector.cancelRegistry.size).toBe(0);
  });

  it('ignores a cancel request with a wrong key and keeps serving', async () => {
    const { listener } = await through(plain);
    const client = new pg.Client({ host: '127.0.0.1', port: listener.port, user: 'x', database: 'postgres' });
    await client.connect();
    try {
      const socket = net.connect({ host: '127.0.0.1', port: listener.port });
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.on('error', () => {});
      socket.end(cancelRequest((client as PgClientInternals).processID, Buffer.from('nope')));
      await closed;
      expect((await client.query('select 2 as two')).rows).toEqual([{ two: 2 }]);
      expect(listener.logs.map((r) => r.message)).toContain(
        `PID ${(client as PgClientInternals).processID} in cancel request did not match any process`,
      );
    } finally {
      await client.end();
    }
  });
});

describe('cancel registry', () => {
  it('maps broker-issued keys to backend keys and forgets them on unregister', () => {
    const registry = createCancelRegistry();
    const entry = {
      backendKey: { processId: 77, secretKey: Buffer.from([1, 2, 3, 4]) },
      address: { host: '127.0.0.1', port: 5432 },
    };
    const registration = registry.register(entry);
    const { processId, secretKey } = registration.clientKey;
    expect(processId).not.toBe(77);
    expect(secretKey).toHaveLength(4);
    expect(registry.lookup(processId, secretKey)).toBe(entry);
    expect(registry.lookup(processId, Buffer.from([0, 0, 0, 0]))).toBeUndefined();
    expect(registry.lookup(processId, Buffer.alloc(8))).toBeUndefined();
    expect(registry.lookup(77, Buffer.from([1, 2, 3, 4]))).toBeUndefined();
    registration.unregister();
    expect(registry.lookup(processId, secretKey)).toBeUndefined();
    expect(registry.size).toBe(0);
  });
});
