// App lifecycle rules: one running Sesame per user (a second launch brings the first to the
// front), the tray keeps the app alive with no window, and quitting first closes the host
// (listeners closed, per-connection leases revoked, the token kept in the keychain).

export interface LifecycleApp {
  requestSingleInstanceLock(): boolean;
  on(event: 'second-instance', listener: () => void): unknown;
  on(event: 'window-all-closed', listener: () => void): unknown;
  on(event: 'before-quit', listener: (event: { preventDefault(): void }) => void): unknown;
  quit(): void;
  exit(code?: number): void;
}

/** Take the single-instance lock; false means another Sesame runs (and was told to show). */
export function claimSingleInstance(app: LifecycleApp, onSecondInstance: () => void): boolean {
  if (!app.requestSingleInstanceLock()) return false;
  app.on('second-instance', onSecondInstance);
  // Without a listener Electron quits when the last window closes; Sesame lives in the tray.
  app.on('window-all-closed', () => {});
  return true;
}

export interface GracefulQuitOptions {
  /** Stop everything the app runs (the host); awaited before the process ends. */
  close: () => Promise<void>;
  onError?: (error: unknown) => void;
  /** Give up waiting for `close` after this long and exit anyway (default 15 s). */
  timeoutMs?: number;
}

export interface GracefulQuit {
  /** True from the first quit request on (the window then closes instead of hiding). */
  isQuitting(): boolean;
}

export function installGracefulQuit(app: LifecycleApp, options: GracefulQuitOptions): GracefulQuit {
  let state: 'running' | 'closing' | 'closed' = 'running';
  app.on('before-quit', (event) => {
    if (state === 'closed') return; // the second pass: let Electron quit
    event.preventDefault();
    if (state === 'closing') return;
    state = 'closing';
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.timeoutMs ?? 15_000);
    });
    void Promise.race([options.close().then(() => 'closed' as const), deadline])
      .then((outcome) => {
        if (outcome === 'timeout')
          options.onError?.(new Error('Sesame did not finish closing in time; quitting anyway.'));
      })
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => {
        clearTimeout(timer);
        state = 'closed';
        app.quit();
      });
  });
  return { isQuitting: () => state !== 'running' };
}
