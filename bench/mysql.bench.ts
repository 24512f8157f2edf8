// MariaDB: direct vs the floors (a raw Node relay, socat) vs the broker, in the same run,
// rotating which goes first: mariadb-slap read throughput at -c 1/8/32, new-connection latency
// (mysql2 connect + SELECT 1 + end) and one-connection SELECT 1 latency. Then the same with TLS
// to the server (end to end through the relays, broker→server for the broker). The broker runs
// in its own process with cached (literal) credentials and logs in with mysql_native_password,
// as the direct clients do.
//
//   npx tsx bench/mysql.bench.ts
//   BENCH_TLS=0 BENCH_BASELINE=/tmp/base npx tsx bench/mysql.bench.ts
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import mysql from 'mysql2/promise';
import { randomPassword, runCommand, startMariaDb } from '../sandbox/servers';
import { startComparedPaths, throughputRow, usesPassword, type ComparedPaths, type PathName } from './lib/paths';
import { runNotes, writeReport, type BenchRow } from './lib/report';
import { newConnectionRows, selectOneRow } from './lib/sql-latency';

const WITH_TLS = process.env.BENCH_TLS !== '0';
const PROFILE_DIR = process.env.BENCH_PROFILE;
const CONNECT_ITERATIONS = Number(process.env.BENCH_CONNECTS ?? 500);
const QUERY_ITERATIONS = Number(process.env.BENCH_QUERIES ?? 10_000);
const SLAP_QUERIES = Number(process.env.BENCH_SLAP_QUERIES ?? 40_000);
const USER = 'bench_app';

interface Endpoint {
  name: PathName;
  port: number;
  /** Environment for the mariadb tools: the password (MYSQL_PWD) only on the paths that log in themselves. */
  env: NodeJS.ProcessEnv;
  /** TLS from the client (direct and the relays in the TLS set; the broker's client leg is plain). */
  clientTls: boolean;
  options: mysql.ConnectionOptions;
}

function endpoints(paths: ComparedPaths, password: string, tls: boolean): Endpoint[] {
  const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', HOME: '/nonexistent' };
  return [...paths.ports].map(([name, port]) => {
    const clientTls = tls && usesPassword(name);
    const login = usesPassword(name) ? { user: USER, password } : { user: 'anyone' };
    return {
      name,
      port,
      env: { ...base, ...(usesPassword(name) && { MYSQL_PWD: password }) },
      clientTls,
      options: { host: '127.0.0.1', port, ...login, ...(clientTls && { ssl: { rejectUnauthorized: false } }) },
    };
  });
}

/** mariadb-slap's auto-generated read load; queries per second over its average run time. */
async function slap(e: Endpoint, clients: number, secrets: string[]): Promise<number> {
  const args = [
    '--no-defaults',
    '--protocol=tcp',
    '-h',
    '127.0.0.1',
    '-P',
    String(e.port),
    '-u',
    String(e.options.user),
    e.clientTls ? '--ssl' : '--skip-ssl',
    `--concurrency=${clients}`,
    '--iterations=2',
    `--number-of-queries=${SLAP_QUERIES}`,
    '--auto-generate-sql',
    '--auto-generate-sql-load-type=read',
    '--create-schema=slap',
  ];
  const { stdout } = await runCommand('mariadb-slap', args, { env: e.env, secrets, timeoutMs: 600_000 });
  const seconds = /Average number of seconds to run all queries: ([\d.]+) seconds/.exec(stdout)?.[1];
  if (!seconds) throw new Error(`mariadb-slap printed no average: ${stdout}`);
  return SLAP_QUERIES / Number(seconds);
}

const openConnection = (e: Endpoint) => mysql.createConnection(e.options);

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
  for (const clients of [1, 8, 32]) {
    const metric = `mariadb-slap read -c ${clients}${label} (queries/s)`;
    const shape = { metric, unit: 'q/s', higherIsBetter: true, target: 0.95, unitOfWork: 'query' };
    // Two iterations of SLAP_QUERIES each (the table's setup counted in).
    rows.push(
      await throughputRow(list, paths, round++, shape, hopCpu, async (e) => ({
        value: await slap(e, clients, secrets),
        units: 2 * SLAP_QUERIES,
      })),
    );
  }

  if (!label) {
    console.log(`new connections × ${CONNECT_ITERATIONS} …`);
    rows.push(...(await newConnectionRows(list, CONNECT_ITERATIONS, openConnection)));
  }
  console.log(`SELECT 1 × ${QUERY_ITERATIONS} on one connection${label} …`);
  rows.push(await selectOneRow(list, QUERY_ITERATIONS, openConnection, label));
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
    const rows = await measureSet(endpoints(plain, password, false), plain, '', secrets, hopCpu);
    if (WITH_TLS) {
      const tls = await startComparedPaths(server.port, {
        protocol: 'mysql',
        target: { ...target, sslmode: 'required' },
        values,
      });
      started.push(tls);
      rows.push(...(await measureSet(endpoints(tls, password, true), tls, ', TLS', secrets, hopCpu)));
    }

    writeReport({
      name: 'MariaDB broker',
      rows,
      notes: [
        'MariaDB 10.11 (mysql_native_password) on 127.0.0.1; the broker in its own Node process with cached credentials.',
        'relay = a minimal Node TCP relay in its own process (stream.pipe both ways, TCP_NODELAY); socat = socat with fork and nodelay. Both relay the direct login (with the password); they are the floor of any userland hop.',
        ...(WITH_TLS
          ? [
              '", TLS" rows: direct and the relays carry TLS end to end (mariadb-slap --ssl), the broker takes a plain client and speaks TLS to the server (sslmode required).',
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
