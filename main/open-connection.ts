// The tray's "Open in GUI" and "Open terminal", from what a connection view already says: a
// database URL for the OS to hand to the GUI registered for its scheme, or an ssh command line
// to the local broker address. Neither carries a credential — the broker needs none.
import type { ConnectionView } from '../app/api';

/** `host:port` of a TCP listen address ('[::1]:15432' too); undefined for unix sockets. */
export function tcpAddress(listen: string): { host: string; port: string } | undefined {
  const match = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(listen);
  return match ? { host: match[1]!, port: match[2]! } : undefined;
}

/** The URL to open for a database connection, or undefined when there is none to offer. */
export function guiUrlFor(connection: ConnectionView): string | undefined {
  if (connection.connectionString && /^(postgres|postgresql|mysql):\/\//.test(connection.connectionString)) {
    return connection.connectionString;
  }
  const address = tcpAddress(connection.listen);
  if (!address) return undefined;
  if (connection.protocol === 'postgres') return `postgresql://${address.host}:${address.port}/`;
  if (connection.protocol === 'mysql') return `mysql://${address.host}:${address.port}/`;
  return undefined;
}

/** The command to run in a terminal for an SSH connection. */
export function terminalCommandFor(connection: ConnectionView): string[] | undefined {
  if (connection.protocol !== 'ssh') return undefined;
  const address = tcpAddress(connection.listen);
  if (!address) return undefined;
  return ['ssh', '-p', address.port, address.host.replace(/^\[|\]$/g, '')];
}
