// PostgreSQL: direct vs the floors (a raw Node relay, socat) vs the broker, in the same run,
// rotating which goes first: pgbench -S and TPC-B at -c 1/8/32, new-connection latency
// (node-postgres connect + SELECT 1 + end), one-connection SELECT 1 latency, and COPY of ~1 GB
// out through psql. Then the same with TLS to the server (sslmode=require on every path: end to
// end through the relays, broker→server for the broker). The broker runs in its own process
// with cached (literal) credentials and logs in with SCRAM, as the direct clients do.
//
//   npx tsx bench/postgres.bench.ts
//   BENCH_SECONDS=5 BENCH_TLS=0 BENCH_PROFILE=/tmp/prof npx tsx bench/postgres.bench.ts
//   BENCH_BASELINE=/tmp/base npx tsx bench/postgres.bench.ts   # also a broker from /tmp/base
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import pg from 'pg';
import { randomPassword, runCommand, startPostgres } from '../sandbox/servers';
import {
  measureEach,
  rowFromPaths,
  startComparedPaths,
  throughputRow,
  usesPassword,
  withHopCpu,
  type ComparedPaths,
  type PathName,
} from './lib/paths';
import { runNotes, writeReport, type BenchRow } from './lib/report';
import { newConnectionRows, selectOneRow } from './lib/sql-latency';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WITH_TLS = process.env.BENCH_TLS !== '0';
const PROFILE_DIR = process.env.BENCH_PROFILE;
const CONNECT_ITERATIONS = Number(process.env.BENCH_CONNECTS ?? 500);
const QUERY_ITERATIONS = Number(process.env.BENCH_QUERIES ?? 10_000);
/** 10 M rows of 100 characters + newline: 1.01 GB of COPY text. */
const COPY_ROWS = Number(process.env.BENCH_COPY_ROWS ?? 10_000_000);
const COPY_BYTES_PER_ROW = 101;
const USER = 'bench_app';
const DATABASE = 'bench';

interface Endpoint {
  name: PathName;
  port: number;
  /** Environment for libpq tools: the password only on the paths that log in themselves. */
  env: NodeJS.ProcessEnv;
  pgConfig: pg.ClientConfig;
}

function endpoints(paths: ComparedPaths, password: string, tls: boolean): Endpoint[] {
  const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', PGPASSFILE: '/nonexistent/no-password-file' };
  return [...paths.ports].map(([name, port]) => {
    // Through the broker the client leg is plain; the broker→server leg is TLS (its target).
    const clientTls = tls && usesPassword(name);
    const secret = usesPassword(name) ? { password } : {};
    return {
      name,
      port,
      env: {
        ...base,
        PGSSLMODE: clientTls ? 'require' : 'disable',
        ...(usesPassword(name) && { PGPASSWORD: password }),
      },
      pgConfig: {
        host: '127.0.0.1',
        port,
        user: usesPassword(name) ? USER : 'anyone',
        database: DATABASE,
        ssl: clientTls ? { rejectUnauthorized: false } : false,
        ...secret,
      },
    };
  });
}

const run = (command: string, args: string[], env: NodeJS.ProcessEnv, secrets: string[]) =>
  runCommand(command, args, { env, secrets, timeoutMs: 600_000 }).then((r) => r.stdout);

const pgArgs = (e: Endpoint) => ['-h', '127.0.0.1', '-p', String(e.port), '-U', String(e.pgConfig.user)];

async function pgbench(
  e: Endpoint,
  clients: number,
  selectOnly: boolean,
  secrets: string[],
): Promise<{ tps: number; transactions: number }> {
  const args = [
    ...pgArgs(e),
    ...(selectOnly ? ['-S'] : []),
    '-n',
    '-c',
    String(clients),
    '-j',
    String(Math.min(clients, 2)),
    '-T',
    String(SECONDS),
    DATABASE,
  ];
  const out = await run('pgbench', args, e.env, secrets);
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1];
  const transactions = /number of transactions actually processed: (\d+)/.exec(out)?.[1];
  if (!tps || !transactions) throw new Error(`pgbench printed no tps: ${out}`);
  return { tps: Number(tps), transactions: Number(transactions) };
}

/** A node-postgres connection through `e`. */
async function openClient(e: Endpoint): Promise<pg.Client> {
  const client = new pg.Client(e.pgConfig);
  await client.connect();
  return client;
}

/** COPY ~1 GB of generated rows out through psql's \copy into /dev/null; MB/s. */
async function copyOut(e: Endpoint, secrets: string[]): Promise<number> {
  const query = `(select lpad(i::text, 10, '0') || repeat('x', 90) from generate_series(1, ${COPY_ROWS}) i)`;
  const start = performance.now();
  const out = await run(
    'psql',
    ['-X', '-w', ...pgArgs(e), '-d', DATABASE, '-c', `\\copy ${query} to '/dev/null'`],
    e.env,
    secrets,
  );
  const seconds = (performance.now() - start) / 1000;
  if (!out.includes(`COPY ${COPY_ROWS}`))
    throw new Error(`COPY through ${e.name} did not copy ${COPY_ROWS} rows: ${out}`);
  return (COPY_ROWS * COPY_BYTES_PER_ROW) / 1e6 / seconds;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Every row for one set of paths; `label` (e.g. ", TLS") marks the set's metrics. */
async function measureSet(
  list: Endpoint[],
  paths: ComparedPaths,
  label: string,
  secrets: string[],
  hopCpu: string[],
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  let round = 0;
  for (const selectOnly of [true, false]) {
    for (const clients of [1, 8, 32]) {
      const metric = `pgbench ${selectOnly ? '-S' : 'TPC-B'} -c ${clients}${label} (TPS)`;
      const shape = { metric, unit: 'tps', higherIsBetter: true, target: 0.95, unitOfWork: 'transaction' };
      rows.push(
        await throughputRow(list, paths, round++, shape, hopCpu, async (e) => {
          const { tps, transactions } = await pgbench(e, clients, selectOnly, secrets);
          return { value: tps, units: transactions };
        }),
      );
    }
  }

  if (!label) {
    console.log(`new connections × ${CONNECT_ITERATIONS} …`);
    rows.push(...(await newConnectionRows(list, CONNECT_ITERATIONS, openClient)));
  }
  console.log(`SELECT 1 × ${QUERY_ITERATIONS} on one connection${label} …`);
  rows.push(await selectOneRow(list, QUERY_ITERATIONS, openClient, label));

  console.log(`COPY ${((COPY_ROWS * COPY_BYTES_PER_ROW) / 1e9).toFixed(2)} GB out${label}, 2 runs each …`);
  const cpuPerMb = new Map<string, number[]>();
  const copyThrough = async (e: Endpoint) => {
    const { result, cpuMicros } = await withHopCpu(paths, e.name, () => copyOut(e, secrets));
    if (cpuMicros !== undefined)
      cpuPerMb.set(e.name, [...(cpuPerMb.get(e.name) ?? []), cpuMicros / ((COPY_ROWS * COPY_BYTES_PER_ROW) / 1e6)]);
    return result;
  };
  const copies = [
    await measureEach(list, 0, `COPY MB/s${label}`, copyThrough),
    await measureEach(list, 1, `COPY MB/s${label}`, copyThrough),
  ];
  hopCpu.push(
    `COPY${label}: ${[...cpuPerMb]
      .sort()
      .map(([name, xs]) => `${name} ${mean(xs).toFixed(0)}`)
      .join(', ')} µs/MB`,
  );
  const meanCopy = new Map(list.map((e) => [e.name as string, mean(copies.map((c) => c.get(e.name)!))]));
  rows.push(
    rowFromPaths(meanCopy, {
      metric: `COPY TO STDOUT ~1 GB (psql \\copy)${label}`,
      unit: 'MB/s',
      higherIsBetter: true,
      target: 0.9,
    }),
  );
  return rows;
}

async function main() {
  const password = randomPassword();
  const secrets = [password];
  const loadAtStart = os.loadavg()[0]!;
  const server = await startPostgres({ authMethod: 'scram-sha-256', tls: WITH_TLS });
  const started: ComparedPaths[] = [];
  try {
    const admin = new pg.Client({
      host: server.host,
      port: server.port,
      user: server.adminUser,
      password: server.adminPassword,
      database: 'postgres',
    });
    await admin.connect();
    await admin.query(`create role ${USER} login password '${password}'`);
    await admin.query(`create database ${DATABASE} owner ${USER}`);
    await admin.end();
    if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
    const target = { host: server.host, port: server.port, database: DATABASE };
    const values = { username: USER, password };
    const plain = await startComparedPaths(
      server.port,
      { protocol: 'postgres', target: { ...target, sslmode: 'disable' }, values },
      PROFILE_DIR ? { cpuProfDir: PROFILE_DIR } : {},
    );
    started.push(plain);
    const plainList = endpoints(plain, password, false);
    const direct = plainList[0]!;

    console.log('pgbench -i -s 10 …');
    await run('pgbench', [...pgArgs(direct), '-i', '-q', '-s', '10', DATABASE], direct.env, secrets);
    await run('psql', ['-X', '-w', ...pgArgs(direct), '-d', DATABASE, '-c', 'vacuum analyze'], direct.env, secrets);

    const hopCpu: string[] = [];
    const rows = await measureSet(plainList, plain, '', secrets, hopCpu);
    if (WITH_TLS) {
      const tls = await startComparedPaths(server.port, {
        protocol: 'postgres',
        target: { ...target, sslmode: 'require' },
        values,
      });
      started.push(tls);
      rows.push(...(await measureSet(endpoints(tls, password, true), tls, ', TLS', secrets, hopCpu)));
    }

    writeReport({
      name: 'PostgreSQL broker',
      rows,
      notes: [
        `PostgreSQL 15 (SCRAM-SHA-256) on 127.0.0.1; the broker in its own Node process with cached credentials; pgbench -T ${SECONDS} -j min(c,2), scale 10.`,
        'relay = a minimal Node TCP relay in its own process (stream.pipe both ways, TCP_NODELAY); socat = socat with fork and nodelay. Both relay the direct login (with the password); they are the floor of any userland hop.',
        ...(WITH_TLS
          ? [
              '", TLS" rows: sslmode=require; direct and the relays carry TLS end to end (client to server), the broker takes a plain client and speaks TLS to the server.',
            ]
          : []),
        ...runNotes({ loadAtStart, connectClient: 'node-postgres', connectIterations: CONNECT_ITERATIONS, hopCpu }),
      ],
    });
  } finally {
    for (const paths of started) await paths.stop();
    await server.stop();
  }
}

await main();
