// A Vault request made with the session's token, as every credential source makes it. While
// the session needs a login the caller is held (and told so through `onHold`, which lets a
// client's handshake deadline wait too). A 403 may mean the token itself is gone (revoked, or
// expired at Vault): then the session ends, and the request is made once more with the token
// of the next login — the client that connected meanwhile is served, not refused.
import { VaultError } from '../vault';

export interface SessionTokenSource {
  /**
   * The current Vault token; may wait for a login (up to `waitMs`, 0 = not at all), telling
   * `onHold` when the wait starts and ends; throws when there is none.
   */
  token(options?: { waitMs?: number; onHold?: (held: boolean) => void }): Promise<string>;
  /** A request with `token` was refused: true when the session ended because of it (ask again). */
  tokenRefused?(token: string): Promise<boolean>;
}

/** What a caller of a credential source is told about being held for a Vault login, or that it must not be. */
export interface HoldOptions {
  onHold?: (held: boolean) => void;
  /** Fail at once rather than wait for a login (a preflight check, not a client). */
  noWait?: boolean;
}

export async function withSessionToken<T>(
  session: SessionTokenSource,
  options: HoldOptions,
  request: (token: string) => Promise<T>,
): Promise<T> {
  const ask = () =>
    session.token(options.noWait ? { waitMs: 0 } : options.onHold ? { onHold: options.onHold } : undefined);
  const token = await ask();
  try {
    return await request(token);
  } catch (error) {
    if (!(error instanceof VaultError && error.kind === 'permission-denied')) throw error;
    if (!(await session.tokenRefused?.(token))) throw error;
    return request(await ask());
  }
}

/**
 * Clients that share one Vault read (a cached KV value, a shared lease) share its hold: each
 * is told when the read starts and stops waiting for a login, also one that joins while it waits.
 */
export function createHoldFanout(): {
  join(listener?: (held: boolean) => void): () => void;
  onHold(held: boolean): void;
  /** True while the shared read waits for a login. */
  readonly holding: boolean;
} {
  const listeners = new Set<(held: boolean) => void>();
  let holding = false;
  return {
    join(listener) {
      if (!listener) return () => {};
      listeners.add(listener);
      if (holding) listener(true);
      return () => {
        if (listeners.delete(listener) && holding) listener(false);
      };
    },
    onHold(held) {
      holding = held;
      for (const listener of [...listeners]) listener(held);
    },
    get holding() {
      return holding;
    },
  };
}
