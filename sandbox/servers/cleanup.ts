// The process-wide cleanup registry. Every sandbox server registers a synchronous "tear me
// down" function here while it runs, so a normal exit, Ctrl-C (SIGINT), SIGTERM, SIGHUP or an
// uncaught exception leaves no child process and no temp dir behind. The functions are
// synchronous on purpose: the 'exit' event allows no asynchronous work, and they must also
// run while the event loop is about to stop.

export type CleanupFunction = () => void;

const registered = new Set<CleanupFunction>();
let hooksInstalled = false;

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Run `fn` once when the process ends (normal exit, SIGINT, SIGTERM, SIGHUP, uncaught
 * exception). Returns a function that unregisters it, for when the resource was released the
 * ordinary way. Functions run newest first; one that throws does not stop the others.
 */
export function onCleanup(fn: CleanupFunction): () => void {
  if (typeof fn !== 'function') throw new TypeError('onCleanup expects a function');
  installHooks();
  registered.add(fn);
  return () => {
    registered.delete(fn);
  };
}

/** Run every registered cleanup function now (once each) and forget them. */
export function runCleanupNow(): void {
  const fns = [...registered].reverse();
  registered.clear();
  for (const fn of fns) {
    try {
      fn();
    } catch (error) {
      // Cleanup must go on; say what failed so a leftover can be found by hand.
      process.stderr.write(`sesame sandbox: a cleanup step failed: ${(error as Error).message}\n`);
    }
  }
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', runCleanupNow);
  // The monitor variant observes the exception without changing Node's crash behaviour.
  process.on('uncaughtExceptionMonitor', onUncaughtException);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function onUncaughtException(): void {
  // With an 'uncaughtException' handler the process lives on (a test runner reporting the
  // error); its servers stay until it exits, when the 'exit' hook cleans up.
  if (process.listenerCount('uncaughtException') > 0) return;
  runCleanupNow();
}

function onSignal(signal: NodeJS.Signals): void {
  runCleanupNow();
  // When someone else also listens (the CLI shutting down gracefully), they decide what
  // happens next. Otherwise restore the default behaviour: die by the same signal, so the
  // parent sees the usual exit status.
  if (process.listenerCount(signal) > 1) return;
  process.off(signal, onSignal);
  process.kill(process.pid, signal);
}
