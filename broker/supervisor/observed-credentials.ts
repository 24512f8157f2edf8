// A connection's credential source as the supervisor watches it: a failure is the connection's
// error (except a missing login, which the app reports on its own), the next success clears it,
// a refresh after the target refused the credential is news (rotation), and each client's wait
// for its credential is timed (not counting a wait for a Vault login): what a per-connection
// lease costs every connect.
import type { Credential, CredentialFetcher } from '../connector';
import { CredentialError } from '../credentials';

export interface CredentialWatch {
  /** A fetch failed for a reason the connection owns (not a missing login). */
  failed(message: string): void;
  /** A fetch succeeded. */
  succeeded(): void;
  /** A fetch asked for a fresh value (the target refused the one in use) and got one. */
  refreshed(): void;
}

/** The last `kept` waits, and their median (ms, one decimal). */
export function createWaitTimes(kept = 20) {
  const waits: number[] = [];
  return {
    record(ms: number): void {
      waits.push(ms);
      if (waits.length > kept) waits.shift();
    },
    median(): number | undefined {
      if (waits.length === 0) return undefined;
      const sorted = [...waits].sort((a, b) => a - b);
      const mid = sorted.length >> 1;
      const value = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
      return Math.round(value * 10) / 10;
    },
  };
}

export type WaitTimes = ReturnType<typeof createWaitTimes>;

/**
 * `inner` watched by `watch`; for a client (`used` given) the wait is timed into `waits` and
 * `used` hears which credential it got. A preflight (no `used`) is watched but not timed.
 */
export function observeCredentials(
  inner: CredentialFetcher,
  watch: CredentialWatch,
  waits: WaitTimes,
  used?: (credential: Credential) => void,
): CredentialFetcher {
  return {
    description: inner.description,
    release: inner.release?.bind(inner),
    async get(options) {
      const started = performance.now();
      let held = false;
      const request =
        used && options?.onHold
          ? {
              ...options,
              onHold: (on: boolean) => {
                held ||= on;
                options.onHold!(on);
              },
            }
          : options;
      try {
        const credential = await inner.get(request);
        if (used && !held) waits.record(performance.now() - started);
        used?.(credential);
        watch.succeeded();
        if (options?.refresh) watch.refreshed();
        return credential;
      } catch (error) {
        // No session is not the connection's fault: it stays ready, and the app says a login is needed.
        if (error instanceof CredentialError && error.kind !== 'no-session') watch.failed(error.message);
        throw error;
      }
    },
  };
}
