// Idle scale: 10,000 brokered PostgreSQL connections open at once (BENCH_IDLE_CONNECTIONS),
// logged in and idle, held for 60 s (BENCH_IDLE_SECONDS), then the connection is turned off
// with all of them open; the same with 1,000 SSH sessions (BENCH_IDLE_SSH_SESSIONS). Figures:
// errors (failed opens, connections lost while idle; target 0), the broker's RSS per idle
// connection after a full GC (target ≤ 16 KiB; pgbouncer's is about 2 kB), and how long turning
// the connection off takes. The broker is the app's connection supervisor in a process of its
// own (lib/supervised-broker.ts); file limits are raised in child shells (`ulimit -n`), and
// PostgreSQL's max_connections is sized for the count.
//
// Each PostgreSQL backend is a process of ~1.3 MiB: 10,000 of them need ~14 GiB. The bench
// checks MemAvailable first and stops with the count that fits rather than push the machine
// into the OOM killer.
//   npx tsx bench/idle.bench.ts
//   BENCH_IDLE_CONNECTIONS=2000 BENCH_IDLE_SSH_SESSIONS=200 BENCH_IDLE_SECONDS=10 npx tsx bench/idle.bench.ts
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import pg from 'pg';
import {
  createSshKeyPair,
  createTempDir,
  randomPassword,
  removeTempDir,
  startPostgres,
  startSshd,
} from '../sandbox/servers';
import { knob } from './lib/config';
import { openIdlePostgres, openIdleSsh, openMany, type IdleConnection } from './lib/idle-clients';
import { availableMemoryBytes, openFileLimit } from './lib/proc';
import { writeReport, type BenchRow } from './lib/report';
import { startSupervisedBroker, type SupervisedBroker, type SupervisedSpec } from './lib/supervised-broker';
import { readFileSync } from 'node:fs';

const ASKED_PG = knob('IDLE_CONNECTIONS', 10_000, 40);
const ASKED_SSH = knob('IDLE_SSH_SESSIONS', 1_000, 8);
/**
 * The broker holds two descriptors per connection (client, backend). Raising the hard limit on
 * open files needs CAP_SYS_RESOURCE, which a container may not grant even to root: the counts
 * are fitted under the hard limit, and the report says so.
 */
const HARD_LIMIT = openFileLimit('self', 'hard');
const fits = (asked: number) => Math.min(asked, Math.floor((HARD_LIMIT - 512) / 2));
const PG_CONNECTIONS = fits(ASKED_PG);
const SSH_SESSIONS = fits(ASKED_SSH);
const SECONDS = knob('IDLE_SECONDS', 60, 1);
const CONCURRENCY = knob('IDLE_OPEN_CONCURRENCY', 50, 8);
/** What one more idle connection costs the machine outside the broker (server side, measured here). */
const PG_BACKEND_BYTES = 1.5 * 2 ** 20;
const SSH_SESSION_BYTES = 4 * 2 ** 20;
const WARMUP = 20;
const OPEN_FILES = Math.min(HARD_LIMIT, 4 * (PG_CONNECTIONS + SSH_SESSIONS) + 4096);

/** This process needs a file descriptor per client: run again under a raised limit when needed. */
function ensureOpenFiles(): void {
  if (openFileLimit() >= OPEN_FILES || process.env.BENCH_IDLE_RAISED) return;
  const argv = [...process.execArgv, ...process.argv.slice(1)];
  const result = spawnSync('/bin/sh', ['-c', `ulimit -n ${OPEN_FILES} && exec "$@"`, 'sh', process.execPath, ...argv], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_IDLE_RAISED: '1' },
  });
  process.exit(result.status ?? 1);
}

function ensureMemory(what: string, count: number, each: number, knobName: string): void {
  const need = count * each;
  const available = availableMemoryBytes();
  if (need > 0.8 * available)
    throw new Error(
      `${count} idle ${what} need ~${(need / 2 ** 30).toFixed(1)} GiB outside the broker and ${(available / 2 ** 30).toFixed(1)} GiB is available: set ${knobName} to at most ${Math.floor((0.8 * available) / each)}`,
    );
}

interface Idle {
  rows: BenchRow[];
  notes: string[];
}

/** Opens `count` idle connections through `broker`, holds them, turns the connection off; the rows. */
async function holdIdle(
  label: string,
  count: number,
  broker: SupervisedBroker,
  open: () => Promise<IdleConnection>,
  serverDrained?: () => Promise<void>,
): Promise<Idle> {
  // Warm up: the code paths compiled, the lazily made state made, before the baseline.
  const warm = await openMany(WARMUP, WARMUP, open);
  for (const c of warm.connections) c.close();
  await Promise.all(warm.connections.map((c) => c.closed));
  const before = await broker.stats();
  if (process.env.BENCH_HEAP) await broker.heapSnapshot(`${process.env.BENCH_HEAP}/${label}-0-open.heapsnapshot`);
  const started = performance.now();
  const { connections, errors } = await openMany(count, CONCURRENCY, open, (n) => console.log(`${label}: ${n} open`));
  const openSeconds = (performance.now() - started) / 1000;
  const open_ = await broker.stats();
  // BENCH_HEAP=DIR: heap snapshots with none and all open, to see what an idle connection holds.
  if (process.env.BENCH_HEAP)
    await broker.heapSnapshot(`${process.env.BENCH_HEAP}/${label}-${connections.length}-open.heapsnapshot`);
  console.log(
    `${label}: ${connections.length} open in ${openSeconds.toFixed(1)} s (${errors.length} failed); holding ${SECONDS} s …`,
  );
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  const held = await broker.stats();
  const lost = connections.map((c) => c.lost()).filter((why): why is string => why !== undefined);
  const offStart = performance.now();
  const { offMs, offCpuMs } = await broker.off();
  await Promise.all(connections.map((c) => c.closed));
  const clientsClosedMs = performance.now() - offStart;
  await serverDrained?.();
  const drainedMs = performance.now() - offStart;
  const perConnection = (key: 'rss' | 'heapUsed' | 'external') =>
    (open_[key] - before[key]) / connections.length / 1024;
  const failures = errors.length + lost.length;
  const sample = [...new Set([...errors, ...lost])].slice(0, 3).join('; ');
  return {
    rows: [
      {
        metric: `${label}: ${count} idle, errors (failed opens, lost while idle)`,
        broker: failures,
        unit: 'connections',
        higherIsBetter: false,
        target: 0,
      },
      {
        metric: `${label}: broker RSS per idle connection`,
        broker: perConnection('rss'),
        unit: 'KiB',
        higherIsBetter: false,
        ...(label === 'PostgreSQL' && { target: 16 }),
      },
      {
        metric: `${label}: broker JS heap per idle connection`,
        broker: perConnection('heapUsed'),
        unit: 'KiB',
        higherIsBetter: false,
      },
      {
        metric: `${label}: time to turn the connection off with ${connections.length} open`,
        broker: offMs,
        unit: 'ms',
        higherIsBetter: false,
      },
      // The rest of the time the broker waits for a core: each close wakes a client or a backend.
      { metric: `${label}: broker CPU time while turning off`, broker: offCpuMs, unit: 'ms', higherIsBetter: false },
      {
        metric: `${label}: until every client saw its connection close`,
        broker: clientsClosedMs,
        unit: 'ms',
        higherIsBetter: false,
      },
      ...(serverDrained
        ? [
            {
              metric: `${label}: until the server had no session left`,
              broker: drainedMs,
              unit: 'ms',
              higherIsBetter: false,
            },
          ]
        : []),
    ],
    notes: [
      `${label}: ${connections.length} of ${count} opened in ${openSeconds.toFixed(1)} s (${CONCURRENCY} at a time), held ${SECONDS} s; broker RSS ${(before.rss / 2 ** 20).toFixed(0)} MiB before, ${(open_.rss / 2 ** 20).toFixed(0)} MiB with all open, ${(held.rss / 2 ** 20).toFixed(0)} MiB after the hold; heap used ${(before.heapUsed / 2 ** 20).toFixed(0)} → ${(open_.heapUsed / 2 ** 20).toFixed(0)} MiB (committed ${(before.heapTotal / 2 ** 20).toFixed(0)} → ${(open_.heapTotal / 2 ** 20).toFixed(0)} MiB), external (Buffers) ${(before.external / 2 ** 20).toFixed(0)} → ${(open_.external / 2 ** 20).toFixed(0)} MiB; ${open_.openFiles} files open; active clients ${held.active}.${sample ? ` Failures: ${sample}.` : ''}`,
    ],
  };
}

async function postgres(): Promise<Idle> {
  ensureMemory('PostgreSQL connections', PG_CONNECTIONS, PG_BACKEND_BYTES, 'BENCH_IDLE_CONNECTIONS');
  const password = randomPassword();
  const server = await startPostgres({ authMethod: 'scram-sha-256' });
  let broker: SupervisedBroker | undefined;
  try {
    const adminConfig = {
      host: server.host,
      port: server.port,
      user: server.adminUser,
      password: server.adminPassword,
      database: 'postgres',
    };
    const setup = new pg.Client(adminConfig);
    await setup.connect();
    await setup.query(`alter system set max_connections = ${PG_CONNECTIONS + WARMUP + 100}`);
    await setup.query(`create role bench_app login password '${password}'`);
    await setup.query('create database bench owner bench_app');
    await setup.end();
    await server.restart();
    const spec: SupervisedSpec = {
      protocol: 'postgres',
      target: { host: server.host, port: server.port, database: 'bench', sslmode: 'disable' },
      values: { username: 'bench_app', password },
    };
    broker = await startSupervisedBroker(spec, OPEN_FILES);
    const admin = new pg.Client(adminConfig);
    await admin.connect();
    const drained = async () => {
      const sql = "select count(*) as n from pg_stat_activity where usename = 'bench_app'";
      while (Number((await admin.query<{ n: string }>(sql)).rows[0]!.n) > 0)
        await new Promise((r) => setTimeout(r, 20));
    };
    const port = broker.port;
    const result = await holdIdle('PostgreSQL', PG_CONNECTIONS, broker, () => openIdlePostgres(port, 'bench'), drained);
    await admin.end();
    return result;
  } finally {
    await broker?.stop();
    await server.stop();
  }
}

async function ssh(): Promise<Idle> {
  ensureMemory('SSH sessions', SSH_SESSIONS, SSH_SESSION_BYTES, 'BENCH_IDLE_SSH_SESSIONS');
  const dir = createTempDir('bench-idle-ssh');
  let broker: SupervisedBroker | undefined;
  let sshd: Awaited<ReturnType<typeof startSshd>> | undefined;
  try {
    const key = await createSshKeyPair(dir, { name: 'target' });
    sshd = await startSshd({ authorizedKeys: [key.publicKey] });
    const spec: SupervisedSpec = {
      protocol: 'ssh',
      target: { host: sshd.host, port: sshd.port, user: sshd.user, hostKey: sshd.hostPublicKey },
      values: { private_key: readFileSync(key.privateKeyFile, 'utf8') },
    };
    broker = await startSupervisedBroker(spec, OPEN_FILES);
    const port = broker.port;
    return await holdIdle('SSH', SSH_SESSIONS, broker, () => openIdleSsh(port));
  } finally {
    await broker?.stop();
    await sshd?.stop();
    removeTempDir(dir);
  }
}

ensureOpenFiles();
const loadAtStart = os.loadavg()[0]!;
const parts = [await postgres(), await ssh()];
writeReport({
  name: 'Idle scale',
  rows: parts.flatMap((p) => p.rows),
  notes: [
    'The broker: the connection supervisor with one connection (cached credentials), in its own process; clients: a hand-written PostgreSQL startup (StartupMessage, wait for ReadyForQuery) and ssh2 clients logged in with none, no channel (ssh -N), all in the bench process. Turning off = supervisor.stop(): the listener closes and every client connection is ended.',
    'Per-connection figures: (broker memory with all open − with none open after a warm-up) / count, each after a full GC. pgbouncer needs about 2 kB per idle client; sshd needs two processes per session.',
    ...parts.flatMap((p) => p.notes),
    ...(PG_CONNECTIONS < ASKED_PG || SSH_SESSIONS < ASKED_SSH
      ? [
          `Asked for ${ASKED_PG} PostgreSQL / ${ASKED_SSH} SSH: this machine's hard limit on open files is ${HARD_LIMIT} and the broker holds two per connection, so ${PG_CONNECTIONS} / ${SSH_SESSIONS} were opened (raising a hard limit needs CAP_SYS_RESOURCE).`,
        ]
      : []),
    `1-minute load average ${loadAtStart.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end (${os.cpus().length} cores, shared).`,
  ],
});
