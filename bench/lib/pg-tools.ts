// PostgreSQL's own tools as the benches drive them: the endpoint of each compared path (libpq
// environment, node-postgres config), pgbench, and COPY both ways through psql. Paths that log
// in themselves get the password; the broker's clients never do.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import pg from 'pg';
import { runCommand } from '../../sandbox/servers';
import { usesPassword, type PathName } from './paths';

export const USER = 'bench_app';
export const DATABASE = 'bench';
/** A generated COPY row: 100 characters and a newline. */
export const COPY_BYTES_PER_ROW = 101;

export interface PgEndpoint {
  name: PathName;
  port: number;
  /** Environment for libpq tools: the password only on the paths that log in themselves. */
  env: NodeJS.ProcessEnv;
  pgConfig: pg.ClientConfig;
}

/** The endpoints for `ports`; with `tls`, the paths that log in themselves use TLS to the server. */
export function pgEndpoints(ports: ReadonlyMap<PathName, number>, password: string, tls: boolean): PgEndpoint[] {
  const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', PGPASSFILE: '/nonexistent/no-password-file' };
  return [...ports].map(([name, port]) => {
    // Through the broker the client leg is plain; the broker→server leg is TLS (its target).
    const clientTls = tls && usesPassword(name);
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
        ...(usesPassword(name) && { password }),
      },
    };
  });
}

export const runTool = (command: string, args: string[], env: NodeJS.ProcessEnv, secrets: string[]) =>
  runCommand(command, args, { env, secrets, timeoutMs: 900_000 }).then((r) => r.stdout);

export const pgArgs = (e: PgEndpoint) => ['-h', '127.0.0.1', '-p', String(e.port), '-U', String(e.pgConfig.user)];

/** A node-postgres connection through `e`. */
export async function openPgClient(e: PgEndpoint): Promise<pg.Client> {
  const client = new pg.Client(e.pgConfig);
  await client.connect();
  return client;
}

/** pgbench for `seconds` (or `transactions` per client when > 0), `-j min(c, 2)`. */
export async function pgbench(
  e: PgEndpoint,
  o: { clients: number; selectOnly: boolean; seconds: number; transactions?: number },
  secrets: string[],
): Promise<{ tps: number; transactions: number }> {
  const length = o.transactions ? ['-t', String(o.transactions)] : ['-T', String(o.seconds)];
  const args = [...pgArgs(e), ...(o.selectOnly ? ['-S'] : []), '-n', '-c', String(o.clients)];
  const out = await runTool(
    'pgbench',
    [...args, '-j', String(Math.min(o.clients, 2)), ...length, DATABASE],
    e.env,
    secrets,
  );
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1];
  const transactions = /number of transactions actually processed: (\d+)/.exec(out)?.[1];
  if (!tps || !transactions) throw new Error(`pgbench printed no tps: ${out}`);
  return { tps: Number(tps), transactions: Number(transactions) };
}

/** COPY `rows` generated rows out through psql's \copy into /dev/null; MB/s. */
export async function copyOut(e: PgEndpoint, rows: number, secrets: string[]): Promise<number> {
  const query = `(select lpad(i::text, 10, '0') || repeat('x', 90) from generate_series(1, ${rows}) i)`;
  const start = performance.now();
  const out = await runTool(
    'psql',
    ['-X', '-w', ...pgArgs(e), '-d', DATABASE, '-c', `\\copy ${query} to '/dev/null'`],
    e.env,
    secrets,
  );
  const seconds = (performance.now() - start) / 1000;
  if (!out.includes(`COPY ${rows}`)) throw new Error(`COPY out through ${e.name} did not copy ${rows} rows: ${out}`);
  return (rows * COPY_BYTES_PER_ROW) / 1e6 / seconds;
}

/** The table COPY in fills (unlogged: the server's WAL is not what is measured). */
export const COPY_IN_TABLE = 'copy_in';

/** COPY `file` (`rows` lines) into the emptied COPY_IN_TABLE through psql's \copy; MB/s. */
export async function copyIn(e: PgEndpoint, file: string, rows: number, secrets: string[]): Promise<number> {
  await runTool('psql', ['-X', '-w', ...pgArgs(e), '-d', DATABASE, '-c', `truncate ${COPY_IN_TABLE}`], e.env, secrets);
  const start = performance.now();
  const out = await runTool(
    'psql',
    ['-X', '-w', ...pgArgs(e), '-d', DATABASE, '-c', `\\copy ${COPY_IN_TABLE} from '${file}'`],
    e.env,
    secrets,
  );
  const seconds = (performance.now() - start) / 1000;
  if (!out.includes(`COPY ${rows}`)) throw new Error(`COPY in through ${e.name} did not copy ${rows} rows: ${out}`);
  return (rows * COPY_BYTES_PER_ROW) / 1e6 / seconds;
}

/** Writes `rows` COPY text rows (as copyOut generates them) to `file`. */
export async function writeCopyFile(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  const batch = 10_000;
  for (let i = 1; i <= rows; i += batch) {
    const lines: string[] = [];
    for (let j = i; j < Math.min(i + batch, rows + 1); j++)
      lines.push(`${String(j).padStart(10, '0')}${'x'.repeat(90)}\n`);
    if (!out.write(lines.join(''))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
}
