// One clock for a client connection's handshake. Each phase names itself and the code a timeout
// there reports (a SQLSTATE, a MySQL ERR…), so a timeout says what the broker was waiting for;
// the connection being turned off aborts the same signal.
import { AbortedError, PhaseTimeoutError, type ClientAnswer, type ErrorCodes } from './errors';

export interface PhaseDeadline<C> {
  /** Aborted on timeout or when the parent aborts; its reason is the error to report. */
  readonly signal: AbortSignal;
  /**
   * Names what the handshake is waiting for now, and the code a timeout here reports; `answer`
   * says how the client is told (`{ clientMessage: null }`: not at all, for waits on the client).
   */
  phase(description: string, code: C, answer?: ClientAnswer): void;
  /**
   * While `held` the clock stops: the credential waits for a Vault login, which has its own
   * limit (the session's). When the hold ends the handshake gets its whole time again.
   */
  hold(held: boolean): void;
  /** `promise`, or the abort reason if the deadline passes first. */
  race<T>(promise: Promise<T>): Promise<T>;
  /** Stops the clock (the handshake is over). */
  dispose(): void;
}

/** A timeout raises PhaseTimeoutError with the phase's code; the parent's abort, AbortedError. */
export function createPhaseDeadline<C>(ms: number, parent: AbortSignal, codes: ErrorCodes<C>): PhaseDeadline<C> {
  const controller = new AbortController();
  // A client may see these words ("timed out … while starting the session").
  let description = 'starting the session';
  let code = codes.backendUnreachable;
  let answer: ClientAnswer | undefined;
  const start = () => setTimeout(() => controller.abort(new PhaseTimeoutError(code, description, ms, answer)), ms);
  let timer: NodeJS.Timeout | undefined = start();
  let disposed = false;
  const onParentAbort = () => controller.abort(new AbortedError(codes));
  if (parent.aborted) onParentAbort();
  else parent.addEventListener('abort', onParentAbort, { once: true });

  return {
    signal: controller.signal,
    phase(d, c, a) {
      description = d;
      code = c;
      answer = a;
    },
    hold(held) {
      if (disposed || controller.signal.aborted) return;
      clearTimeout(timer);
      timer = held ? undefined : start();
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
      disposed = true;
      clearTimeout(timer);
      parent.removeEventListener('abort', onParentAbort);
    },
  };
}
