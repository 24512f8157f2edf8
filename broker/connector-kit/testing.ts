// Test-only helpers shared by the protocol connectors: a loopback TCP listener that hands each
// accepted socket to a connector the way the broker's listener does, and a credential fetcher
// over fixed values that records what the connector asked for and released.
import { setMaxListeners } from 'node:events';
import net from 'node:net';
import type { Connector, Credential, CredentialFetcher, SessionMeter } from '../connector';
import { createLogger, type LogRecord } from '../log';

export interface TestListener {
  readonly port: number;
  /** Every log record the connector wrote. */
  readonly logs: LogRecord[];
  /** Bytes counted by the meter. */
  readonly bytes: { toTarget: number; toClient: number };
  /** Errors serve() rejected with (programming errors). */
  readonly serveErrors: unknown[];
  /** Resolves when every client served so far has finished. */
  settled(): Promise<void>;
  /** Aborts live clients (like turning the connection off) and closes the listener. */
  close(): Promise<void>;
}

export async function listenForTests(
  connector: Connector,
  credentials: CredentialFetcher,
  connectionName: string,
): Promise<TestListener> {
  const logs: LogRecord[] = [];
  const bytes = { toTarget: 0, toClient: 0 };
  const meter: SessionMeter = {
    toTarget: (n) => (bytes.toTarget += n),
    toClient: (n) => (bytes.toClient += n),
  };
  const serveErrors: unknown[] = [];
  const serving = new Set<Promise<void>>();
  const controller = new AbortController();
  setMaxListeners(0, controller.signal); // every live client listens for the abort
  const log = createLogger(`connection.${connectionName}`, (record) => logs.push(record), 'debug');
  const server = net.createServer((socket) => {
    const served = connector
      .serve(socket, { connectionName, credentials, log, meter, signal: controller.signal })
      .catch((err: unknown) => void serveErrors.push(err))
      .finally(() => serving.delete(served));
    serving.add(served);
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
      await Promise.all([...serving]);
    },
    async close() {
      controller.abort();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...serving]);
    },
  };
}

export interface LiteralFetcherOptions {
  /** The credential's Vault path (also named in the description). */
  path: string;
  /** What `get({ refresh: true })` returns, when it differs. */
  refreshed?: Record<string, string>;
  description?: string;
}

export type RecordingFetcher = CredentialFetcher & { calls: { refresh: boolean }[]; released: Credential[] };

/** A fetcher over fixed values; `refreshed` (if given) is what `get({ refresh: true })` returns. */
export function literalFetcher(values: Record<string, string>, options: LiteralFetcherOptions): RecordingFetcher {
  const { path } = options;
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

/** Both helpers with a suite's defaults for the connection name and the credential path. */
export function testSupportWithDefaults(defaults: { connectionName: string; path: string }) {
  return {
    listenForTests: (connector: Connector, credentials: CredentialFetcher, connectionName = defaults.connectionName) =>
      listenForTests(connector, credentials, connectionName),
    literalFetcher: (values: Record<string, string>, options: Partial<LiteralFetcherOptions> = {}) =>
      literalFetcher(values, { ...options, path: options.path ?? defaults.path }),
  };
}
