// Which process is on the other end of an agent connection: broker/peer-process finds it (the
// kernel's socket table; Node has no SO_PEERCRED), and this adds what the approval prompt shows —
// its command line, where an ssh is going, its start time. Elsewhere than Linux, or when the
// lookup cannot tell, the peer is unknown and the caller decides.
import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { findPeerProcess, type PeerProcess } from '../peer-process';

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

/**
 * The agent's view of the process `found` names (broker/peer-process's lookup): what the
 * approval prompt shows beyond its name and program — the command line, where an ssh is going —
 * and its start time, which with the pid names one process for good.
 */
export async function describeAgentPeer(found: PeerProcess | undefined): Promise<AgentPeer> {
  if (!found) return UNKNOWN_PEER;
  const { pid } = found;
  const [cmdline, stat] = await Promise.all([
    readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''),
    readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''),
  ]);
  // Field 22 (starttime) comes after the parenthesised command name, which may hold spaces.
  const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  const argv = cmdline.split('\0').filter(Boolean);
  const command = argv.join(' ').slice(0, 200);
  const destination = found.name === 'ssh' ? sshDestination(argv.slice(1)) : undefined;
  return {
    pid,
    processName: found.name,
    ...(command ? { command } : {}),
    ...(found.exe ? { executable: found.exe } : {}),
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

/**
 * The process connected to `socket` (an accepted unix socket), or UNKNOWN_PEER; `found` is a
 * lookup already made (the supervisor makes one for every client), else one is made here.
 */
export async function findPeer(
  socket: Socket,
  found: Promise<PeerProcess | undefined> = findPeerProcess(socket),
): Promise<AgentPeer> {
  return describeAgentPeer(await found.catch(() => undefined));
}
