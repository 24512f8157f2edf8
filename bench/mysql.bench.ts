// MariaDB: direct vs the floors (socat, a raw Node relay) vs the broker, in the same run, in
// ROUNDS rounds rotating which path goes first: mariadb-slap read throughput at -c 1/8/32,
// new-connection latency (mysql2 connect + SELECT 1 + end) and one-connection SELECT 1 latency
// (p50, p99). Then the same with TLS to the server (end to end through the floors,
// broker→server for the broker). The broker runs in its own process with cached (literal)
// credentials and logs in with mysql_native_password, as the direct clients do. Every
// data-phase row carries the hop floor: broker/socat ≥ 0.95.
//
//   npx tsx bench/mysql.bench.ts
//   BENCH_TLS=0 BENCH_BASELINE=/tmp/base npx tsx bench/mysql.bench.ts
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import mysql from 'mysql2/promise';
import { randomPassword, startMariaDb } from '../sandbox/servers';
import { flag, knob, knobList, ROUNDS } from './lib/config';
import { mysqlEndpoints, openMysqlConnection, slap, USER, type MysqlEndpoint } from './lib/mysql-tools';
import { startComparedPaths, throughputRow, type ComparedPaths } from './lib/paths';
import { floorTarget, runNotes, writeReport, type BenchRow } from './lib/report';
import { newConnectionRows, selectOneRows } from './lib/sql-latency';

const WITH_TLS = flag('TLS');
const PROFILE_DIR = process.env.BENCH_PROFILE;
const CONNECT_ITERATIONS = knob('CONNECTS', 500, 20);
const QUERY_ITERATIONS = knob('QUERIES', 10_000, 200);
const SLAP_QUERIES = knob('SLAP_QUERIES', 40_000, 200);
const CLIENTS = knobList('CLIENTS', [1, 8, 32], [2]);

/** Every row for one set of paths; `label` (e.g. ", TLS") marks the set's metrics. */
async function measureSet(
  list: MysqlEndpoint[],
  paths: ComparedPaths,
  label: string,
  secrets: string[],
  hopCpu: string[],
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const clients of CLIENTS) {
    const metric = `mariadb-slap read -c ${clients}${label} (queries/s)`;
    const shape = {
      metric,
      unit: 'q/s',
      higherIsBetter: true,
      target: 0.95,
      floorTarget: floorTarget(true),
      unitOfWork: 'query',
    };
    // Two iterations of SLAP_QUERIES each (the table's setup counted in).
    rows.push(
      await throughputRow(list, paths, shape, hopCpu, async (e) => ({
        value: await slap(e, { clients, queries: SLAP_QUERIES }, secrets),
        units: 2 * SLAP_QUERIES,
      })),
    );
  }
  if (!label) {
    console.log(`new connections × ${CONNECT_ITERATIONS} …`);
    rows.push(...(await newConnectionRows(list, CONNECT_ITERATIONS, openMysqlConnection)));
  }
  console.log(`SELECT 1 × ${QUERY_ITERATIONS} on one connection${label} …`);
  rows.push(...(await selectOneRows(list, QUERY_ITERATIONS, openMysqlConnection, { label })));
  return rows;
}

async function main() {
  const password = randomPassword();
  const secrets = [password];
  const loadAtStart = os.loadavg()[0]!;
  const server = await startMariaDb({ tls: WITH_TLS });
  const started: ComparedPaths[] = [];
  try {
    const admin = await mysql.createConnection({
      host: server.host,
      port: server.port,
      user: server.adminUser,
      password: server.adminPassword,
    });
    await admin.query(`CREATE USER '${USER}'@'%' IDENTIFIED BY '${password}'`);
    await admin.query(`GRANT ALL ON *.* TO '${USER}'@'%'`);
    await admin.end();
    if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
    const target = { host: server.host, port: server.port };
    const values = { username: USER, password };
    const plain = await startComparedPaths(
      server.port,
      { protocol: 'mysql', target: { ...target, sslmode: 'disable' }, values },
      PROFILE_DIR ? { cpuProfDir: PROFILE_DIR } : {},
    );
    started.push(plain);
    const hopCpu: string[] = [];
    const rows = await measureSet(mysqlEndpoints(plain.ports, password, false), plain, '', secrets, hopCpu);
    if (WITH_TLS) {
      const tls = await startComparedPaths(server.port, {
        protocol: 'mysql',
        target: { ...target, sslmode: 'required' },
        values,
      });
      started.push(tls);
      rows.push(...(await measureSet(mysqlEndpoints(tls.ports, password, true), tls, ', TLS', secrets, hopCpu)));
    }

    writeReport({
      name: 'MariaDB broker',
      rows,
      notes: [
        `MariaDB 10.11 (mysql_native_password) on 127.0.0.1; the broker in its own Node process with cached credentials; ${ROUNDS} rounds.`,
        'socat = socat with fork and nodelay (the hop floor: broker/socat ≥ 0.95 on every data-phase row); relay = a minimal Node TCP relay in its own process (stream.pipe both ways, TCP_NODELAY). Both relay the direct login (with the password).',
        ...(WITH_TLS
          ? [
              '", TLS" rows: direct and the floors carry TLS end to end (mariadb-slap --ssl), the broker takes a plain client and speaks TLS to the server (sslmode required).',
            ]
          : []),
        `mariadb-slap: --auto-generate-sql read load, 2 iterations, ${SLAP_QUERIES} queries; q/s = queries / average seconds.`,
        ...runNotes({ loadAtStart, connectClient: 'mysql2', connectIterations: CONNECT_ITERATIONS, hopCpu }),
      ],
    });
  } finally {
    for (const paths of started) await paths.stop();
    await server.stop();
  }
}

await main();
