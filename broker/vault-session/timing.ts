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
