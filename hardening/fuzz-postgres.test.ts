// Hostile input against the PostgreSQL connector's client-facing handshake, over a real
// loopback listener with a real PostgreSQL behind it: seeded random bytes and mutated valid
// startup / SSLRequest / GSSENCRequest / CancelRequest messages. The process must not crash,
// every connection must end within the phase timeout, memory must stay bounded, oversized
// messages and slow-drip clients must be refused, and a good client keeps being served.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresConnector } from '../broker/postgres';
import { startPostgres, type PostgresServer } from '../sandbox/servers';
import { runFuzz, type FuzzCase } from './testing/fuzz';
import { exchange } from './testing/exchange';
import { countResources, expectReleased, measuredMemory, type ResourceCounts } from './testing/leaks';
import { sized } from './testing/mode';
import {
  CANCEL_REQUEST,
  GSSENC_REQUEST,
  SSL_REQUEST,
  cancelRequest,
  codeOnly,
  firstError,
  hasAuthenticationOk,
  startupMessage,
} from './testing/pg-wire';
import { createRandom, mutate, type Random } from './testing/random';
import { fixedCredentials, serveConnector, type ServedConnector } from './testing/serve-connector';

const SEED = 0x5e5a3e;
const CASES = sized(2_000, 100_000);
const HANDSHAKE_MS = 1_000;

function* postgresCases(random: Random, count: number): Generator<FuzzCase> {
  const valid = [
    startupMessage({ user: 'admin', database: 'postgres' }),
    startupMessage({ user: 'x', database: 'postgres', application_name: 'fuzz', options: '-c search_path=public' }),
    Buffer.concat([codeOnly(SSL_REQUEST), startupMessage({ user: 'admin' })]),
    Buffer.concat([codeOnly(GSSENC_REQUEST), startupMessage({ user: 'admin' })]),
    cancelRequest(1234, 5678),
    startupMessage({ user: 'admin', replication: 'database' }),
    startupMessage({ user: 'admin' }, 0x00020000),
  ];
  for (let i = 0; i < count; i++) {
    const kind = random.next();
    let bytes: Buffer;
    if (kind < 0.25) bytes = random.bytes(random.int(0, 200));
    else if (kind < 0.85) bytes = mutate(random, random.pick(valid));
    else if (kind < 0.9) bytes = cancelRequest(random.int(0, 0xffffffff), random.int(0, 0xffffffff));
    else if (kind < 0.95)
      bytes = Buffer.concat([
        codeOnly(random.pick([SSL_REQUEST, GSSENC_REQUEST, CANCEL_REQUEST])),
        random.bytes(random.int(0, 64)),
      ]);
    else bytes = random.pick(valid);
    yield { bytes, end: !random.chance(0.03), pieces: random.chance(0.2) ? random.int(2, 8) : 1 };
  }
}

describe('PostgreSQL handshake under hostile input', () => {
  let server: PostgresServer;
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
      timeouts: { handshakeMs: HANDSHAKE_MS },
    });
    broker = await serveConnector(
      connector,
      fixedCredentials({ username: server.adminUser, password: server.adminPassword }),
    );
  });

  afterAll(async () => {
    await broker?.close();
    await server?.stop();
  });

  async function goodClientWorks(): Promise<void> {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: broker.port,
      user: 'anyone',
      database: 'postgres',
      connectionTimeoutMillis: 30_000,
    });
    await client.connect();
    try {
      const result = await client.query('select 41 + 1 as answer');
      expect(result.rows).toEqual([{ answer: 42 }]);
    } finally {
      await client.end();
    }
  }

  it(
    `survives ${CASES} seeded random and mutated handshakes, ends every connection, keeps serving a good client`,
    { timeout: sized(120_000, 3_600_000) },
    async () => {
      await goodClientWorks();
      const warmUp = await runFuzz(broker.port, postgresCases(createRandom(SEED ^ 1), 200), {
        concurrency: 16,
        caseTimeoutMs: HANDSHAKE_MS + 10_000,
        completed: hasAuthenticationOk,
      });
      expect(warmUp.hung).toBe(0);
      const before = measuredMemory();
      let goodRuns = 0;
      const result = await runFuzz(broker.port, postgresCases(createRandom(SEED), CASES), {
        concurrency: 32,
        caseTimeoutMs: HANDSHAKE_MS + 10_000,
        completed: hasAuthenticationOk,
        checkpoint: {
          everyCases: sized(250, 5_000),
          run: async () => {
            await goodClientWorks();
            goodRuns++;
          },
        },
      });
      const after = measuredMemory();
      console.info(
        `[hardening] postgres fuzz: ${JSON.stringify({ ...result, hungSamples: undefined, goodRuns, memory: { kind: after.kind, beforeMB: +(before.bytes / 2 ** 20).toFixed(1), afterMB: +(after.bytes / 2 ** 20).toFixed(1) } })}`,
      );
      expect(result.hungSamples).toEqual([]);
      expect(result).toMatchObject({ cases: CASES, hung: 0, refused: 0, ended: CASES });
      expect(broker.serveErrors).toEqual([]);
      expect(goodRuns).toBeGreaterThanOrEqual(Math.floor(CASES / sized(250, 5_000)));
      // Bounded memory: nothing per case is retained (the limit is far above noise, far below a leak of 1 KiB per case in long mode).
      expect(after.bytes - before.bytes).toBeLessThan((after.kind === 'heapUsed' ? 48 : 160) * 2 ** 20);
      await expect.poll(() => broker.active(), { timeout: 15_000 }).toBe(0);
      await goodClientWorks();
    },
  );

  it('refuses an oversized startup message at its length, without reading it (and, like PostgreSQL, without a word)', async () => {
    const huge = Buffer.alloc(8);
    huge.writeUInt32BE(0x7fffffff, 0);
    huge.writeUInt32BE(196608, 4);
    const declared = await exchange(broker.port, huge);
    expect(declared.received).toEqual(Buffer.alloc(0));

    const big = Buffer.concat([startupMessage({ user: 'admin', database: 'x'.repeat(2 * 2 ** 20) })]);
    const sent = await exchange(broker.port, big, { dripBytes: 64 * 1024 });
    expect(sent.received).toEqual(Buffer.alloc(0));
    expect(sent.cutOff).toBe(true);
    const refusals = broker.recentLogs.filter((r) => String(r.error).startsWith('invalid length of startup packet'));
    expect(refusals.length).toBeGreaterThanOrEqual(2);
  });

  it('lets a slow-drip client go at the handshake deadline (as authentication_timeout does: closed, not answered)', async () => {
    const startup = startupMessage({ user: 'admin', database: 'postgres', application_name: 'a-very-slow-client' });
    const drip = await exchange(broker.port, startup, { dripBytes: 1, dripPauseMs: 100 });
    expect(drip.cutOff).toBe(true);
    expect(firstError(drip.received)).toBeUndefined();
    expect(
      broker.recentLogs.some((r) => String(r.error).includes("while waiting for the client's startup message")),
    ).toBe(true);
    await goodClientWorks();
  });

  it('leaves no sockets, descriptors or timers behind once the broker closes', async () => {
    await broker.close();
    await expectReleased(baseline, { fds: 4, handles: 4 });
  });
});
