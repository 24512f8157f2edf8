// One clock for a session's handshake. Each phase names itself, so a timeout says what the
// broker was waiting for; the connection being turned off aborts the same signal.
import { PhaseTimeoutError, SessionAbortedError } from './errors';

export interface Deadline {
  /** Aborted on timeout or when the parent aborts; its reason is the PgSessionError to report. */
  readonly signal: AbortSignal;
  /** Names what the session is waiting for now, and the SQLSTATE a timeout here should carry. */
  phase(description: string, sqlstate: string): void;
  /** `promise`, or the abort reason if the deadline passes first. */
  race<T>(promise: Promise<T>): Promise<T>;
  /** Stops the clock (the handshake is over). */
  dispose(): void;
}

export function createDeadline(ms: number, parent: AbortSignal): Deadline {
  const controller = new AbortController();
  let description = 'starting the session';
  let sqlstate = '08006';
  const timer = setTimeout(() => controller.abort(new PhaseTimeoutError(sqlstate, description, ms)), ms);
  const onParentAbort = () => controller.abort(new SessionAbortedError());
  if (parent.aborted) onParentAbort();
  else parent.addEventListener('abort', onParentAbort, { once: true });

  return {
    signal: controller.signal,
    phase(d, s) {
      description = d;
      sqlstate = s;
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
