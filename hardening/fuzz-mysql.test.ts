// Hostile input against the MySQL connector's client-facing handshake, over a real loopback
// listener with a real MariaDB behind it: seeded random bytes and mutations of the
// HandshakeResponse41 the real mysql2 client sends (captured in flight). Same promises as the
// PostgreSQL run: no crash, every connection ends, bounded memory, oversized packets read through
// without being kept, slow-drip clients let go, a good client served throughout.
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMysqlConnector } from '../broker/mysql';
import { startMariaDb, type MariaDbServer } from '../sandbox/servers';
import { exchange } from './testing/exchange';
import { runFuzz, type FuzzCase } from './testing/fuzz';
import { countResources, expectReleased, measuredMemory, type ResourceCounts } from './testing/leaks';
import { sized } from './testing/mode';
import { firstMysqlError, hasLoginOk, packet } from './testing/mysql-wire';
import { createRandom, mutate, type Random } from './testing/random';
import { fixedCredentials, serveConnector, type ServedConnector } from './testing/serve-connector';
import { startTcpGate } from './testing/tcp-gate';

const SEED = 0x6d7973;
const CASES = sized(2_000, 100_000);
const HANDSHAKE_MS = 1_000;

function* mysqlCases(random: Random, count: number, valid: Buffer[]): Generator<FuzzCase> {
  for (let i = 0; i < count; i++) {
    const kind = random.next();
    let bytes: Buffer;
    if (kind < 0.2) bytes = random.bytes(random.int(0, 200));
    else if (kind < 0.3) bytes = packet(random.int(0, 3), random.bytes(random.int(0, 300)));
    else if (kind < 0.95) bytes = mutate(random, random.pick(valid), 4);
    else bytes = random.pick(valid);
    yield { bytes, end: !random.chance(0.03), pieces: random.chance(0.2) ? random.int(2, 8) : 1 };
  }
}

describe('MySQL handshake under hostile input', () => {
  let server: MariaDbServer;
  let broker: ServedConnector;
  let baseline: ResourceCounts;
  /** HandshakeResponse41 packets as the real client sent them (with and without a database). */
  const captured: Buffer[] = [];

  beforeAll(async () => {
    server = await startMariaDb();
    baseline = countResources();
    const connector = createMysqlConnector({
      host: server.host,
      port: server.port,
      sslmode: 'disable',
      timeouts: { handshakeMs: HANDSHAKE_MS },
    });
    broker = await serveConnector(
      connector,
      fixedCredentials({ username: server.adminUser, password: server.adminPassword }),
    );
    const firstChunks = new Map<number, Buffer>();
    const gate = await startTcpGate({ host: '127.0.0.1', port: broker.port }, (chunk, id) => {
      if (!firstChunks.has(id)) firstChunks.set(id, chunk);
    });
    for (const options of [{}, { database: 'mysql' }, { charset: 'utf8mb4_general_ci', multipleStatements: true }]) {
      const c = await mysql.createConnection({ host: '127.0.0.1', port: gate.port, user: 'anyone', ...options });
      await c.end();
    }
    await gate.close();
    captured.push(...firstChunks.values());
  });

  afterAll(async () => {
    await broker?.close();
    await server?.stop();
  });

  async function goodClientWorks(): Promise<void> {
    const c = await mysql.createConnection({
      host: '127.0.0.1',
      port: broker.port,
      user: 'anyone',
      connectTimeout: 30_000,
    });
    try {
      const [rows] = await c.query('select 41 + 1 as answer');
      expect(rows).toEqual([{ answer: 42 }]);
    } finally {
      await c.end();
    }
  }

  it(
    `survives ${CASES} seeded random and mutated handshake responses, ends every connection, keeps serving a good client`,
    { timeout: sized(120_000, 3_600_000) },
    async () => {
      expect(captured.length).toBe(3);
      await goodClientWorks();
      const options = { concurrency: 32, caseTimeoutMs: HANDSHAKE_MS + 10_000, completed: hasLoginOk };
      const warmUp = await runFuzz(broker.port, mysqlCases(createRandom(SEED ^ 1), 200, captured), options);
      expect(warmUp.hung).toBe(0);
      const before = measuredMemory();
      let goodRuns = 0;
      const every = sized(250, 5_000);
      const result = await runFuzz(broker.port, mysqlCases(createRandom(SEED), CASES, captured), {
        ...options,
        checkpoint: { everyCases: every, run: async () => void (await goodClientWorks(), goodRuns++) },
      });
      const after = measuredMemory();
      console.info(
        `[hardening] mysql fuzz: ${JSON.stringify({ ...result, hungSamples: undefined, goodRuns, memory: { kind: after.kind, beforeMB: +(before.bytes / 2 ** 20).toFixed(1), afterMB: +(after.bytes / 2 ** 20).toFixed(1) } })}`,
      );
      expect(result.hungSamples).toEqual([]);
      expect(result).toMatchObject({ cases: CASES, hung: 0, refused: 0, ended: CASES });
      expect(broker.serveErrors).toEqual([]);
      expect(goodRuns).toBeGreaterThanOrEqual(Math.floor(CASES / every));
      expect(after.bytes - before.bytes).toBeLessThan((after.kind === 'heapUsed' ? 48 : 160) * 2 ** 20);
      await expect.poll(() => broker.active(), { timeout: 15_000 }).toBe(0);
      await goodClientWorks();
    },
  );

  it('reads an oversized handshake packet through without keeping it, as MariaDB reads it whole', async () => {
    // 16 MB announced, 1 MB sent: no answer, and the client is let go at the deadline.
    const head = Buffer.from([0xff, 0xff, 0xff, 0x01]);
    const before = measuredMemory();
    const declared = await exchange(broker.port, Buffer.concat([head, Buffer.alloc(1024 * 1024, 0x41)]), {
      dripBytes: 64 * 1024,
    });
    expect(firstMysqlError(declared.received)).toBeUndefined();
    expect(measuredMemory().bytes - before.bytes).toBeLessThan(16 * 2 ** 20);
    // Sent whole, it is answered as MariaDB answers such garbage.
    const whole = await exchange(broker.port, packet(1, Buffer.alloc(300_000, 0xff)), { dripBytes: 64 * 1024 });
    expect(firstMysqlError(whole.received)).toMatchObject({
      errno: 1043,
      message: "sesame: connection 'hardening': Bad handshake",
    });
  });

  it('lets a slow-drip client go at the handshake deadline, without a word (as connect_timeout does)', async () => {
    const drip = await exchange(broker.port, captured[0]!, { dripBytes: 1, dripPauseMs: 100 });
    expect(drip.cutOff).toBe(true);
    expect(firstMysqlError(drip.received)).toBeUndefined();
    await goodClientWorks();
  });

  it('leaves no sockets, descriptors or timers behind once the broker closes', async () => {
    await broker.close();
    await expectReleased(baseline, { fds: 4, handles: 4 });
  });
});
