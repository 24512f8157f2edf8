// What /proc says about a process: CPU time (its own, and its reaped children's, which is how
// socat's per-connection processes are counted), memory, open files. Linux only, as the benches.
import { readFileSync, readdirSync } from 'node:fs';

const TICK_MICROS = 10_000; // USER_HZ is 100 on Linux

/** User + system CPU time in µs; with `children`, also that of its children it has waited for. */
export function cpuMicrosOf(pid: number, children = false): number {
  // Fields after the ")" that ends the command name: utime is the 12th, then stime, cutime, cstime.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const own = Number(fields[11]) + Number(fields[12]);
  return (own + (children ? Number(fields[13]) + Number(fields[14]) : 0)) * TICK_MICROS;
}

/** The pids of `pid`'s live children. */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Resident memory (VmRSS) in bytes. */
export function rssBytesOf(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? NaN) * 1024;
}

/** Memory available to new work (MemAvailable) in bytes. */
export function availableMemoryBytes(): number {
  const match = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  return Number(match?.[1] ?? NaN) * 1024;
}

/** The soft (or hard) limit on open files of `pid` (default: this process). */
export function openFileLimit(pid: number | 'self' = 'self', which: 'soft' | 'hard' = 'soft'): number {
  const line = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  const value = which === 'soft' ? line?.[1] : line?.[2];
  return value === 'unlimited' ? Infinity : Number(value ?? NaN);
}

/** How many files `pid` has open. */
export function openFilesOf(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}
