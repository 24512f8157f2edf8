// A remote database: the same comparison with the server BENCH_DELAY_MS (1 ms) away each way,
// through the latency injector (lib/latency-injector.ts) in front of the server for every path
// alike (direct, socat, broker). On loopback every userland hop is a large part of a round
// trip; a real network makes it a small one, and these rows say how small. PostgreSQL:
// pgbench TPC-B -c 8 (target broker/direct ≥ 0.97), SELECT 1 p50 (≤ 1.03), new connection p50
// (≤ direct + 1 ms). MariaDB: mariadb-slap's mixed load -c 8 (reads and writes, its TPC-B) and
// the same latency rows.
//
//   npx tsx bench/remote.bench.ts
//   BENCH_DELAY_MS=5 BENCH_SECONDS=5 npx tsx bench/remote.bench.ts
import os from 'node:os';
import mysql from 'mysql2/promise';
import pg from 'pg';
import {
  randomPassword,
  startMariaDb,
  startPostgres,
  type MariaDbServer,
  type PostgresServer,
} from '../sandbox/servers';
import { knob, ROUNDS } from './lib/config';
import { startLatencyInjector, type LatencyInjector } from './lib/latency-injector';
import { mysqlEndpoints, openMysqlConnection, slap, USER as MY_USER } from './lib/mysql-tools';
import { startComparedPaths, throughputRow, type ComparedPaths } from './lib/paths';
import { DATABASE, openPgClient, pgArgs, pgbench, pgEndpoints, runTool, USER as PG_USER } from './lib/pg-tools';
import { writeReport, type BenchRow } from './lib/report';
import { newConnectionRows, selectOneRows } from './lib/sql-latency';

const DELAY_MS = knob('DELAY_MS', 1, 1);
const SECONDS = knob('SECONDS', 10, 1);
const TRANSACTIONS = knob('TRANSACTIONS', 0, 10);
/** pgbench's scale: at least the client count, so TPC-B's branch rows are not what is measured. */
const SCALE = knob('SCALE', 10, 1);
const CLIENTS = knob('REMOTE_CLIENTS', 8, 2);
const QUERIES = knob('REMOTE_QUERIES', 2_000, 20);
const CONNECTS = knob('REMOTE_CONNECTS', 200, 4);
const SLAP_QUERIES = knob('REMOTE_SLAP_QUERIES', 10_000, 40);
const label = `, ${DELAY_MS} ms away`;

interface Measured {
  rows: BenchRow[];
  notes: string[];
}

/** Paths to the server through an injector; `measure` gets the injector's port's paths. */
async function throughInjector(
  serverPort: number,
  spec: (injectorPort: number) => Parameters<typeof startComparedPaths>[1],
  measure: (paths: ComparedPaths, injector: LatencyInjector) => Promise<Measured>,
): Promise<Measured> {
  const injector = await startLatencyInjector(serverPort, DELAY_MS);
  let paths: ComparedPaths | undefined;
  try {
    paths = await startComparedPaths(injector.port, spec(injector.port), { nodeRelay: false });
    await injector.delays(); // from here on
    const measured = await measure(paths, injector);
    const d = await injector.delays();
    measured.notes.push(
      `the injector held ${d.chunks} chunks: p50 ${d.p50.toFixed(2)} ms, p99 ${d.p99.toFixed(2)} ms, max ${d.max.toFixed(1)} ms each way (asked: ${DELAY_MS} ms).`,
    );
    return measured;
  } finally {
    await paths?.stop();
    await injector.stop();
  }
}

async function postgres(server: PostgresServer): Promise<Measured> {
  const password = randomPassword();
  const secrets = [password];
  const admin = new pg.Client({
    host: server.host,
    port: server.port,
    user: server.adminUser,
    password: server.adminPassword,
    database: 'postgres',
  });
  await admin.connect();
  await admin.query(`create role ${PG_USER} login password '${password}'`);
  await admin.query(`create database ${DATABASE} owner ${PG_USER}`);
  await admin.end();
  const direct = pgEndpoints(new Map([['direct', server.port]]), password, false)[0]!;
  await runTool('pgbench', [...pgArgs(direct), '-i', '-q', '-s', String(SCALE), DATABASE], direct.env, secrets);
  const spec = (port: number) => ({
    protocol: 'postgres' as const,
    target: { host: '127.0.0.1', port, database: DATABASE, sslmode: 'disable' as const },
    values: { username: PG_USER, password },
  });
  return await throughInjector(server.port, spec, async (paths) => {
    const list = pgEndpoints(paths.ports, password, false);
    const hopCpu: string[] = [];
    const shape = {
      metric: `PostgreSQL pgbench TPC-B -c ${CLIENTS}${label} (TPS)`,
      unit: 'tps',
      higherIsBetter: true,
      target: 0.97,
      unitOfWork: 'transaction',
    };
    const rows = [
      await throughputRow(list, paths, shape, hopCpu, async (e) => {
        const run = { clients: CLIENTS, selectOnly: false, seconds: SECONDS, transactions: TRANSACTIONS };
        const { tps, transactions } = await pgbench(e, run, secrets);
        return { value: tps, units: transactions };
      }),
    ];
    const [p50, p99] = await selectOneRows(list, QUERIES, openPgClient, { label, targetP50: 1.03 });
    rows.push(
      { ...p50!, metric: `PostgreSQL ${p50!.metric}`, floorTarget: undefined },
      { ...p99!, metric: `PostgreSQL ${p99!.metric}`, floorTarget: undefined },
    );
    for (const row of await newConnectionRows(list, CONNECTS, openPgClient, { label }))
      rows.push({ ...row, metric: `PostgreSQL ${row.metric}` });
    return { rows, notes: [`hop CPU: ${hopCpu.join('; ')}.`] };
  });
}

async function mariadb(server: MariaDbServer): Promise<Measured> {
  const password = randomPassword();
  const secrets = [password];
  const admin = await mysql.createConnection({
    host: server.host,
    port: server.port,
    user: server.adminUser,
    password: server.adminPassword,
  });
  await admin.query(`CREATE USER '${MY_USER}'@'%' IDENTIFIED BY '${password}'`);
  await admin.query(`GRANT ALL ON *.* TO '${MY_USER}'@'%'`);
  await admin.end();
  const spec = (port: number) => ({
    protocol: 'mysql' as const,
    target: { host: '127.0.0.1', port, sslmode: 'disable' as const },
    values: { username: MY_USER, password },
  });
  return await throughInjector(server.port, spec, async (paths) => {
    const list = mysqlEndpoints(paths.ports, password, false);
    const hopCpu: string[] = [];
    const shape = {
      metric: `MariaDB mariadb-slap mixed -c ${CLIENTS}${label} (queries/s)`,
      unit: 'q/s',
      higherIsBetter: true,
      target: 0.97,
      unitOfWork: 'query',
    };
    const rows = [
      await throughputRow(list, paths, shape, hopCpu, async (e) => ({
        value: await slap(e, { clients: CLIENTS, queries: SLAP_QUERIES, load: 'mixed' }, secrets),
        units: 2 * SLAP_QUERIES,
      })),
    ];
    const [p50, p99] = await selectOneRows(list, QUERIES, openMysqlConnection, { label, targetP50: 1.03 });
    rows.push(
      { ...p50!, metric: `MariaDB ${p50!.metric}`, floorTarget: undefined },
      { ...p99!, metric: `MariaDB ${p99!.metric}`, floorTarget: undefined },
    );
    for (const row of await newConnectionRows(list, CONNECTS, openMysqlConnection, { label }))
      rows.push({ ...row, metric: `MariaDB ${row.metric}` });
    return { rows, notes: [`hop CPU: ${hopCpu.join('; ')}.`] };
  });
}

const loadAtStart = os.loadavg()[0]!;
// Both servers start (and stop) together: each takes seconds, and they are idle in between.
const [pgServer, myServer] = await Promise.all([startPostgres({ authMethod: 'scram-sha-256' }), startMariaDb()]);
let pgPart: Measured;
let myPart: Measured;
try {
  pgPart = await postgres(pgServer);
  myPart = await mariadb(myServer);
} finally {
  await Promise.all([pgServer.stop(), myServer.stop()]);
}
writeReport({
  name: 'Remote database',
  rows: [...pgPart.rows, ...myPart.rows],
  notes: [
    `Every path (direct, socat, broker) reaches the server through the latency injector, ${DELAY_MS} ms each way (lib/latency-injector.ts, its own process); ${ROUNDS} rounds, paths rotating.`,
    `PostgreSQL 15 (SCRAM-SHA-256), pgbench ${TRANSACTIONS ? `-t ${TRANSACTIONS}` : `-T ${SECONDS}`} -j 2 scale ${SCALE}; MariaDB 10.11 (mysql_native_password), mariadb-slap --auto-generate-sql-load-type=mixed, 2 × ${SLAP_QUERIES} queries. SELECT 1: ${QUERIES} per path; new connections: ${CONNECTS} per path.`,
    ...pgPart.notes.map((n) => `PostgreSQL: ${n}`),
    ...myPart.notes.map((n) => `MariaDB: ${n}`),
    `1-minute load average ${loadAtStart.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end, ${os.cpus().length} cores shared by clients, hops, injector and servers.`,
  ],
});
