// A loopback listener that serves a protocol connector the way the supervisor does (one
// serve() per accepted socket, a shared abort signal), built only on the connectors' public
// faces. It keeps the last log records and counts the rest, so a 100,000-case fuzz run stays
// bounded in memory.
import { setMaxListeners } from 'node:events';
import net from 'node:net';
import type { Connector, CredentialFetcher } from '../../broker/connector';
import { createLogger, type LogRecord } from '../../broker/log';

export interface ServedConnector {
  readonly port: number;
  /** The most recent log records (at most 500). */
  readonly recentLogs: LogRecord[];
  readonly logCounts: Record<string, number>;
  /** Errors serve() rejected with: programming errors, which must never happen. */
  readonly serveErrors: unknown[];
  /** Sessions accepted and not yet finished. */
  active(): number;
  accepted(): number;
  close(): Promise<void>;
}

/** Fixed credential values, as a Vault KV read would give them; `description` names the path only. */
export function fixedCredentials(values: Record<string, string>, path = 'secret/data/hardening'): CredentialFetcher {
  return { description: `vault-kv ${path}`, get: async () => ({ path, values }) };
}

export async function serveConnector(
  connector: Connector,
  credentials: CredentialFetcher,
  connectionName = 'hardening',
): Promise<ServedConnector> {
  const recentLogs: LogRecord[] = [];
  const logCounts: Record<string, number> = {};
  const serveErrors: unknown[] = [];
  const sessions = new Set<Promise<void>>();
  let accepted = 0;
  const controller = new AbortController();
  setMaxListeners(0, controller.signal); // one abort listener per session: many sessions at once are expected
  const log = createLogger(
    `connection.${connectionName}`,
    (record) => {
      logCounts[record.level] = (logCounts[record.level] ?? 0) + 1;
      recentLogs.push(record);
      if (recentLogs.length > 500) recentLogs.shift();
    },
    'debug',
  );
  const meter = { toTarget: () => {}, toClient: () => {} };
  const server = net.createServer({ noDelay: true }, (socket) => {
    accepted++;
    const session = connector
      .serve(socket, { connectionName, credentials, log, meter, signal: controller.signal })
      .catch((error: unknown) => {
        serveErrors.push(error);
        socket.destroy();
      })
      .finally(() => sessions.delete(session));
    sessions.add(session);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    recentLogs,
    logCounts,
    serveErrors,
    active: () => sessions.size,
    accepted: () => accepted,
    async close() {
      controller.abort();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...sessions]);
    },
  };
}
