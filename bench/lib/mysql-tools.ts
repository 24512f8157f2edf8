// MariaDB's own tools as the benches drive them: the endpoint of each compared path (client
// environment, mysql2 options) and mariadb-slap. Paths that log in themselves get the password;
// the broker's clients never do.
import mysql from 'mysql2/promise';
import { runCommand } from '../../sandbox/servers';
import { usesPassword, type PathName } from './paths';

export const USER = 'bench_app';

export interface MysqlEndpoint {
  name: PathName;
  port: number;
  /** Environment for the mariadb tools: the password (MYSQL_PWD) only on the paths that log in themselves. */
  env: NodeJS.ProcessEnv;
  /** TLS from the client (direct and the floors in the TLS set; the broker's client leg is plain). */
  clientTls: boolean;
  options: mysql.ConnectionOptions;
}

export function mysqlEndpoints(ports: ReadonlyMap<PathName, number>, password: string, tls: boolean): MysqlEndpoint[] {
  const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', HOME: '/nonexistent' };
  return [...ports].map(([name, port]) => {
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

export const openMysqlConnection = (e: MysqlEndpoint) => mysql.createConnection(e.options);

/**
 * mariadb-slap's auto-generated load (`read` or `mixed`), 2 iterations of `queries` each;
 * queries per second over its average run time.
 */
export async function slap(
  e: MysqlEndpoint,
  o: { clients: number; queries: number; load?: 'read' | 'mixed' },
  secrets: string[],
): Promise<number> {
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
    `--concurrency=${o.clients}`,
    '--iterations=2',
    `--number-of-queries=${o.queries}`,
    '--auto-generate-sql',
    `--auto-generate-sql-load-type=${o.load ?? 'read'}`,
    '--create-schema=slap',
  ];
  const { stdout } = await runCommand('mariadb-slap', args, { env: e.env, secrets, timeoutMs: 900_000 });
  const seconds = /Average number of seconds to run all queries: ([\d.]+) seconds/.exec(stdout)?.[1];
  if (!seconds) throw new Error(`mariadb-slap printed no average: ${stdout}`);
  return o.queries / Number(seconds);
}
