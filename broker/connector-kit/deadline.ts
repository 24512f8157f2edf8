// One clock for a session's handshake. Each phase names itself and the failure a timeout there
// reports (a SQLSTATE, a MySQL ERR kind…), so a timeout says what the broker was waiting for;
// the connection being turned off aborts the same signal.

export interface PhaseDeadline<F> {
  /** Aborted on timeout or when the parent aborts; its reason is the error to report. */
  readonly signal: AbortSignal;
  /** Names what the session is waiting for now, and the failure a timeout here reports. */
  phase(description: string, failure: F): void;
  /** `promise`, or the abort reason if the deadline passes first. */
  race<T>(promise: Promise<T>): Promise<T>;
  /** Stops the clock (the handshake is over). */
  dispose(): void;
}

/** How a protocol turns a timeout or an abort into its own session error. */
export interface DeadlineErrors<F> {
  /** The failure reported before any phase was named. */
  readonly initial: F;
  timedOut(failure: F, phase: string, ms: number): Error;
  aborted(): Error;
}

export function createPhaseDeadline<F>(ms: number, parent: AbortSignal, errors: DeadlineErrors<F>): PhaseDeadline<F> {
  const controller = new AbortController();
  let description = 'starting the session';
  let failure = errors.initial;
  const timer = setTimeout(() => controller.abort(errors.timedOut(failure, description, ms)), ms);
  const onParentAbort = () => controller.abort(errors.aborted());
  if (parent.aborted) onParentAbort();
  else parent.addEventListener('abort', onParentAbort, { once: true });

  return {
    signal: controller.signal,
    phase(d, f) {
      description = d;
      failure = f;
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
