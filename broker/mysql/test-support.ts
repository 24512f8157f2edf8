// Test-only helpers: a loopback TCP listener that hands each accepted socket to a connector the
// way the broker's listener does, a credential fetcher over fixed values, the real `mariadb`
// CLI with no password anywhere, and root access to a sandbox MariaDB for setting up users.
import { spawn } from 'node:child_process';
import net from 'node:net';
import mysql from 'mysql2/promise';
import type { Connector, Credential, CredentialFetcher, SessionMeter } from '../connector';
import { createLogger, type LogRecord } from '../log';

export interface TestListener {
  readonly port: number;
  /** Every log record the sessions wrote. */
  readonly logs: LogRecord[];
  /** Bytes counted by the session meter. */
  readonly bytes: { toTarget: number; toClient: number };
  /** Errors serve() rejected with (programming errors). */
  readonly serveErrors: unknown[];
  /** Resolves when every session served so far has finished. */
  settled(): Promise<void>;
  /** Aborts live sessions (like turning the connection off) and closes the listener. */
  close(): Promise<void>;
}

export async function listenForTests(connector: Connector, credentials: CredentialFetcher, connectionName = 'orders-mysql'): Promise<TestListener> {
  const logs: LogRecord[] = [];
  const bytes = { toTarget: 0, toClient: 0 };
  const meter: SessionMeter = {
    toTarget: (n) => (bytes.toTarget += n),
    toClient: (n) => (bytes.toClient += n),
  };
  const serveErrors: unknown[] = [];
  const sessions = new Set<Promise<void>>();
  const controller = new AbortController();
  const log = createLogger(`connection.${connectionName}`, (record) => logs.push(record), 'debug');
  const server = net.createServer((socket) => {
    const session = connector
      .serve(socket, { connectionName, credentials, log, meter, signal: controller.signal })
      .catch((err: unknown) => void serveErrors.push(err))
      .finally(() => sessions.delete(session));
    sessions.add(session);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    logs,
    bytes,
    serveErrors,
    settled: async () => {
      await Promise.all([...sessions]);
    },
    async close() {
      controller.abort();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...sessions]);
    },
  };
}

/** A fetcher over fixed values; `refreshed` (if given) is what `get({ refresh: true })` returns. */
export function literalFetcher(
  values: Record<string, string>,
  options: { path?: string; refreshed?: Record<string, string> } = {},
): CredentialFetcher & { calls: { refresh: boolean }[]; released: Credential[] } {
  const path = options.path ?? 'secret/data/orders-mysql';
  const calls: { refresh: boolean }[] = [];
  const released: Credential[] = [];
  return {
    description: `vault-kv ${path}`,
    calls,
    released,
    async get(opts) {
      const refresh = opts?.refresh === true;
      calls.push({ refresh });
      return { path, values: refresh && options.refreshed ? options.refreshed : values };
    },
    async release(credential) {
      released.push(credential);
    },
  };
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real `mariadb` CLI against 127.0.0.1:`port` with no password: no -p, no option files. */
export function runMariadbCli(port: number, args: readonly string[], stdin?: string): Promise<CliResult> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', HOME: '/nonexistent' };
  return new Promise((resolve, reject) => {
    const child = spawn('mariadb', ['--no-defaults', '--protocol=tcp', '-h', '127.0.0.1', '-P', String(port), '--connect-timeout=30', ...args], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
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
