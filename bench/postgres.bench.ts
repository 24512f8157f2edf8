// PostgreSQL: direct vs the floors (socat, a raw Node relay) vs the broker, in the same run, in
// ROUNDS rounds rotating which path goes first: pgbench -S and TPC-B at -c 1/8/32, new-connection
// latency (node-postgres connect + SELECT 1 + end), one-connection SELECT 1 latency (p50, p99),
// and COPY of ~1 GB out and in through psql. Then the same with TLS to the server
// (sslmode=require on every path: end to end through the floors, broker→server for the broker).
// The broker runs in its own process with cached (literal) credentials and logs in with SCRAM,
// as the direct clients do. Every data-phase row carries the hop floor: broker/socat ≥ 0.95.
//
//   npx tsx bench/postgres.bench.ts
//   BENCH_SECONDS=5 BENCH_TLS=0 BENCH_COPY_ROWS=1000000 BENCH_PROFILE=/tmp/prof npx tsx bench/postgres.bench.ts
//   BENCH_BASELINE=/tmp/base npx tsx bench/postgres.bench.ts   # also a broker from /tmp/base
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createTempDir, randomPassword, removeTempDir, startPostgres } from '../sandbox/servers';
import { flag, knob, knobList, ROUNDS } from './lib/config';
import { startComparedPaths, throughputRow, type ComparedPaths } from './lib/paths';
import {
  COPY_BYTES_PER_ROW,
  COPY_IN_TABLE,
  copyIn,
  copyOut,
  DATABASE,
  openPgClient,
  pgArgs,
  pgbench,
  pgEndpoints,
  runTool,
  USER,
  writeCopyFile,
  type PgEndpoint,
} from './lib/pg-tools';
import { floorTarget, runNotes, writeReport, type BenchRow } from './lib/report';
import { newConnectionRows, selectOneRows } from './lib/sql-latency';

const SECONDS = knob('SECONDS', 10, 1);
/** pgbench transactions per client instead of SECONDS (the tiny mode's way to be quick). */
const TRANSACTIONS = knob('TRANSACTIONS', 0, 30);
const CLIENTS = knobList('CLIENTS', [1, 8, 32], [2]);
const WITH_TLS = flag('TLS');
const PROFILE_DIR = process.env.BENCH_PROFILE;
const CONNECT_ITERATIONS = knob('CONNECTS', 500, 20);
const QUERY_ITERATIONS = knob('QUERIES', 10_000, 200);
/** 10 M rows of 100 characters + newline: 1.01 GB of COPY text each way. */
const COPY_ROWS = knob('COPY_ROWS', 10_000_000, 2_000);
const COPY_MB = (COPY_ROWS * COPY_BYTES_PER_ROW) / 1e6;
const COPY_SIZE = COPY_MB >= 1000 ? `${(COPY_MB / 1000).toFixed(2)} GB` : `${COPY_MB.toFixed(1)} MB`;

interface Context {
  secrets: string[];
  hopCpu: string[];
  copyFile: string;
}

/** Every row for one set of paths; `label` (e.g. ", TLS") marks the set's metrics. */
async function measureSet(list: PgEndpoint[], paths: ComparedPaths, label: string, ctx: Context): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const floor = floorTarget(true);
  for (const selectOnly of [true, false]) {
    for (const clients of CLIENTS) {
      const metric = `pgbench ${selectOnly ? '-S' : 'TPC-B'} -c ${clients}${label} (TPS)`;
      const shape = {
        metric,
        unit: 'tps',
        higherIsBetter: true,
        target: 0.95,
        floorTarget: floor,
        unitOfWork: 'transaction',
      };
      rows.push(
        await throughputRow(list, paths, shape, ctx.hopCpu, async (e) => {
          const run = { clients, selectOnly, seconds: SECONDS, transactions: TRANSACTIONS };
          const { tps, transactions } = await pgbench(e, run, ctx.secrets);
          return { value: tps, units: transactions };
        }),
      );
    }
  }
  if (!label) {
    console.log(`new connections × ${CONNECT_ITERATIONS} …`);
    rows.push(...(await newConnectionRows(list, CONNECT_ITERATIONS, openPgClient)));
  }
  console.log(`SELECT 1 × ${QUERY_ITERATIONS} on one connection${label} …`);
  rows.push(...(await selectOneRows(list, QUERY_ITERATIONS, openPgClient, { label })));

  for (const [direction, copy] of [
    ['TO STDOUT', (e: PgEndpoint) => copyOut(e, COPY_ROWS, ctx.secrets)],
    ['FROM STDIN', (e: PgEndpoint) => copyIn(e, ctx.copyFile, COPY_ROWS, ctx.secrets)],
  ] as const) {
    console.log(`COPY ${direction} ${COPY_SIZE}${label}, ${ROUNDS} rounds …`);
    const metric = `COPY ${direction} ${COPY_SIZE} (psql \\copy)${label}`;
    const shape = { metric, unit: 'MB/s', higherIsBetter: true, target: 0.9, floorTarget: floor, unitOfWork: 'MB' };
    rows.push(
      await throughputRow(list, paths, shape, ctx.hopCpu, async (e) => ({ value: await copy(e), units: COPY_MB })),
    );
  }
  return rows;
}

async function main() {
  const password = randomPassword();
  const loadAtStart = os.loadavg()[0]!;
  const server = await startPostgres({ authMethod: 'scram-sha-256', tls: WITH_TLS });
  const dir = createTempDir('bench-postgres');
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
    const plainList = pgEndpoints(plain.ports, password, false);
    const direct = plainList[0]!;
    const secrets = [password];

    console.log('pgbench -i -s 10, the COPY file …');
    await runTool(
      'pgbench',
      [...pgArgs(direct), '-i', '-q', '-s', TRANSACTIONS ? '1' : '10', DATABASE],
      direct.env,
      secrets,
    );
    for (const sql of [`create unlogged table ${COPY_IN_TABLE} (line text)`, 'vacuum analyze'])
      await runTool('psql', ['-X', '-w', ...pgArgs(direct), '-d', DATABASE, '-c', sql], direct.env, secrets);
    const ctx: Context = { secrets, hopCpu: [], copyFile: path.join(dir, 'copy.txt') };
    await writeCopyFile(ctx.copyFile, COPY_ROWS);

    const rows = await measureSet(plainList, plain, '', ctx);
    if (WITH_TLS) {
      const tls = await startComparedPaths(server.port, {
        protocol: 'postgres',
        target: { ...target, sslmode: 'require' },
        values,
      });
      started.push(tls);
      rows.push(...(await measureSet(pgEndpoints(tls.ports, password, true), tls, ', TLS', ctx)));
    }

    writeReport({
      name: 'PostgreSQL broker',
      rows,
      notes: [
        `PostgreSQL 15 (SCRAM-SHA-256) on 127.0.0.1; the broker in its own Node process with cached credentials; pgbench ${TRANSACTIONS ? `-t ${TRANSACTIONS}` : `-T ${SECONDS}`} -j min(c,2), scale ${TRANSACTIONS ? 1 : 10}; ${ROUNDS} rounds.`,
        'socat = socat with fork and nodelay (the hop floor: broker/socat ≥ 0.95 on every data-phase row); relay = a minimal Node TCP relay in its own process (stream.pipe both ways, TCP_NODELAY). Both relay the direct login (with the password).',
        `COPY in fills an unlogged table from a ${COPY_SIZE} file (emptied before each run).`,
        ...(WITH_TLS
          ? [
              '", TLS" rows: sslmode=require; direct and the floors carry TLS end to end (client to server), the broker takes a plain client and speaks TLS to the server.',
            ]
          : []),
        ...runNotes({
          loadAtStart,
          connectClient: 'node-postgres',
          connectIterations: CONNECT_ITERATIONS,
          hopCpu: ctx.hopCpu,
        }),
      ],
    });
  } finally {
    for (const paths of started) await paths.stop();
    await server.stop();
    removeTempDir(dir);
  }
}

await main();
