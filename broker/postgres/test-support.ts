// Test-only helpers: a loopback TCP listener that hands each accepted socket to a connector the
// way the broker's listener does, a credential fetcher over fixed values, and a psql runner
// whose environment holds no password.
import { spawn } from 'node:child_process';
import net from 'node:net';
import type { Readable } from 'node:stream';
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

export async function listenForTests(
  connector: Connector,
  credentials: CredentialFetcher,
  connectionName = 'test-db',
): Promise<TestListener> {
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
  options: { path?: string; refreshed?: Record<string, string>; description?: string } = {},
): CredentialFetcher & { calls: { refresh: boolean }[]; released: Credential[] } {
  const path = options.path ?? 'secret/data/test-db';
  const calls: { refresh: boolean }[] = [];
  const released: Credential[] = [];
  return {
    description: options.description ?? `vault-kv ${path}`,
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

export interface PsqlResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the real psql against 127.0.0.1:`port` with no password anywhere: no PGPASSWORD, no
 * password file, never prompting (-w). `onSpawn` gets the child (to send it SIGINT).
 */
export function runPsql(
  port: number,
  args: readonly string[],
  options: {
    env?: Record<string, string>;
    onSpawn?: (child: ReturnType<typeof spawn>) => void;
    /** Fed to psql's stdin (e.g. COPY FROM STDIN data); stdin is closed otherwise. */
    stdin?: Readable;
    /** Receives stdout chunks instead of collecting them (large COPY TO STDOUT). */
    onStdout?: (chunk: Buffer) => void;
  } = {},
): Promise<PsqlResult> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', PGPASSFILE: '/nonexistent/sesame-no-password-file', PGCONNECT_TIMEOUT: '30', ...options.env };
  return new Promise((resolve, reject) => {
    const child = spawn('psql', ['-X', '-w', '-h', '127.0.0.1', '-p', String(port), ...args], {
      env,
      stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    if (options.stdin && child.stdin) options.stdin.pipe(child.stdin);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (options.onStdout ? options.onStdout(chunk) : (stdout += chunk.toString())));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
    options.onSpawn?.(child);
  });
}
