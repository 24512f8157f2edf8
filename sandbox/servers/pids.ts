// Process-table helpers for stopping servers thoroughly. Linux exposes the table in /proc; on
// systems without it these degrade to signal-0 checks and an empty tree.
import fs from 'node:fs';

/** A process as identified by its pid and its start time, so a reused pid is never killed. */
export interface ProcessIdentity {
  readonly pid: number;
  readonly startTime: string;
}

interface ProcStat {
  readonly state: string;
  readonly ppid: number;
  readonly startTime: string;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [state, ppid] = fields;
  const startTime = fields[19];
  if (!state || !ppid || !startTime) return undefined;
  return { state, ppid: Number(ppid), startTime };
}

const hasProc = fs.existsSync('/proc/self/stat');

/** True while `pid` runs; a zombie (exited, not yet reaped) counts as gone. */
export function isAlive(pid: number): boolean {
  if (hasProc) {
    const stat = readStat(pid);
    return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `pid` and all its descendants, as they are now. */
export function processTree(pid: number): ProcessIdentity[] {
  if (!hasProc) return [];
  const children = new Map<number, number[]>();
  const starts = new Map<number, string>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    starts.set(Number(entry), stat.startTime);
    const siblings = children.get(stat.ppid) ?? [];
    siblings.push(Number(entry));
    children.set(stat.ppid, siblings);
  }
  const tree: ProcessIdentity[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const current = queue.shift()!;
    const startTime = starts.get(current);
    if (startTime === undefined) continue;
    tree.push({ pid: current, startTime });
    queue.push(...(children.get(current) ?? []));
  }
  return tree;
}

/** Send `signal` to the process only if it is still the same one (same start time). */
export function killIfSame(proc: ProcessIdentity, signal: NodeJS.Signals): void {
  const stat = readStat(proc.pid);
  if (!stat || stat.startTime !== proc.startTime) return;
  try {
    process.kill(proc.pid, signal);
  } catch {
    // gone in the meantime
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Block the thread for `ms`: only for the synchronous cleanup path. */
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** Whether this very process (same pid and start time) is still running. */
export function isStillRunning(proc: ProcessIdentity): boolean {
  const stat = readStat(proc.pid);
  return stat !== undefined && stat.startTime === proc.startTime && stat.state !== 'Z' && stat.state !== 'X';
}
