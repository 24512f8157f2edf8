// Which process is on the other end of an agent connection. Node exposes neither SO_PEERCRED
// nor getpeereid, so on Linux the answer comes from the kernel's socket table: our accepted
// socket's inode (/proc/self/fd/N → socket:[inode]) is looked up in `ss -xp` (sock_diag),
// whose row for it names the peer's inode, and the row of that inode names the process.
// Elsewhere (macOS, Windows) or without `ss`, the peer is unknown and the caller decides.
import { execFile } from 'node:child_process';
import { readFile, readlink } from 'node:fs/promises';
import type { Socket } from 'node:net';

export interface AgentPeer {
  /** undefined when the process could not be determined. */
  readonly pid: number | undefined;
  /** `ssh`, `git`, … (from /proc/PID/comm); `unknown` when undetermined. */
  readonly processName: string;
  /** The command line, shortened, for the approval prompt. */
  readonly command?: string;
  /** Process start time (clock ticks since boot): with pid, it names one process for good. */
  readonly startTime?: string;
}

export const UNKNOWN_PEER: AgentPeer = { pid: undefined, processName: 'unknown' };

function runSs(): Promise<string> {
  return new Promise((resolve) => {
    execFile('ss', ['-xpnH'], { timeout: 5_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout) =>
      resolve(error ? '' : stdout),
    );
  });
}

interface SsRow {
  readonly localInode: string;
  readonly peerInode: string;
  readonly pids: number[];
}

/** `u_str ESTAB 0 0 /path 109444 * 110548 users:(("node",pid=3756,fd=20))` */
function parseSs(output: string): SsRow[] {
  const rows: SsRow[] = [];
  for (const line of output.split('\n')) {
    const match = /^\S+\s+\S+\s+\d+\s+\d+\s+\S+\s+(\d+)\s+\S+\s+(\d+)(.*)$/.exec(line.trim());
    if (!match) continue;
    const pids = [...match[3]!.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
    rows.push({ localInode: match[1]!, peerInode: match[2]!, pids });
  }
  return rows;
}

async function describeProcess(pid: number): Promise<AgentPeer> {
  const [comm, cmdline, stat] = await Promise.all([
    readFile(`/proc/${pid}/comm`, 'utf8').catch(() => ''),
    readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''),
    readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''),
  ]);
  // Field 22 (starttime) comes after the parenthesised command name, which may hold spaces.
  const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  const command = cmdline.split('\0').filter(Boolean).join(' ').slice(0, 200);
  return {
    pid,
    processName: comm.trim() || 'unknown',
    ...(command ? { command } : {}),
    ...(startTime ? { startTime } : {}),
  };
}

/** The process connected to `socket` (an accepted unix socket), or UNKNOWN_PEER. */
export async function findPeer(socket: Socket): Promise<AgentPeer> {
  if (process.platform !== 'linux') return UNKNOWN_PEER;
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return UNKNOWN_PEER;
  const link = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
  const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
  if (!inode) return UNKNOWN_PEER;
  const rows = parseSs(await runSs());
  const ours = rows.find((row) => row.localInode === inode);
  const peer = ours && rows.find((row) => row.localInode === ours.peerInode);
  const pid = peer?.pids.find((p) => p !== process.pid) ?? peer?.pids[0];
  return pid === undefined ? UNKNOWN_PEER : describeProcess(pid);
}
