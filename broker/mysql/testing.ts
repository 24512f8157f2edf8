// Test-only helpers: broker/connector-kit's loopback listener and fixed-value fetcher with this suite's
// defaults, the real `mariadb` CLI with no password anywhere, and root access to a sandbox
// MariaDB for setting up users.
import { spawn } from 'node:child_process';
import mysql from 'mysql2/promise';
import { testSupportWithDefaults } from '../connector-kit/testing';

export type { TestListener } from '../connector-kit/testing';

/** broker/connector-kit's loopback listener and fixed-value fetcher, with this suite's defaults. */
export const { listenForTests, literalFetcher } = testSupportWithDefaults({
  connectionName: 'orders-mysql',
  path: 'secret/data/orders-mysql',
});

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real `mariadb` CLI against 127.0.0.1:`port` with no password: no -p, no option files. */
export function runMariadbCli(port: number, args: readonly string[], stdin?: string): Promise<CliResult> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', HOME: '/nonexistent' };
  return new Promise((resolve, reject) => {
    const child = spawn(
      'mariadb',
      ['--no-defaults', '--protocol=tcp', '-h', '127.0.0.1', '-P', String(port), '--connect-timeout=30', ...args],
      {
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin ?? '');
  });
}

/** The admin login of a sandbox MariaDB (structurally its MariaDbServer; broker/ may not import sandbox/). */
export interface AdminLogin {
  readonly host: string;
  readonly port: number;
  readonly adminUser: string;
  readonly adminPassword: string;
}

/** Runs `statements` as root on the sandbox server (to create users, install plugins). */
export async function asRoot(server: AdminLogin, statements: readonly string[]): Promise<void> {
  const connection = await mysql.createConnection({
    host: server.host,
    port: server.port,
    user: server.adminUser,
    password: server.adminPassword,
  });
  try {
    for (const sql of statements) await connection.query(sql);
  } finally {
    await connection.end();
  }
}

/** A mysql2 connection through the broker: any user name, no password. */
export function connectThrough(port: number, options: mysql.ConnectionOptions = {}): Promise<mysql.Connection> {
  return mysql.createConnection({ host: '127.0.0.1', port, user: 'anything', connectTimeout: 30_000, ...options });
}
