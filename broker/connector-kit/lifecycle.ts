// The parts of a client connection's life that every connector shares, SSH's included: its
// place under the connection's `maxSessions`, and hearing the connection being turned off.
import { setMaxListeners } from 'node:events';

export interface ClientCount {
  /** Clients being served now. */
  readonly active: number;
  /** Counts one more client, or throws `refuse(max)` when `max` are being served; returns its release (idempotent). */
  admit(): () => void;
}

export function createClientCount(max: number | undefined, refuse: (max: number) => Error): ClientCount {
  let active = 0;
  return {
    get active() {
      return active;
    },
    admit() {
      if (max !== undefined && active >= max) throw refuse(max);
      active++;
      let counted = true;
      return () => {
        if (counted) active--;
        counted = false;
      };
    },
  };
}

/** Calls `onAbort` once when `signal` aborts; returns what stops listening. */
export function watchAbort(signal: AbortSignal, onAbort: () => void): () => void {
  // A connection's signal carries a listener per live client: many is normal, not a leak.
  setMaxListeners(0, signal);
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}
