// Query cancellation through the broker. The client receives a broker-issued BackendKeyData;
// a CancelRequest carrying it arrives as a new connection on the listener, and the registry
// maps it to the real backend key and the backend address that client connection used.
import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { createPhaseDeadline } from '../connector-kit';
import { PG_CODES, SqlState } from './errors';
import { cancelRequest, type BackendKey } from './protocol';
import type { ResolvedPostgresTarget } from './target';
import { openBackendTransport, type BackendAddress } from './transport';

export interface CancelEntry {
  /** The backend's own key for the client connection. */
  readonly backendKey: BackendKey;
  /** The address the client's backend socket is connected to. */
  readonly address: BackendAddress;
}

export interface CancelRegistration {
  /** The key to give the client in place of the backend's. */
  readonly clientKey: BackendKey;
  unregister(): void;
}

export interface CancelRegistry {
  register(entry: CancelEntry): CancelRegistration;
  /** The entry for a client key, or undefined (unknown pid or wrong secret). */
  lookup(processId: number, secretKey: Buffer): CancelEntry | undefined;
  readonly size: number;
}

export function createCancelRegistry(): CancelRegistry {
  const entries = new Map<number, { secretKey: Buffer; entry: CancelEntry }>();
  return {
    register(entry) {
      let processId: number;
      do processId = randomInt(1, 2 ** 31 - 1);
      while (entries.has(processId));
      const secretKey = randomBytes(4);
      entries.set(processId, { secretKey, entry });
      return {
        clientKey: { processId, secretKey },
        unregister: () => {
          if (entries.get(processId)?.entry === entry) entries.delete(processId);
        },
      };
    },
    lookup(processId, secretKey) {
      const found = entries.get(processId);
      if (!found || found.secretKey.length !== secretKey.length) return undefined;
      return timingSafeEqual(found.secretKey, secretKey) ? found.entry : undefined;
    },
    get size() {
      return entries.size;
    },
  };
}

/**
 * Sends the real CancelRequest to the client's backend over the same kind of channel (TLS per
 * sslmode) and waits for the server to close it; PostgreSQL never answers a cancel.
 */
export async function forwardCancel(
  target: ResolvedPostgresTarget,
  entry: CancelEntry,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  const deadline = createPhaseDeadline(timeoutMs, signal, PG_CODES);
  try {
    const { socket } = await openBackendTransport(target, deadline, entry.address);
    try {
      deadline.phase('forwarding the cancel request', SqlState.connectionFailure);
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      // Read (nothing is expected) so the server's close is seen: a paused socket may not read at all.
      socket.resume();
      socket.end(cancelRequest(entry.backendKey.processId, entry.backendKey.secretKey));
      await deadline.race(closed);
    } finally {
      socket.destroy();
    }
  } finally {
    deadline.dispose();
  }
}
