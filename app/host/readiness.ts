// Is the host ready to serve? Logged in to Vault (when any connection reads from Vault) and
// every connection listening. The daemon's /ready endpoint answers with this; it names states,
// addresses and reasons only.
import type { ConnectionView, SessionView } from '../api';
import type { SesameConfig } from '../config';

export interface Readiness {
  ready: boolean;
  session: { state: SessionView['state']; needed: boolean; ready: boolean; error?: string };
  connections: {
    name: string;
    protocol: string;
    state: ConnectionView['state'];
    listen: string;
    ready: boolean;
    error?: string;
  }[];
}

const LOGGED_IN = new Set<SessionView['state']>(['authenticated', 'renewing', 'expiring']);

export function readinessOf(config: SesameConfig, session: SessionView, connections: ConnectionView[]): Readiness {
  const needed = config.connections.some((c) => c.credentials.from === 'vault-kv');
  const sessionReady = !needed || LOGGED_IN.has(session.state);
  const detail = connections.map((c) => ({
    name: c.name,
    protocol: c.protocol,
    state: c.state,
    listen: c.listen,
    ready: c.state === 'ready',
    ...(c.error ? { error: c.error } : {}),
  }));
  return {
    ready: sessionReady && detail.every((c) => c.ready),
    session: { state: session.state, needed, ready: sessionReady, ...(session.error ? { error: session.error } : {}) },
    connections: detail,
  };
}
