// A local listener that hands each accepted socket to a handler. It knows nothing of
// protocols; it owns the sockets it accepted so that closing it ends every session.
import { chmod, lstat, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { ensurePrivateDirectory, PrivatePathError, withPrivateUmask } from '../private-files';

export type ListenAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/** Parse `127.0.0.1:15432`, `[::1]:5432`, `localhost:0` or `unix:/path/to/socket`. */
export function parseListenAddress(text: string): ListenAddress {
  if (text.startsWith('unix:')) {
    const socketPath = text.slice('unix:'.length);
    if (!path.isAbsolute(socketPath)) throw new Error(`listen address '${text}': a unix socket path must be absolute`);
    return { kind: 'unix', path: socketPath };
  }
  const match = /^(?:\[([0-9a-fA-F:]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text);
  if (!match)
    throw new Error(`listen address '${text}': expected HOST:PORT (e.g. 127.0.0.1:15432) or unix:/absolute/path`);
  const port = Number(match[3]);
  if (port > 65535) throw new Error(`listen address '${text}': port ${port} is out of range (0-65535)`);
  return { kind: 'tcp', host: match[1] ?? match[2]!, port };
}

export function formatListenAddress(address: ListenAddress): string {
  if (address.kind === 'unix') return `unix:${address.path}`;
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

export interface Listener {
  /** The bound address (port resolved when 0 was asked for). */
  readonly address: ListenAddress;
  readonly activeSockets: number;
  /** Stop accepting and destroy every accepted socket. */
  close(): Promise<void>;
}

export class ListenError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ListenError';
  }
}

export async function startListener(text: string, onSocket: (socket: net.Socket) => void): Promise<Listener> {
  const wanted = parseListenAddress(text);
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  if (wanted.kind === 'unix') await prepareUnixSocketPath(wanted.path);
  const bind = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => reject(describeListenError(text, error)));
      if (wanted.kind === 'unix') server.listen(wanted.path, resolve);
      else server.listen({ host: wanted.host, port: wanted.port, exclusive: true }, resolve);
    });
  // A unix socket is created under a 077 umask: never, not for an instant, wider than 0600.
  await (wanted.kind === 'unix' ? withPrivateUmask(bind) : bind());
  server.on('error', () => {}); // errors after listen surface per socket
  if (wanted.kind === 'unix') await chmod(wanted.path, 0o600);
  const bound = server.address();
  const address: ListenAddress =
    wanted.kind === 'unix' || typeof bound !== 'object' || !bound
      ? wanted
      : { kind: 'tcp', host: wanted.host, port: bound.port };

  return {
    address,
    get activeSockets() {
      return sockets.size;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
      if (wanted.kind === 'unix') await rm(wanted.path, { force: true });
    },
  };
}

function describeListenError(text: string, error: NodeJS.ErrnoException): ListenError {
  switch (error.code) {
    case 'EADDRINUSE':
      return new ListenError(`${text} is already in use by another program`, error.code);
    case 'EACCES':
      return new ListenError(`not allowed to listen on ${text} (a port below 1024 needs privileges)`, error.code);
    case 'EADDRNOTAVAIL':
      return new ListenError(`${text} is not an address of this machine`, error.code);
    default:
      return new ListenError(`cannot listen on ${text}: ${error.message}`, error.code);
  }
}

/**
 * The socket's directory is private: created 0700, or an existing one must be ours with no
 * group/other bits (in a directory another user can write, they could replace the socket and
 * take our clients' connections). A stale socket file from a crash is replaced.
 */
async function prepareUnixSocketPath(socketPath: string): Promise<void> {
  try {
    await ensurePrivateDirectory(path.dirname(socketPath));
  } catch (error) {
    if (error instanceof PrivatePathError)
      throw new ListenError(`cannot listen on unix:${socketPath}: ${error.message}`, 'EPERM');
    throw error;
  }
  const existing = await lstat(socketPath).catch(() => undefined);
  if (!existing) return;
  if (!existing.isSocket()) throw new ListenError(`${socketPath} exists and is not a socket`);
  const inUse = await new Promise<boolean>((resolve) => {
    const probe = net.connect(socketPath);
    probe.once('connect', () => (probe.destroy(), resolve(true)));
    probe.once('error', () => resolve(false));
  });
  if (inUse) throw new ListenError(`unix:${socketPath} is already in use by another program`, 'EADDRINUSE');
  await rm(socketPath, { force: true });
}
