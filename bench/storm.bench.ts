// Connect storms: 1, 10, 100 and 500 clients connecting at once (startup + SELECT 1 + close, as
// psql would; node-postgres and mysql2 as the clients), direct vs the broker with cached
// credentials, in ROUNDS rounds: p50/p99 time to first result and failures. Targets: 0 failures
// at 500, p99 at most 2 ms over direct at 100. PostgreSQL also through a broker with a
// vault-dynamic per-connection source (the Vault dev server's database engine, in its own
// process, creating a PostgreSQL role per connection and dropping it when the client leaves):
// what minting a user per connection costs.
//
//   npx tsx bench/storm.bench.ts
//   BENCH_STORM_SIZES=100,500 BENCH_STORM_DYNAMIC=0 npx tsx bench/storm.bench.ts
import os from 'node:os';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { randomPassword, startMariaDb, startPostgres, type PostgresServer } from '../sandbox/servers';
import { startBrokerProcess, type BrokerProcess, type DynamicSource } from './lib/broker-process';
import { flag, knob, knobList, ROUNDS } from './lib/config';
import { startVaultHost, type Host } from './lib/hosts';
import { median, rowFromRounds, writeReport, type BenchRow } from './lib/report';
import { overheadTarget } from './lib/sql-latency';
import { stormRounds, type StormClient, type StormFigures } from './lib/storm';

const SIZES = knobList('STORM_SIZES', [1, 10, 100, 500], [1, 5]);
/** Small storms repeat until a round has this many clients per path. */
const SAMPLES = knob('STORM_SAMPLES', 100, 5);
const DYNAMIC = flag('STORM_DYNAMIC');
const USER = 'bench_app';
const DATABASE = 'bench';

interface StormPath {
  readonly name: 'direct' | 'broker' | 'dynamic';
  readonly client: StormClient;
}

const KIND = { broker: 'cached credentials', dynamic: 'vault-dynamic, a user minted per connection' } as const;

/** The rows of one database: per size, p50 and p99 for each broker kind against direct; failures at the largest size. */
function stormRows(db: string, bySize: Map<number, Map<string, StormFigures>>, notes: string[]): BenchRow[] {
  const rows: BenchRow[] = [];
  const largest = Math.max(...bySize.keys());
  for (const [n, figures] of bySize) {
    const direct = figures.get('direct')!;
    for (const kind of ['broker', 'dynamic'] as const) {
      const broker = figures.get(kind);
      if (!broker) continue;
      const metric = `${db} storm ×${n}, ${KIND[kind]}: first result`;
      const pair = (key: 'p50' | 'p99') =>
        new Map([
          ['direct', direct[key]],
          ['broker', broker[key]],
        ]);
      rows.push(rowFromRounds(pair('p50'), { metric: `${metric} p50`, unit: 'ms', higherIsBetter: false }));
      const p99Target = n === 100 && kind === 'broker' ? { target: overheadTarget(median(direct.p99), 2) } : {};
      rows.push(
        rowFromRounds(pair('p99'), { metric: `${metric} p99`, unit: 'ms', higherIsBetter: false, ...p99Target }),
      );
    }
    const failures = [...figures].map(
      ([name, f]) => `${name} ${f.failures}${f.errors.length ? ` (${f.errors.join('; ')})` : ''}`,
    );
    notes.push(`${db} storm ×${n}, failures over ${ROUNDS} rounds: ${failures.join(', ')}.`);
  }
  for (const [name, f] of bySize.get(largest)!)
    if (name !== 'direct')
      rows.push({
        metric: `${db} storm ×${largest} failures, ${KIND[name as 'broker' | 'dynamic']}`,
        broker: f.failures,
        unit: 'clients',
        higherIsBetter: false,
        target: 0,
      });
  return rows;
}

const pgClient =
  (config: pg.ClientConfig): StormClient =>
  async (firstResult) => {
    const client = new pg.Client(config);
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('select 1');
      firstResult();
    } finally {
      await client.end().catch(() => {});
    }
  };

/** Waits (up to 30 s) until `sql` counts 0: the last storm's backends have exited, its users are dropped. */
async function settle(admin: pg.Client, sql: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const { rows } = await admin.query<{ n: string }>(sql);
    if (Number(rows[0]!.n) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function configureDynamic(vault: Host, server: PostgresServer): Promise<DynamicSource> {
  const { address, rootToken } = vault.info;
  const write = async (path: string, body: unknown) => {
    const response = await fetch(`${address}/v1/${path}`, {
      method: 'POST',
      headers: { 'X-Vault-Token': rootToken! },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`Vault ${path}: ${response.status} ${await response.text()}`);
  };
  await write('sys/mounts/database', { type: 'database' });
  await write('database/config/pg', {
    plugin_name: 'postgresql-database-plugin',
    connection_url: `postgresql://{{username}}:{{password}}@127.0.0.1:${server.port}/postgres?sslmode=disable`,
    username: server.adminUser,
    password: server.adminPassword,
    allowed_roles: ['bench'],
  });
  await write('database/roles/bench', {
    db_name: 'pg',
    // No GRANT: PUBLIC may connect, and concurrent GRANTs on one database fail in PostgreSQL
    // ("tuple concurrently updated"), which would measure the statements, not the broker.
    creation_statements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`],
    revocation_statements: [`DROP ROLE IF EXISTS "{{name}}"`],
    default_ttl: '1h',
  });
  return { address, token: rootToken!, path: 'database/creds/bench' };
}

async function postgres(notes: string[]): Promise<BenchRow[]> {
  const password = randomPassword();
  const server = await startPostgres({ authMethod: 'scram-sha-256' });
  const started: { stop(): Promise<void> }[] = [];
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
    // Every storm's connections, the broker's backends and Vault's pool at once.
    await setup.query(`alter system set max_connections = ${Math.max(...SIZES) * 2 + 100}`);
    await setup.query(`create role ${USER} login password '${password}'`);
    await setup.query(`create database ${DATABASE} owner ${USER}`);
    await setup.end();
    await server.restart();
    const admin = new pg.Client(adminConfig);
    await admin.connect();
    const target = { host: server.host, port: server.port, database: DATABASE, sslmode: 'disable' as const };
    const broker: BrokerProcess = await startBrokerProcess({
      protocol: 'postgres',
      target,
      values: { username: USER, password },
    });
    started.push(broker);
    const via = (port: number, user: string, secret?: string) =>
      pgClient({ host: '127.0.0.1', port, user, database: DATABASE, ...(secret && { password: secret }) });
    const paths: StormPath[] = [
      { name: 'direct', client: via(server.port, USER, password) },
      { name: 'broker', client: via(broker.port, 'anyone') },
    ];
    if (DYNAMIC) {
      const vault = await startVaultHost();
      started.push(vault);
      const source = await configureDynamic(vault, server);
      const dynamic = await startBrokerProcess({ protocol: 'postgres', target, values: {}, vault: source });
      started.unshift(dynamic); // stopped before Vault: it revokes its users
      paths.push({ name: 'dynamic', client: via(dynamic.port, 'anyone') });
    }
    const backends = `select count(*) as n from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid() and usename <> '${server.adminUser}'`;
    const minted = `select count(*) as n from pg_roles where rolname like 'v-%'`;
    const between = async (path: StormPath) =>
      settle(admin, path.name === 'dynamic' ? `select (${backends}) + (${minted}) as n` : backends);
    const bySize = new Map<number, Map<string, StormFigures>>();
    for (const n of SIZES)
      bySize.set(n, await stormRounds(paths, n, { rounds: ROUNDS, samples: SAMPLES, between }, (p) => p.client));
    await admin.end();
    return stormRows('PostgreSQL', bySize, notes);
  } finally {
    for (const s of started) await s.stop();
    await server.stop();
  }
}

async function mariadb(notes: string[]): Promise<BenchRow[]> {
  const password = randomPassword();
  const server = await startMariaDb();
  let broker: BrokerProcess | undefined;
  try {
    const admin = await mysql.createConnection({
      host: server.host,
      port: server.port,
      user: server.adminUser,
      password: server.adminPassword,
    });
    await admin.query(`SET GLOBAL max_connections = ${Math.max(...SIZES) * 2 + 100}`);
    await admin.query(`CREATE USER '${USER}'@'%' IDENTIFIED BY '${password}'`);
    await admin.query(`GRANT ALL ON *.* TO '${USER}'@'%'`);
    broker = await startBrokerProcess({
      protocol: 'mysql',
      target: { host: server.host, port: server.port, sslmode: 'disable' },
      values: { username: USER, password },
    });
    const via =
      (options: mysql.ConnectionOptions): StormClient =>
      async (firstResult) => {
        const connection = await mysql.createConnection({ host: '127.0.0.1', ...options });
        connection.on('error', () => {});
        try {
          await connection.query('SELECT 1');
          firstResult();
        } finally {
          await connection.end().catch(() => {});
        }
      };
    const paths: StormPath[] = [
      { name: 'direct', client: via({ port: server.port, user: USER, password }) },
      { name: 'broker', client: via({ port: broker.port, user: 'anyone' }) },
    ];
    const between = async () => {
      for (let i = 0; i < 300; i++) {
        const [rows] = await admin.query(
          `SELECT COUNT(*) AS n FROM information_schema.processlist WHERE user = '${USER}'`,
        );
        if (Number((rows as { n: number }[])[0]!.n) === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const bySize = new Map<number, Map<string, StormFigures>>();
    for (const n of SIZES)
      bySize.set(n, await stormRounds(paths, n, { rounds: ROUNDS, samples: SAMPLES, between }, (p) => p.client));
    await admin.end();
    return stormRows('MariaDB', bySize, notes);
  } finally {
    await broker?.stop();
    await server.stop();
  }
}

const loadAtStart = os.loadavg()[0]!;
const notes: string[] = [];
const rows = [...(await postgres(notes)), ...(await mariadb(notes))];
writeReport({
  name: 'Connect storms',
  rows,
  notes: [
    `N clients start at the same instant (one Node process: node-postgres, mysql2), each connecting, running SELECT 1 and closing; time to first result from the storm's start. Storms smaller than ${SAMPLES} clients repeat until a round has ${SAMPLES} per path; ${ROUNDS} rounds, paths rotating; between storms the server's connections (and minted users) are let go.`,
    'direct logs in with SCRAM (PostgreSQL) / mysql_native_password itself; the broker (own process, cached credentials) does that for a client that sends no password.',
    ...(DYNAMIC
      ? [
          'vault-dynamic: per connection the broker asks the Vault dev server (own process) for database/creds/bench, which runs CREATE ROLE on PostgreSQL (its pool: 4 connections); the role is dropped (lease revoked) when the client leaves.',
        ]
      : []),
    ...notes,
    `1-minute load average ${loadAtStart.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end (${os.cpus().length} cores, shared).`,
  ],
});
