// Load and soak: pgbench clients through one broker (short: 20 clients for 10 s; long: 200
// clients for HARDENING_SOAK_SECONDS, default 300). After a warm-up run, the second run may
// grow the broker's memory and descriptors by under 10 %, with zero failed transactions.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresConnector } from '../broker/postgres';
import { startPostgres, type PostgresServer } from '../sandbox/servers';
import { countResources, measuredMemory } from './testing/leaks';
import { sized } from './testing/mode';
import { fixedCredentials, serveConnector, type ServedConnector } from './testing/serve-connector';

const CLIENTS = sized(20, 200);
const SECONDS = sized(10, Number(process.env.HARDENING_SOAK_SECONDS ?? 300));
const WARM_UP_SECONDS = sized(3, 30);

function pgbench(port: number, args: string[]): Promise<{ code: number | null; out: string }> {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'C',
    PGPASSFILE: '/nonexistent/sesame-no-password-file',
  };
  return new Promise((resolve, reject) => {
    const child = spawn('pgbench', ['-h', '127.0.0.1', '-p', String(port), '-U', 'whoever', ...args, 'postgres'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe(`soak: ${CLIENTS} pgbench clients through one broker for ${SECONDS} s`, () => {
  let server: PostgresServer;
  let broker: ServedConnector;

  beforeAll(async () => {
    server = await startPostgres();
    const connector = createPostgresConnector({
      host: server.host,
      port: server.port,
      database: 'postgres',
      sslmode: 'disable',
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

  it(
    'serves every transaction, and memory and descriptors grow under 10 % after warm-up',
    { timeout: (SECONDS + WARM_UP_SECONDS) * 1000 + 120_000 },
    async () => {
      const init = await pgbench(broker.port, ['-i', '-q', '-s', '1']);
      expect(init.code, init.out).toBe(0);
      const run = (seconds: number) =>
        pgbench(broker.port, ['-c', String(CLIENTS), '-j', '2', '-T', String(seconds), '-n']);

      const warm = await run(WARM_UP_SECONDS);
      expect(warm.code, warm.out).toBe(0);
      await expect.poll(() => broker.active(), { timeout: 15_000 }).toBe(0);
      const memoryBefore = measuredMemory();
      const fdsBefore = countResources().fds;

      const soak = await run(SECONDS);
      expect(soak.code, soak.out).toBe(0);
      expect(soak.out).toMatch(/number of failed transactions: 0 /);
      const processed = Number(/number of transactions actually processed: (\d+)/.exec(soak.out)?.[1] ?? 0);
      expect(processed).toBeGreaterThan(0);
      await expect.poll(() => broker.active(), { timeout: 15_000 }).toBe(0);
      const memoryAfter = measuredMemory();
      const fdsAfter = countResources().fds;
      const growth = (memoryAfter.bytes - memoryBefore.bytes) / memoryBefore.bytes;
      console.info(
        `[hardening] soak: ${CLIENTS} clients, ${SECONDS} s, ${processed} transactions, 0 failed; ${memoryAfter.kind} ${(memoryBefore.bytes / 2 ** 20).toFixed(1)} → ${(memoryAfter.bytes / 2 ** 20).toFixed(1)} MiB (${(growth * 100).toFixed(1)} %), fds ${fdsBefore} → ${fdsAfter}`,
      );
      expect(growth).toBeLessThan(0.1);
      expect(fdsAfter).toBeLessThanOrEqual(Math.ceil(fdsBefore * 1.1));
      expect(broker.serveErrors).toEqual([]);
    },
  );
});
