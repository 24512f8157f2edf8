// Real-time expiry: one timer per key (token or lease id), re-armed in steps because
// setTimeout cannot wait longer than ~24.8 days and Vault's default TTL is 32 days.

const MAX_DELAY_MS = 2 ** 31 - 1;

export interface Scheduler {
  /** Run `fn` at `whenMs` (epoch ms), replacing any earlier schedule for `key`. */
  at(key: string, whenMs: number, fn: () => void): void;
  cancel(key: string): void;
  /** Cancel everything (server stop). */
  clear(): void;
}

export function createScheduler(): Scheduler {
  const timers = new Map<string, NodeJS.Timeout>();

  function arm(key: string, whenMs: number, fn: () => void): void {
    const delay = Math.max(0, whenMs - Date.now());
    const timer = setTimeout(
      () => {
        timers.delete(key);
        if (delay > MAX_DELAY_MS) arm(key, whenMs, fn);
        else fn();
      },
      Math.min(delay, MAX_DELAY_MS),
    );
    timer.unref();
    timers.set(key, timer);
  }

  return {
    at(key, whenMs, fn) {
      const old = timers.get(key);
      if (old) clearTimeout(old);
      arm(key, whenMs, fn);
    },
    cancel(key) {
      const old = timers.get(key);
      if (old) clearTimeout(old);
      timers.delete(key);
    },
    clear() {
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    },
  };
}
