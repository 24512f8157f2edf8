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
  /** The program's path (/proc/PID/exe); absent when the kernel does not say (another user's process). */
  readonly executable?: string;
  /** Where an `ssh` (or scp/sftp's ssh) is going, from its arguments: `user@host`, `host`. */
  readonly destination?: string;
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
  const [comm, cmdline, stat, executable] = await Promise.all([
    readFile(`/proc/${pid}/comm`, 'utf8').catch(() => ''),
    readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''),
    readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''),
    readlink(`/proc/${pid}/exe`).catch(() => ''),
  ]);
  // Field 22 (starttime) comes after the parenthesised command name, which may hold spaces.
  const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  const argv = cmdline.split('\0').filter(Boolean);
  const command = argv.join(' ').slice(0, 200);
  const processName = comm.trim() || 'unknown';
  const destination = processName === 'ssh' ? sshDestination(argv.slice(1)) : undefined;
  return {
    pid,
    processName,
    ...(command ? { command } : {}),
    ...(executable ? { executable } : {}),
    ...(destination ? { destination } : {}),
    ...(startTime ? { startTime } : {}),
  };
}

/** ssh(1)'s options that take an argument (OpenSSH 9): `-p 22`, `-p22`, `-oX=y`. */
const SSH_OPTIONS_WITH_ARGUMENT = new Set('BbcDEeFIiJLlmOoPpQRSWw');

/**
 * The destination of an ssh command line (its arguments, without `ssh`): the first operand,
 * with `-l user` and `-p port` folded in when given. undefined when there is none.
 */
export function sshDestination(args: readonly string[]): string | undefined {
  let user: string | undefined;
  let port: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return withParts(args[i + 1], user, port);
    if (!arg.startsWith('-') || arg === '-') return withParts(arg, user, port);
    // A cluster of flags, the last of which may take an argument (attached or next).
    for (let j = 1; j < arg.length; j++) {
      const flag = arg[j]!;
      if (!SSH_OPTIONS_WITH_ARGUMENT.has(flag)) continue;
      const value = j + 1 < arg.length ? arg.slice(j + 1) : args[++i];
      if (flag === 'l') user = value;
      if (flag === 'p') port = value;
      break;
    }
  }
  return undefined;
}

function withParts(operand: string | undefined, user?: string, port?: string): string | undefined {
  if (!operand) return undefined;
  let destination = operand;
  if (user && !destination.includes('@') && !destination.startsWith('ssh://')) destination = `${user}@${destination}`;
  if (port && !destination.startsWith('ssh://')) destination = `${destination} port ${port}`;
  return destination;
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
