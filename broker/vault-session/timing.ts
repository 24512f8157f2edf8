// When to renew, when to retry. Jitter keeps many clients (or many leases) from acting in step.

/** Renew at about two thirds of the TTL, minus up to a tenth of it as jitter. */
export function renewDelayMs(ttlSeconds: number, random = Math.random): number {
  const base = (ttlSeconds * 1000 * 2) / 3;
  return Math.max(250, base - random() * ttlSeconds * 1000 * 0.1);
}

/** Exponential backoff between min and max for the nth failure (1-based), with jitter. */
export function backoffDelayMs(failures: number, minMs: number, maxMs: number, random = Math.random): number {
  const exponent = Math.max(0, Math.min(30, failures - 1));
  const ceiling = Math.min(maxMs, minMs * 2 ** exponent);
  // Between 75 % and 100 % of the ceiling: spread out, never much shorter than asked.
  return Math.max(minMs, Math.round(ceiling * (0.75 + random() * 0.25)));
}

/** A timer that does not keep the process alive. */
export function unrefTimer(fn: () => void, ms: number): NodeJS.Timeout {
  const timer = setTimeout(fn, Math.max(0, ms));
  timer.unref();
  return timer;
}

/**
 * Notices that timers ran late: the computer slept (Node's timers follow a clock that stops
 * during suspend, while tokens expire by the wall clock) or the process was paused. Every
 * `intervalMs` it compares the wall clock with when it last looked; a gap longer than
 * `intervalMs + toleranceMs` calls `onWake(lateMs)`. Unref'd; stop() ends it.
 */
export function watchForWake(
  onWake: (lateMs: number) => void,
  { intervalMs = 2_000, toleranceMs = 3_000 }: { intervalMs?: number; toleranceMs?: number } = {},
): { stop(): void } {
  let last = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    const late = now - last - intervalMs;
    last = now;
    if (late > toleranceMs) onWake(late);
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
