// Broker state → view models. Only names, paths, addresses and counters cross this line.
import type { SessionSnapshot } from '../../broker/agent';
import type { ConnectionStatus } from '../../broker/supervisor';
import type { ConnectionView, SessionView } from '../api';

export function sessionView(snapshot: SessionSnapshot, vaultAddress: string, namespace?: string): SessionView {
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
  };
}

/** What a user pastes into their tool: the local address, never a password (none is needed). */
export function connectionString(protocol: string, listen: string, database?: string): string | undefined {
  if (protocol !== 'postgres') return undefined;
  if (listen.startsWith('unix:')) {
    const socket = listen.slice(5);
    const dir = socket.replace(/\/[^/]*$/, '');
    const port = /\.s\.PGSQL\.(\d+)$/.exec(socket)?.[1] ?? '5432';
    return `postgresql:///${database ?? ''}?host=${encodeURIComponent(dir)}&port=${port}`;
  }
  return `postgresql://${listen}/${database ?? ''}?sslmode=disable`;
}

export function connectionView(status: ConnectionStatus, database?: string): ConnectionView {
  const conn = connectionString(status.protocol, status.listen, database);
  return {
    name: status.name,
    protocol: status.protocol as ConnectionView['protocol'],
    state: status.state,
    listen: status.listen,
    target: status.target,
    ...(status.credentialPath ? { credentialPath: status.credentialPath } : {}),
    ...(conn ? { connectionString: conn } : {}),
    ...(status.error ? { error: status.error } : {}),
    stats: status.stats,
  };
}
