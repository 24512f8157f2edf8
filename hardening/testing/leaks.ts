// Counting what a process holds: open file descriptors (/proc/self/fd) and the active handles
// Node reports (sockets, servers, timers, child processes). A fault that leaks shows up as a
// count that does not come back after the scenario's cleanup.
import { readdirSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';

export interface ResourceCounts {
  fds: number;
  handles: number;
  /** Handle count per type (TCPSocketWrap, Timeout, …), for the failure message. */
  byType: Record<string, number>;
}

export function countResources(): ResourceCounts {
  const types = process.getActiveResourcesInfo();
  const byType: Record<string, number> = {};
  for (const t of types) byType[t] = (byType[t] ?? 0) + 1;
  return { fds: readdirSync('/proc/self/fd').length, handles: types.length, byType };
}

export interface LeakSlack {
  fds?: number;
  handles?: number;
  /** How long closing sockets and timers may take to be released. */
  settleMs?: number;
}

/**
 * Waits until fds and handles are back within `slack` of `before`, else throws with both
 * snapshots. Sockets close and timers clear asynchronously, so it polls before judging.
 */
export async function expectReleased(before: ResourceCounts, slack: LeakSlack = {}): Promise<ResourceCounts> {
  const fdSlack = slack.fds ?? 4;
  const handleSlack = slack.handles ?? 4;
  const deadline = Date.now() + (slack.settleMs ?? 15_000);
  let now = countResources();
  while (now.fds > before.fds + fdSlack || now.handles > before.handles + handleSlack) {
    if (Date.now() > deadline) {
      throw new Error(
        `resources not released: fds ${before.fds} → ${now.fds} (slack ${fdSlack}), handles ${before.handles} → ${now.handles} (slack ${handleSlack}); ` +
          `before ${JSON.stringify(before.byType)}, after ${JSON.stringify(now.byType)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    now = countResources();
  }
  return now;
}

/** A full-GC function: the global one under --expose-gc, else V8's, exposed at run time. */
function findGc(): (() => void) | undefined {
  const global = (globalThis as { gc?: () => void }).gc;
  if (global) return global;
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}
const gc = findGc();

/** Heap after a full GC when one can be forced, else the resident set size. */
export function measuredMemory(): { bytes: number; kind: 'heapUsed' | 'rss' } {
  if (gc) {
    gc();
    return { bytes: process.memoryUsage().heapUsed, kind: 'heapUsed' };
  }
  return { bytes: process.memoryUsage().rss, kind: 'rss' };
}
