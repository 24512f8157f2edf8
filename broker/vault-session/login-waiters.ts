// Callers that need the token while there is none wait here, each with its own deadline, until
// a login succeeds (they get the token), the user logs out, or their time runs out.
import { CredentialError } from '../credentials';

interface Waiter {
  resolve(token: string): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  cleanup(): void;
}

export interface LoginWaiters {
  readonly size: number;
  /** Wait up to `timeoutMs`; `describe` says why there is no token, for the timeout error. */
  wait(
    timeoutMs: number,
    describe: () => string,
    signal?: AbortSignal,
    onHold?: (held: boolean) => void,
  ): Promise<string>;
  resolveAll(token: string): void;
  rejectAll(error: Error): void;
}

export function createLoginWaiters(): LoginWaiters {
  const waiters = new Set<Waiter>();
  return {
    get size() {
      return waiters.size;
    },
    wait(timeoutMs, describe, signal, onHold) {
      return new Promise<string>((resolve, reject) => {
        const onAbort = () => {
          waiter.cleanup();
          reject(new CredentialError('no-session', 'stopped waiting for a Vault login (the client went away)'));
        };
        const waiter: Waiter = {
          resolve,
          reject,
          timer: setTimeout(() => {
            waiter.cleanup();
            reject(
              new CredentialError(
                'no-session',
                `${describe()}, and nobody logged in within ${Math.round(timeoutMs / 1000)} s; log in to Vault in Sesame and try again`,
              ),
            );
          }, timeoutMs),
          cleanup: () => {
            clearTimeout(waiter.timer);
            if (waiters.delete(waiter)) onHold?.(false);
            signal?.removeEventListener('abort', onAbort);
          },
        };
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        waiters.add(waiter);
        onHold?.(true);
      });
    },
    resolveAll(token) {
      for (const waiter of [...waiters]) {
        waiter.cleanup();
        waiter.resolve(token);
      }
    },
    rejectAll(error) {
      for (const waiter of [...waiters]) {
        waiter.cleanup();
        waiter.reject(error);
      }
    },
  };
}
