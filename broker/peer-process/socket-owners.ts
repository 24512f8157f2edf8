// Which process holds a socket inode: the process whose /proc/PID/fd/N links to "socket:[INODE]".
// Linux keeps no index from inode to process; every tool that answers it (ss -p, lsof,
// netstat -p) reads /proc/*/fd. This one reads less, in a better order:
//
//   1. when the socket's owner uid is known (the uid column of /proc/net/tcp), processes of that
//      uid first (/proc/PID is owned by the process's effective uid), newest pid first — a
//      client has usually just started;
//   2. then every other process, newest first (the socket may have changed hands: fd passing,
//      setuid).
//
// Every socket seen on the way is remembered briefly (inode → pid, fd), so lookups queued behind
// a scan — a GUI opening five connections at once — are answered from it; a remembered answer is
// checked again (one readlink) before use. Scans run one at a time, in slices of synchronous
// /proc reads (µs each: /proc/PID/fd never waits on a process's memory) separated by
// setImmediate, so the event loop is held at most `sliceMs` at a stretch.
import { readdirSync, readlinkSync, statSync } from 'node:fs';

export interface SocketOwner {
  pid: number;
  fd: string;
}

export interface SocketOwnerIndexOptions {
  procRoot: string;
  /** How long sockets seen by a scan are remembered. */
  cacheMs: number;
  /** Longest synchronous stretch of a scan before it yields to the event loop. */
  sliceMs: number;
}

export interface SocketOwnerIndex {
  /** Who holds socket `inode` (`uid`: the socket's owner when known); undefined when nobody or past `deadline`. */
  find(inode: number, uid: number | undefined, deadline: number): Promise<SocketOwner | undefined>;
}

const CACHE_LIMIT = 50_000;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createSocketOwnerIndex({ procRoot, cacheMs, sliceMs }: SocketOwnerIndexOptions): SocketOwnerIndex {
  const cache = new Map<number, SocketOwner & { at: number }>();
  let queue: Promise<unknown> = Promise.resolve();

  const link = (pid: number, fd: string) => {
    try {
      return readlinkSync(`${procRoot}/${pid}/fd/${fd}`);
    } catch {
      return undefined;
    }
  };

  const fromCache = (inode: number): SocketOwner | undefined => {
    const entry = cache.get(inode);
    if (!entry) return undefined;
    if (performance.now() - entry.at > cacheMs || link(entry.pid, entry.fd) !== `socket:[${inode}]`) {
      cache.delete(inode);
      return undefined;
    }
    return { pid: entry.pid, fd: entry.fd };
  };

  async function scan(inode: number, uid: number | undefined, deadline: number): Promise<SocketOwner | undefined> {
    const target = `socket:[${inode}]`;
    const startedAt = performance.now();
    for (const [key, entry] of cache) if (startedAt - entry.at > cacheMs) cache.delete(key);
    if (cache.size > CACHE_LIMIT) cache.clear();

    let sliceStart = startedAt;
    /** Yields when the slice is used up; false once the deadline has passed. */
    const goOn = async (): Promise<boolean> => {
      if (performance.now() - sliceStart >= sliceMs) {
        await yieldToLoop();
        sliceStart = performance.now();
      }
      return sliceStart < deadline && performance.now() < deadline;
    };

    let pids: number[];
    try {
      pids = readdirSync(procRoot)
        .filter((name) => /^\d+$/.test(name))
        .map(Number)
        .sort((a, b) => b - a);
    } catch {
      return undefined;
    }
    if (uid !== undefined) {
      const ownerOf = (pid: number) => {
        try {
          return statSync(`${procRoot}/${pid}`).uid;
        } catch {
          return undefined;
        }
      };
      const mine = pids.filter((pid) => ownerOf(pid) === uid);
      const set = new Set(mine);
      pids = [...mine, ...pids.filter((pid) => !set.has(pid))];
    }

    for (const pid of pids) {
      let fds: string[];
      try {
        fds = readdirSync(`${procRoot}/${pid}/fd`);
      } catch {
        continue; // gone, or another user's and we are not root
      }
      const seenAt = performance.now();
      let hit: string | undefined;
      for (const fd of fds) {
        const text = link(pid, fd);
        if (!text?.startsWith('socket:[')) continue;
        if (text === target) hit = fd;
        cache.set(Number(text.slice(8, -1)), { pid, fd, at: seenAt });
      }
      if (hit !== undefined) return { pid, fd: hit };
      if (!(await goOn())) return undefined;
    }
    return undefined;
  }

  return {
    find(inode, uid, deadline) {
      const cached = fromCache(inode);
      if (cached) return Promise.resolve(cached);
      // One scan at a time: the ones queued behind it are often answered by what it saw.
      const turn = queue.then(() => {
        if (performance.now() >= deadline) return undefined;
        return fromCache(inode) ?? scan(inode, uid, deadline);
      });
      queue = turn.catch(() => undefined);
      return turn;
    },
  };
}
