// MariaDB broker vs direct, in the same run, alternating which goes first: new-connection
// latency (mysql2 connect + SELECT 1 + end), one-connection SELECT 1 latency, and mariadb-slap
// read throughput at -c 1/8/32. The broker runs in its own process with cached (literal)
// credentials and logs in with mysql_native_password, as the direct clients do.
//
//   npx tsx bench/mysql.bench.ts
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import mysql from 'mysql2/promise';
import { randomPassword, startMariaDb } from '../sandbox/servers';
import { startBrokerProcess, type BrokerProcess } from './lib/broker-process';
import { percentile, writeReport, type BenchRow } from './lib/report';

const PROFILE_DIR = process.env.BENCH_PROFILE;
const CONNECT_ITERATIONS = Number(process.env.BENCH_CONNECTS ?? 500);
const QUERY_ITERATIONS = Number(process.env.BENCH_QUERIES ?? 10_000);
const SLAP_QUERIES = Number(process.env.BENCH_SLAP_QUERIES ?? 40_000);
const USER = 'bench_app';

interface Endpoint {
  name: 'direct' | 'broker';
  port: number;
  /** Environment for the mariadb tools: the password (MYSQL_PWD) only on the direct path. */
  env: NodeJS.ProcessEnv;
  options: mysql.ConnectionOptions;
}

const ordered = <T>(pair: T[], round: number): T[] => (round % 2 === 0 ? pair : [...pair].reverse());

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${command} failed (${code}): ${stderr.trim()}`))));
  });
}

/** mariadb-slap's auto-generated read load; queries per second over its average run time. */
async function slap(e: Endpoint, clients: number): Promise<number> {
  const args = [
    '--no-defaults', '--protocol=tcp', '-h', '127.0.0.1', '-P', String(e.port), '-u', e.name === 'direct' ? USER : 'anyone',
    `--concurrency=${clients}`, '--iterations=2', `--number-of-queries=${SLAP_QUERIES}`,
    '--auto-generate-sql', '--auto-generate-sql-load-type=read', '--create-schema=slap',
  ];
  const out = await run('mariadb-slap', args, e.env);
  const seconds = /Average number of seconds to run all queries: ([\d.]+) seconds/.exec(out)?.[1];
  if (!seconds) throw new Error(`mariadb-slap printed no average: ${out}`);
  return SLAP_QUERIES / Number(seconds);
}

async function connectLatency(pair: Endpoint[]): Promise<Map<string, number[]>> {
  const samples = new Map(pair.map((e) => [e.name, [] as number[]]));
  for (let round = 0; round * 10 < CONNECT_ITERATIONS; round++) {
    for (const e of ordered(pair, round)) {
      for (let i = 0; i < 10; i++) {
        const start = performance.now();
        const connection = await mysql.createConnection(e.options);
        await connection.query('select 1');
        await connection.end();
        samples.get(e.name)!.push(performance.now() - start);
      }
    }
  }
  return samples;
}

async function queryLatency(pair: Endpoint[]): Promise<Map<string, number[]>> {
  const connections = new Map<string, mysql.Connection>();
  for (const e of pair) {
    const connection = await mysql.createConnection(e.options);
    await connection.query('select 1');
    connections.set(e.name, connection);
  }
  const samples = new Map(pair.map((e) => [e.name, [] as number[]]));
  for (let round = 0; round * 500 < QUERY_ITERATIONS; round++) {
    for (const e of ordered(pair, round)) {
      const connection = connections.get(e.name)!;
      for (let i = 0; i < 500; i++) {
        const start = performance.now();
        await connection.query('select 1');
        samples.get(e.name)!.push(performance.now() - start);
      }
    }
  }
  await Promise.all([...connections.values()].map((c) => c.end()));
  return samples;
}

async function main() {
  const password = randomPassword();
  const loadAtStart = os.loadavg()[0]!;
  const server = await startMariaDb();
  let broker: BrokerProcess | undefined;
  try {
    const admin = await mysql.createConnection({ host: server.host, port: server.port, user: server.adminUser, password: server.adminPassword });
    await admin.query(`CREATE USER '${USER}'@'%' IDENTIFIED BY '${password}'`);
    await admin.query(`GRANT ALL ON *.* TO '${USER}'@'%'`);
    await admin.end();
    if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
    broker = await startBrokerProcess(
      { protocol: 'mysql', target: { host: server.host, port: server.port, sslmode: 'disable' }, values: { username: USER, password } },
      PROFILE_DIR ? { cpuProfDir: PROFILE_DIR } : {},
    );
    const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', HOME: '/nonexistent' };
    const pair: Endpoint[] = [
      { name: 'direct', port: server.port, env: { ...base, MYSQL_PWD: password }, options: { host: '127.0.0.1', port: server.port, user: USER, password } },
      { name: 'broker', port: broker.port, env: base, options: { host: '127.0.0.1', port: broker.port, user: 'anyone' } },
    ];

    const rows: BenchRow[] = [];
    let round = 0;
    for (const clients of [1, 8, 32]) {
      const qps: Record<string, number> = {};
      for (const e of ordered(pair, round++)) qps[e.name] = await slap(e, clients);
      const metric = `mariadb-slap read -c ${clients} (queries/s)`;
      rows.push({ metric, direct: qps.direct!, broker: qps.broker!, unit: 'q/s', higherIsBetter: true, target: 0.95 });
      console.log(`${metric}: direct ${qps.direct!.toFixed(0)}, broker ${qps.broker!.toFixed(0)}`);
    }

    console.log(`new connections × ${CONNECT_ITERATIONS} …`);
    const connects = await connectLatency(pair);
    const [d50, b50] = [percentile(connects.get('direct')!, 0.5), percentile(connects.get('broker')!, 0.5)];
    rows.push({ metric: 'new connection p50 (connect + SELECT 1 + end)', direct: d50, broker: b50, unit: 'ms', higherIsBetter: false, target: Number(((d50 + 1) / d50).toFixed(3)) });
    rows.push({ metric: 'new connection p99', direct: percentile(connects.get('direct')!, 0.99), broker: percentile(connects.get('broker')!, 0.99), unit: 'ms', higherIsBetter: false });

    console.log(`SELECT 1 × ${QUERY_ITERATIONS} on one connection …`);
    const queries = await queryLatency(pair);
    rows.push({ metric: 'one-connection SELECT 1 p50', direct: percentile(queries.get('direct')!, 0.5), broker: percentile(queries.get('broker')!, 0.5), unit: 'ms', higherIsBetter: false, target: 1.15 });

    writeReport({
      name: 'MariaDB broker',
      rows,
      notes: [
        'MariaDB 10.11 (mysql_native_password, no TLS) on 127.0.0.1; the broker in its own Node process with cached credentials.',
        `mariadb-slap: --auto-generate-sql read load, 2 iterations, ${SLAP_QUERIES} queries; q/s = queries / average seconds.`,
        `Broker and direct alternate which runs first. Client, broker and server share the machine's ${os.cpus().length} cores; 1-minute load average ${loadAtStart.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end (other work on the machine counts).`,
        `New connection: ${CONNECT_ITERATIONS} × mysql2 connect + SELECT 1 + end each way; target ≤ direct + 1 ms at p50.`,
      ],
    });
  } finally {
    await broker?.stop();
    await server.stop();
  }
}

await main();
