// The real psql, with nothing in its environment that could carry a password.
import { spawnSync } from 'node:child_process';

export function psql(host: string, port: string, database: string, sql: string) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG')));
  const result = spawnSync(
    'psql',
    ['-h', host, '-p', port, '-d', database, '-U', 'developer', '-w', '-At', '-c', sql],
    {
      env: { ...env, PGPASSFILE: '/nonexistent/pgpass', PGCONNECT_TIMEOUT: '10' },
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
}
