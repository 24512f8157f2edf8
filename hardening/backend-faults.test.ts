// The target and the clients misbehaving under an active broker: PostgreSQL killed (SIGKILL to
// its whole process group) and restarted on the same port and data; clients that vanish in the
// middle of the handshake. Open sessions end cleanly, new clients get 08006 with the reason
// while the server is down and work again after the restart, and nothing is left behind: no
// broker session, no backend session on PostgreSQL, no socket, descriptor or timer.
import { statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresConnector } from '../broker/postgres';
import {
  DEFAULT_POSTGRES_BIN_DIR,
  isPortOpen,
  startPostgres,
  startProcess,
  type ManagedProcess,
  type PostgresServer,
} from '../sandbox/servers';
import { countResources, expectReleased, type ResourceCounts } from './testing/leaks';
import { startupMessage } from './testing/pg-wire';
import { fixedCredentials, serveConnector, type ServedConnector } from './testing/serve-connector';

describe('PostgreSQL and clients failing under an active broker', () => {
  let server: PostgresServer;
  let restarted: ManagedProcess | undefined;
  let broker: ServedConnector;
  let baseline: ResourceCounts;

  beforeAll(async () => {
    server = await startPostgres();
    baseline = countResources();
    const connector = createPostgresConnector({
      host: server.host,
      port: server.port,
      database: 'postgres',
      sslmode: 'disable',
      timeouts: { handshakeMs: 3_000 },
    });
    broker = await serveConnector(
      connector,
      fixedCredentials({ username: server.adminUser, password: server.adminPassword }),
      'orders',
    );
  });

  afterAll(async () => {
    await broker?.close();
    await restarted?.stop();
    await server?.stop();
  });

  const client = () =>
    new pg.Client({
      host: '127.0.0.1',
      port: broker.port,
      user: 'whoever',
      database: 'postgres',
      connectionTimeoutMillis: 30_000,
    });

  async function query(sql: string): Promise<unknown[]> {
    const c = client();
    await c.connect();
    try {
      return (await c.query(sql)).rows;
    } finally {
      await c.end();
    }
  }

  /** Client backends PostgreSQL holds, not counting the one asking. */
  async function backendSessions(): Promise<number> {
    const rows = (await query(
      "select count(*)::int as n from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()",
    )) as { n: number }[];
    return rows[0]!.n;
  }

  it('PostgreSQL killed: the open session ends, new clients get 08006 naming the connection; after the restart they work', async () => {
    const held = client();
    await held.connect();
    expect((await held.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    const heldEnded = new Promise<void>((resolve) => held.once('end', () => resolve()));
    held.on('error', () => {}); // "Connection terminated unexpectedly" is the expected news

    process.kill(-server.pid, 'SIGKILL');
    await expect.poll(() => isPortOpen(server.port), { timeout: 15_000 }).toBe(false);
    await heldEnded;

    const refused = await client()
      .connect()
      .then(
        () => undefined,
        (error: { code?: string; message: string }) => error,
      );
    expect(refused?.code).toBe('08006');
    expect(refused?.message).toContain("connection 'orders'");
    expect(refused?.message).not.toContain(server.adminPassword);
    await expect.poll(() => broker.active(), { timeout: 15_000 }).toBe(0);

    // Same port, same data: the crash recovery a real restart does.
    const owner = statSync(server.dataDir);
    restarted = await startProcess({
      name: 'postgres (restarted)',
      command: path.join(DEFAULT_POSTGRES_BIN_DIR, 'postgres'),
      args: ['-D', server.dataDir, '-p', String(server.port)],
      logFile: server.logFile,
      cwd: path.dirname(server.dataDir),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C', TZ: 'UTC' },
      ...(process.getuid?.() === 0 ? { runAs: { uid: owner.uid, gid: owner.gid } } : {}),
      stopSignal: 'SIGINT',
    });
    await expect.poll(() => query('select 2 as two').catch(() => []), { timeout: 30_000 }).toEqual([{ two: 2 }]);
    expect(broker.serveErrors).toEqual([]);
  });

  it('clients killed mid-handshake leave no broker session and no PostgreSQL session behind', async () => {
    const before = await backendSessions();
    const startup = startupMessage({ user: 'whoever', database: 'postgres' });
    const rounds = 60;
    await Promise.all(
      Array.from(
        { length: rounds },
        (_, i) =>
          new Promise<void>((resolve) => {
            const socket = net.connect(broker.port, '127.0.0.1');
            socket.on('error', () => {});
            socket.on('close', () => resolve());
            socket.on('connect', () => {
              // A third die mid-message, a third right after the startup (the broker is logging in
              // to PostgreSQL), a third at the first byte of the answer.
              if (i % 3 === 0) socket.write(startup.subarray(0, 11), () => socket.destroy());
              else if (i % 3 === 1) socket.write(startup, () => socket.destroy());
              else {
                socket.write(startup);
                socket.once('data', () => socket.destroy());
              }
            });
          }),
      ),
    );
    await expect.poll(() => broker.active(), { timeout: 15_000 }).toBe(0);
    await expect.poll(() => backendSessions(), { timeout: 15_000 }).toBe(before);
    expect(broker.serveErrors).toEqual([]);
    expect(await query('select 3 as three')).toEqual([{ three: 3 }]);
  });

  it('leaves no sockets, descriptors or timers behind once the broker closes', async () => {
    await broker.close();
    await expectReleased(baseline, { fds: 4, handles: 4 });
  });
});
