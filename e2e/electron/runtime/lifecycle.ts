// The stand-in's process-wide state: where it keeps its files, whether the app is ready, and
// the one shutdown path (windows, Chromium, the control socket, the single-instance lock).
import { mkdirSync } from 'node:fs';
import path from 'node:path';

const DIR = process.env.SESAME_ELECTRON_STANDIN_DIR;
if (!DIR) {
  process.stderr.write(
    'electron stand-in: SESAME_ELECTRON_STANDIN_DIR is not set; this program runs only under the e2e harness.\n',
  );
  process.exit(2);
}

/** This process's files live under the harness's directory, keyed by pid (a second launch shares the directory). */
export const standinDir: string = DIR;
export const ownDir = path.join(standinDir, String(process.pid));
mkdirSync(ownDir, { recursive: true, mode: 0o700 });
export const ownFile = (name: string) => path.join(ownDir, name);

let ready = false;
export const isReady = () => ready;
export const markReady = () => {
  ready = true;
};

export function requireNotReady(what: string): void {
  if (ready) throw new Error(`${what} should be called before app is ready`);
}

export function requireReady(what: string): void {
  if (!ready) throw new Error(`${what} cannot be used before app is ready`);
}

const cleanups: Array<() => Promise<void> | void> = [];
/** Run at shutdown, last registered first. */
export function onShutdown(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup);
}

let shuttingDown: Promise<never> | undefined;
export function shutdown(code: number): Promise<never> {
  shuttingDown ??= (async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        process.stderr.write(`electron stand-in: cleanup failed: ${(error as Error).message}\n`);
      }
    }
    process.exit(code);
  })();
  return shuttingDown;
}
