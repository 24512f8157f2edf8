// PostgreSQL broker vs direct, in the same run, alternating which goes first: pgbench -S and
// TPC-B at -c 1/8/32, new-connection latency (node-postgres connect + SELECT 1 + end), COPY of
// ~1 GB out through psql, and one-connection SELECT 1 latency. The broker runs in its own
// process with cached (literal) credentials and logs in with SCRAM, as the direct clients do.
//
//   npx tsx bench/postgres.bench.ts
//   BENCH_SECONDS=5 BENCH_PROFILE=/tmp/prof npx tsx bench/postgres.bench.ts
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { randomPassword, startPostgres, type PostgresServer } from '../sandbox/servers';
import { startBrokerProcess, type BrokerProcess } from './lib/broker-process';
import { percentile, writeReport, type BenchRow } from './lib/report';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const PROFILE_DIR = process.env.BENCH_PROFILE;
const CONNECT_ITERATIONS = Number(process.env.BENCH_CONNECTS ?? 500);
const QUERY_ITERATIONS = Number(process.env.BENCH_QUERIES ?? 10_000);
/** 10 M rows of 100 characters + newline: 1.01 GB of COPY text. */
const COPY_ROWS = Number(process.env.BENCH_COPY_ROWS ?? 10_000_000);
const COPY_BYTES_PER_ROW = 101;
const USER = 'bench_app';
const DATABASE = 'bench';

interface Endpoint {
  name: 'direct' | 'broker';
  port: number;
  /** Environment for libpq tools: the password only on the direct path. */
  env: NodeJS.ProcessEnv;
  pgConfig: pg.ClientConfig;
}

function endpoints(server: PostgresServer, password: string, broker: BrokerProcess): Endpoint[] {
  const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', PGPASSFILE: '/nonexistent/no-password-file' };
  return [
    {
      name: 'direct',
      port: server.port,
      env: { ...base, PGPASSWORD: password },
      pgConfig: { host: '127.0.0.1', port: server.port, user: USER, password, database: DATABASE },
    },
    {
      name: 'broker',
      port: broker.port,
      env: base,
      pgConfig: { host: '127.0.0.1', port: broker.port, user: 'anyone', database: DATABASE },
    },
  ];
}

/** Alternates which endpoint goes first, so drift on a shared machine hits both alike. */
const ordered = <T>(pair: T[], round: number): T[] => (round % 2 === 0 ? pair : [...pair].reverse());

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function mustRun(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const result = await run(command, args, env);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.code}): ${result.stderr.trim()}`);
  return result.stdout;
}

const pgArgs = (e: Endpoint) => ['-h', '127.0.0.1', '-p', String(e.port), '-U', e.name === 'direct' ? USER : 'anyone'];

async function pgbench(e: Endpoint, clients: number, selectOnly: boolean): Promise<{ tps: number; transactions: number }> {
  const args = [...pgArgs(e), ...(selectOnly ? ['-S'] : []), '-n', '-c', String(clients), '-j', String(Math.min(clients, 2)), '-T', String(SECONDS), DATABASE];
  const out = await mustRun('pgbench', args, e.env);
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1];
  const transactions = /number of transactions actually processed: (\d+)/.exec(out)?.[1];
  if (!tps || !transactions) throw new Error(`pgbench printed no tps: ${out}`);
  return { tps: Number(tps), transactions: Number(transactions) };
}

/** connect + SELECT 1 + end, in ms, alternating endpoints in blocks of 10. */
async function connectLatency(pair: Endpoint[]): Promise<Map<string, number[]>> {
  const samples = new Map(pair.map((e) => [e.name, [] as number[]]));
  for (let round = 0; round * 10 < CONNECT_ITERATIONS; round++) {
    for (const e of ordered(pair, round)) {
      for (let i = 0; i < 10; i++) {
        const start = performance.now();
        const client = new pg.Client(e.pgConfig);
        await client.connect();
        await client.query('select 1');
        await client.end();
        samples.get(e.name)!.push(performance.now() - start);
      }
    }
  }
  return samples;
}

/** SELECT 1 round trips on one open connection per endpoint, in ms, alternating in blocks of 500. */
async function queryLatency(pair: Endpoint[]): Promise<Map<string, number[]>> {
  const clients = new Map<string, pg.Client>();
  for (const e of pair) {
    const client = new pg.Client(e.pgConfig);
    await client.connect();
    await client.query('select 1'); // warm up
    clients.set(e.name, client);
  }
  const samples = new Map(pair.map((e) => [e.name, [] as number[]]));
  for (let round = 0; round * 500 < QUERY_ITERATIONS; round++) {
    for (const e of ordered(pair, round)) {
      const client = clients.get(e.name)!;
      for (let i = 0; i < 500; i++) {
        const start = performance.now();
        await client.query('select 1');
        samples.get(e.name)!.push(performance.now() - start);
      }
    }
  }
  await Promise.all([...clients.values()].map((c) => c.end()));
  return samples;
}

/** COPY ~1 GB of generated rows out through psql's \copy into /dev/null; MB/s. */
async function copyOut(e: Endpoint): Promise<number> {
  const query = `(select lpad(i::text, 10, '0') || repeat('x', 90) from generate_series(1, ${COPY_ROWS}) i)`;
  const start = performance.now();
  const out = await mustRun('psql', ['-X', '-w', ...pgArgs(e), '-d', DATABASE, '-c', `\\copy ${query} to '/dev/null'`], e.env);
  const seconds = (performance.now() - start) / 1000;
  if (!out.includes(`COPY ${COPY_ROWS}`)) throw new Error(`COPY through ${e.name} did not copy ${COPY_ROWS} rows: ${out}`);
  return (COPY_ROWS * COPY_BYTES_PER_ROW) / 1e6 / seconds;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function main() {
  const password = randomPassword();
  const loadAtStart = os.loadavg()[0]!;
  const server = await startPostgres({ authMethod: 'scram-sha-256' });
  let broker: BrokerProcess | undefined;
  try {
    const admin = new pg.Client({ host: server.host, port: server.port, user: server.adminUser, password: server.adminPassword, database: 'postgres' });
    await admin.connect();
    await admin.query(`create role ${USER} login password '${password}'`);
    await admin.query(`create database ${DATABASE} owner ${USER}`);
    await admin.end();
    if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
    broker = await startBrokerProcess(
      { protocol: 'postgres', target: { host: server.host, port: server.port, database: DATABASE, sslmode: 'disable' }, values: { username: USER, password } },
      PROFILE_DIR ? { cpuProfDir: PROFILE_DIR } : {},
    );
    const pair = endpoints(server, password, broker);
    const direct = pair[0]!;

    console.log('pgbench -i -s 10 …');
    await mustRun('pgbench', [...pgArgs(direct), '-i', '-q', '-s', '10', DATABASE], direct.env);
    await mustRun('psql', ['-X', '-w', ...pgArgs(direct), '-d', DATABASE, '-c', 'vacuum analyze'], direct.env);

    const rows: BenchRow[] = [];
    /** The broker process's CPU time per pgbench transaction: steadier than TPS on a busy machine. */
    const brokerCpu: { label: string; micros: number }[] = [];
    let round = 0;
    for (const selectOnly of [true, false]) {
      for (const clients of [1, 8, 32]) {
        const tps: Record<string, number> = {};
        for (const e of ordered(pair, round++)) {
          const cpuBefore = e.name === 'broker' ? await broker.cpuMicros() : 0;
          const result = await pgbench(e, clients, selectOnly);
          tps[e.name] = result.tps;
          if (e.name === 'broker') brokerCpu.push({ label: `${selectOnly ? '-S' : 'TPC-B'} -c ${clients}`, micros: ((await broker.cpuMicros()) - cpuBefore) / result.transactions });
        }
        const metric = `pgbench ${selectOnly ? '-S' : 'TPC-B'} -c ${clients} (TPS)`;
        rows.push({ metric, direct: tps.direct!, broker: tps.broker!, unit: 'tps', higherIsBetter: true, target: 0.95 });
        console.log(`${metric}: direct ${tps.direct!.toFixed(0)}, broker ${tps.broker!.toFixed(0)}`);
      }
    }

    console.log(`new connections × ${CONNECT_ITERATIONS} …`);
    const connects = await connectLatency(pair);
    const [d50, b50] = [percentile(connects.get('direct')!, 0.5), percentile(connects.get('broker')!, 0.5)];
    // The target is "≤ 1 ms more than direct at p50", written as the ratio it allows.
    rows.push({ metric: 'new connection p50 (connect + SELECT 1 + end)', direct: d50, broker: b50, unit: 'ms', higherIsBetter: false, target: Number(((d50 + 1) / d50).toFixed(3)) });
    rows.push({ metric: 'new connection p99', direct: percentile(connects.get('direct')!, 0.99), broker: percentile(connects.get('broker')!, 0.99), unit: 'ms', higherIsBetter: false });

    console.log(`SELECT 1 × ${QUERY_ITERATIONS} on one connection …`);
    const queries = await queryLatency(pair);
    rows.push({ metric: 'one-connection SELECT 1 p50', direct: percentile(queries.get('direct')!, 0.5), broker: percentile(queries.get('broker')!, 0.5), unit: 'ms', higherIsBetter: false, target: 1.15 });

    console.log(`COPY ${((COPY_ROWS * COPY_BYTES_PER_ROW) / 1e9).toFixed(2)} GB out, 2 runs each …`);
    const copies: Record<string, number[]> = { direct: [], broker: [] };
    for (let i = 0; i < 2; i++) for (const e of ordered(pair, i)) copies[e.name]!.push(await copyOut(e));
    rows.push({ metric: 'COPY TO STDOUT ~1 GB (psql \\copy)', direct: mean(copies.direct!), broker: mean(copies.broker!), unit: 'MB/s', higherIsBetter: true, target: 0.9 });

    writeReport({
      name: 'PostgreSQL broker',
      rows,
      notes: [
        `PostgreSQL 15 (SCRAM-SHA-256, no TLS) on 127.0.0.1; the broker in its own Node process with cached credentials; pgbench -T ${SECONDS} -j min(c,2), scale 10.`,
        `Broker and direct alternate which runs first. Client, broker and server share the machine's ${os.cpus().length} cores; 1-minute load average ${loadAtStart.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end (other work on the machine counts).`,
        `New connection: ${CONNECT_ITERATIONS} × node-postgres connect + SELECT 1 + end each way; target ≤ direct + 1 ms at p50.`,
        `Broker CPU (user + system) per pgbench transaction: ${brokerCpu.map((c) => `${c.label} ${c.micros.toFixed(1)} µs`).join('; ')}.`,
      ],
    });
  } finally {
    await broker?.stop();
    await server.stop();
  }
}

await main();
