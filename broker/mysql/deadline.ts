// One clock for a session's handshake. Each phase names itself and the ERR a timeout there
// carries, so a timeout says what the broker was waiting for; the connection being turned off
// aborts the same signal.
import { PhaseTimeoutError, SessionAbortedError, type ErrorKind, MysqlError } from './errors';

export interface Deadline {
  /** Aborted on timeout or when the parent aborts; its reason is the MysqlSessionError to report. */
  readonly signal: AbortSignal;
  /** Names what the session waits for now, and the error a timeout here reports. */
  phase(description: string, kind: ErrorKind): void;
  /** `promise`, or the abort reason if the deadline passes first. */
  race<T>(promise: Promise<T>): Promise<T>;
  /** Stops the clock (the handshake is over). */
  dispose(): void;
}

export function createDeadline(ms: number, parent: AbortSignal): Deadline {
  const controller = new AbortController();
  let description = 'starting the session';
  let kind: ErrorKind = MysqlError.backendUnreachable;
  const timer = setTimeout(() => controller.abort(new PhaseTimeoutError(kind, description, ms)), ms);
  const onParentAbort = () => controller.abort(new SessionAbortedError());
  if (parent.aborted) onParentAbort();
  else parent.addEventListener('abort', onParentAbort, { once: true });

  return {
    signal: controller.signal,
    phase(d, k) {
      description = d;
      kind = k;
    },
    race(promise) {
      const signal = controller.signal;
      if (signal.aborted) return Promise.reject(signal.reason as Error);
      return new Promise((resolve, reject) => {
        const onAbort = () => reject(signal.reason as Error);
        signal.addEventListener('abort', onAbort, { once: true });
        promise.then(
          (value) => {
            signal.removeEventListener('abort', onAbort);
            resolve(value);
          },
          (err: unknown) => {
            signal.removeEventListener('abort', onAbort);
            reject(err as Error);
          },
        );
      });
    },
    dispose() {
      clearTimeout(timer);
      parent.removeEventListener('abort', onParentAbort);
    },
  };
}
