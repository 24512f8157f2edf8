// What a launcher knows about a connection: where the broker listens, the database, the user
// name to show the tool — never a credential (the broker needs none from the client) — and the
// URL built from those, checked against the allowlist of schemes before anything opens it.

export type LaunchProtocol = 'postgres' | 'mysql' | 'ssh' | 'ssh-agent' | 'http';

export interface LaunchTarget {
  /** The connection's name (for titles and errors). */
  name: string;
  protocol: LaunchProtocol;
  /** Where the broker listens now: `127.0.0.1:15432`, `[::1]:5432` or `unix:/path`. */
  listen: string;
  database?: string;
  /** ssh: the configured target user, when there is one. */
  user?: string;
}

/**
 * The user name handed to database tools that insist on one. The broker logs in with the user
 * of the credential from Vault whatever name the client gives, so this is only a placeholder.
 */
export const PLACEHOLDER_USER = 'sesame';

/** Schemes a launcher may hand to the OS or put in a command line. */
export const ALLOWED_URL_SCHEMES = ['postgres', 'postgresql', 'mysql', 'mariadb', 'ssh'] as const;

export class LaunchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LaunchError';
  }
}

export type LocalAddress = { kind: 'tcp'; host: string; port: string } | { kind: 'unix'; path: string };

/** `127.0.0.1:15432` → host/port (IPv6 without brackets); `unix:/p` → the socket path. */
export function localAddress(listen: string): LocalAddress {
  if (listen.startsWith('unix:/')) return { kind: 'unix', path: listen.slice('unix:'.length) };
  const match = /^(\[[0-9a-fA-F:]+\]|[^:[\]\s]+):(\d{1,5})$/.exec(listen);
  if (!match) throw new LaunchError(`'${listen}' is not an address a tool can connect to`);
  return { kind: 'tcp', host: match[1]!.replace(/^\[|\]$/g, ''), port: match[2]! };
}

const hostInUrl = (host: string) => (host.includes(':') ? `[${host}]` : host);

/** A database URL for the broker's address; no password, and a user only when `withUser`. */
export function databaseUrl(target: LaunchTarget, withUser = false): string {
  const address = localAddress(target.listen);
  const db = encodeURIComponent(target.database ?? '');
  const user = withUser ? `${encodeURIComponent(PLACEHOLDER_USER)}@` : '';
  let url: string;
  if (target.protocol === 'postgres') {
    url =
      address.kind === 'unix'
        ? `postgresql://${user}/${db}?host=${encodeURIComponent(address.path.replace(/\/[^/]*$/, '') || '/')}&port=${/\.s\.PGSQL\.(\d+)$/.exec(address.path)?.[1] ?? '5432'}`
        : `postgresql://${user}${hostInUrl(address.host)}:${address.port}/${db}?sslmode=disable`;
  } else if (target.protocol === 'mysql') {
    if (address.kind === 'unix')
      throw new LaunchError(`${target.name} listens on a unix socket; a mysql:// URL needs a TCP address`);
    url = `mysql://${user}${hostInUrl(address.host)}:${address.port}/${db}`;
  } else {
    throw new LaunchError(`${target.name} is ${target.protocol}: there is no database URL to open`);
  }
  return assertSafeUrl(url);
}

/** Refuses any URL whose scheme is not allowed or that carries a password; returns it unchanged. */
export function assertSafeUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new LaunchError('not a valid URL');
  }
  const scheme = parsed.protocol.replace(/:$/, '');
  if (!(ALLOWED_URL_SCHEMES as readonly string[]).includes(scheme)) {
    throw new LaunchError(`the URL scheme '${scheme}:' is not allowed (allowed: ${ALLOWED_URL_SCHEMES.join(', ')})`);
  }
  if (parsed.password !== '' || /[?&](password|pass|pwd)=/i.test(parsed.search))
    throw new LaunchError('a URL with a password is never opened');
  return url;
}
