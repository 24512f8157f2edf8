// Broker state → view models. Only names, paths, addresses and counters cross this line.
import type { SessionSnapshot } from '../../broker/vault-session';
import type { ConnectionStatus, WaitingClient } from '../../broker/supervisor';
import type { ConnectionView, SessionView } from '../api';
import type { ConnectionConfig } from '../config';
import { credentialPathOf, targetOf } from './connection-specs';

export function sessionView(
  snapshot: SessionSnapshot,
  vaultAddress: string,
  namespace?: string,
  waiting: readonly WaitingClient[] = [],
  holdsClientsForMs?: number,
): SessionView {
  return {
    state: snapshot.state,
    vaultAddress,
    ...(namespace ? { namespace } : {}),
    ...(snapshot.method ? { method: snapshot.method } : {}),
    ...(snapshot.displayName ? { displayName: snapshot.displayName } : {}),
    policies: snapshot.policies,
    ...(snapshot.accessor ? { accessor: snapshot.accessor } : {}),
    ...(snapshot.expiresAt ? { expiresAt: snapshot.expiresAt.toISOString() } : {}),
    ...(snapshot.renewable !== undefined ? { renewable: snapshot.renewable } : {}),
    ...(snapshot.error ? { error: snapshot.error } : {}),
    ...(snapshot.loginUrl && snapshot.state === 'logging-in' ? { pendingAuthUrl: snapshot.loginUrl } : {}),
    ...(snapshot.accessor ? { revokesOnLogout: snapshot.minted === true } : {}),
    ...(holdsClientsForMs !== undefined ? { holdsClientsForMs } : {}),
    ...(waiting.length > 0
      ? {
          waiting: waiting.map((w) => ({ connection: w.connection, client: w.client, since: w.since.toISOString() })),
        }
      : {}),
  };
}

/** What a user pastes into their tool: the local address, never a password (none is needed). */
export function connectionString(
  protocol: string,
  listen: string,
  database?: string,
  user?: string,
): string | undefined {
  const db = encodeURIComponent(database ?? '');
  if (listen.startsWith('unix:')) {
    if (protocol !== 'postgres') return undefined;
    const socket = listen.slice(5);
    const dir = socket.replace(/\/[^/]*$/, '');
    const port = /\.s\.PGSQL\.(\d+)$/.exec(socket)?.[1] ?? '5432';
    return `postgresql:///${db}?host=${encodeURIComponent(dir)}&port=${port}`;
  }
  if (protocol === 'postgres') return `postgresql://${listen}/${db}?sslmode=disable`;
  if (protocol === 'mysql') return `mysql://${listen}/${db}`;
  if (protocol === 'ssh') return `ssh://${user ? `${encodeURIComponent(user)}@` : ''}${listen}`;
  return undefined;
}

function databaseOf(config: ConnectionConfig | undefined): string | undefined {
  return config && (config.protocol === 'postgres' || config.protocol === 'mysql') ? config.target.database : undefined;
}

function userOf(config: ConnectionConfig | undefined): string | undefined {
  return config?.protocol === 'ssh' ? config.target.user : undefined;
}

/** `tlsCaFile`: the local CA's certificate, named for the database protocols (they serve TLS). */
export function connectionView(
  status: ConnectionStatus,
  config?: ConnectionConfig,
  tlsCaFile?: string,
): ConnectionView {
  const conn = connectionString(status.protocol, status.listen, databaseOf(config), userOf(config));
  const servesTls = status.protocol === 'postgres' || status.protocol === 'mysql';
  return {
    name: status.name,
    protocol: status.protocol as ConnectionView['protocol'],
    state: status.state,
    listen: status.listen,
    target: status.target,
    ...(status.credentialPath ? { credentialPath: status.credentialPath } : {}),
    ...(conn ? { connectionString: conn } : {}),
    ...(servesTls && tlsCaFile ? { tlsCaFile } : {}),
    ...(status.error ? { error: status.error } : {}),
    ...(status.offline
      ? {
          offline: {
            keepsWorking: status.offline.keepsWorking,
            ...(status.offline.until ? { until: status.offline.until.toISOString() } : {}),
            detail: status.offline.detail,
          },
        }
      : {}),
    stats: status.stats,
  };
}

/** A connection the host cannot serve (its connector is missing or refused its settings). */
export function unavailableView(config: ConnectionConfig, error: string): ConnectionView {
  const credentialPath = credentialPathOf(config.credentials);
  return {
    name: config.name,
    protocol: config.protocol,
    state: 'error',
    listen: config.listen,
    target: targetOf(config),
    ...(credentialPath ? { credentialPath } : {}),
    error,
    stats: { activeClients: 0, sessionsServed: 0, bytesToTarget: 0, bytesToClient: 0, lastError: error },
  };
}
