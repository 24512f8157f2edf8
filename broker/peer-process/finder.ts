// Which local process is on the other end of an accepted socket (see README.md).
import { readFile, readlink } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { within } from './deadline';
import { clientSocketKeys, findClientSocket } from './proc-net';
import { readProcessDetails } from './process-info';
import { createSocketOwnerIndex } from './socket-owners';
import { findUnixPeerInode, runSs } from './unix-peer';

export interface PeerProcess {
  pid: number;
  /** The kernel's name for it (/proc/PID/comm), or the executable's name when comm is cut. */
  name: string;
  /** The executable (readlink /proc/PID/exe). */
  exe?: string;
  /** Why `exe` is absent, e.g. "permission denied (a process of another user)". */
  exeUnreadable?: string;
}

export interface PeerProcessFinderOptions {
  /** A lookup's whole budget; past it the answer is undefined. Default 1000 ms. */
  timeoutMs?: number;
  /** How long sockets seen by a /proc scan are remembered (checked again before use). Default 3000 ms. */
  cacheMs?: number;
  /** Longest synchronous stretch of /proc reads before yielding to the event loop. Default 4 ms. */
  sliceMs?: number;
  /** For tests: the platform to act as, where /proc is, which `ss` to run. */
  platform?: NodeJS.Platform;
  procRoot?: string;
  ssCommand?: string;
}

/**
 * Who is on the other end of `socket` (an accepted loopback TCP or unix socket): undefined when
 * it cannot be told (not Linux, another network or PID namespace, the client already gone, the
 * budget spent). Never throws; call it as the socket is accepted and never hold the client on it.
 */
export type PeerProcessFinder = (socket: Socket) => Promise<PeerProcess | undefined>;

export function createPeerProcessFinder(options: PeerProcessFinderOptions = {}): PeerProcessFinder {
  const platform = options.platform ?? process.platform;
  const procRoot = options.procRoot ?? '/proc';
  const timeoutMs = options.timeoutMs ?? 1_000;
  const ssCommand = options.ssCommand ?? 'ss';
  const owners = createSocketOwnerIndex({
    procRoot,
    cacheMs: options.cacheMs ?? 3_000,
    sliceMs: options.sliceMs ?? 4,
  });

  /** The inode and owner uid of a TCP client's end, from /proc/net/tcp{,6}. */
  async function tcpClient(socket: Socket, deadline: number) {
    const { localAddress, localPort, remoteAddress, remotePort } = socket;
    if (!localAddress || !remoteAddress || !localPort || !remotePort) return undefined;
    const keys = clientSocketKeys({ localAddress, localPort, remoteAddress, remotePort });
    const files = [...new Set(keys.map((key) => key.file))];
    const texts = await Promise.all(files.map((file) => within(deadline, readFile(`${procRoot}/net/${file}`, 'utf8'))));
    const tables = Object.fromEntries(files.map((file, i) => [file, texts[i]]));
    const client = findClientSocket(tables, keys);
    // inode 0: the client closed its end already (an orphan waiting to close).
    return client && client.inode !== 0 ? { inode: client.inode, uid: client.uid } : undefined;
  }

  /** The inode of a unix client's end: our socket's inode from our fd, its peer from `ss -xnH`. */
  async function unixClient(socket: Socket, deadline: number) {
    const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) return undefined;
    const ours = /^socket:\[(\d+)\]$/.exec((await within(deadline, readlink(`/proc/self/fd/${fd}`))) ?? '')?.[1];
    if (!ours) return undefined;
    const listing = await within(deadline, runSs(ssCommand, deadline - performance.now()));
    if (!listing || 'failed' in listing) return undefined;
    const peer = findUnixPeerInode(listing.output, Number(ours));
    return peer ? { inode: peer, uid: undefined } : undefined;
  }

  async function lookup(socket: Socket): Promise<PeerProcess | undefined> {
    if (platform !== 'linux') return undefined;
    const deadline = performance.now() + timeoutMs;
    const handle = (socket as unknown as { _handle?: { constructor?: { name?: string } } })._handle;
    if (socket.destroyed || !handle) return undefined;
    const isUnix = handle.constructor?.name === 'Pipe';
    const client = isUnix ? await unixClient(socket, deadline) : await tcpClient(socket, deadline);
    if (!client) return undefined;
    const owner = await within(deadline, owners.find(client.inode, client.uid, deadline));
    if (!owner) return undefined;
    const details = await readProcessDetails(procRoot, owner.pid, deadline);
    // The process may have exited (and its pid been reused) while we read: check it still holds it.
    const still = await readlink(`${procRoot}/${owner.pid}/fd/${owner.fd}`).catch(() => undefined);
    if (!details || still !== `socket:[${client.inode}]`) return undefined;
    return { pid: owner.pid, ...details };
  }

  return (socket) => lookup(socket).catch(() => undefined);
}

let shared: PeerProcessFinder | undefined;

/** `createPeerProcessFinder()`'s answer with the defaults, sharing one scan cache per process. */
export function findPeerProcess(socket: Socket): Promise<PeerProcess | undefined> {
  shared ??= createPeerProcessFinder();
  return shared(socket);
}

/** "psql (pid 4242)", or undefined when the process is not known. */
export function describePeer(peer: PeerProcess | undefined): string | undefined {
  return peer ? `${peer.name} (pid ${peer.pid})` : undefined;
}
