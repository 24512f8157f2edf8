// `app`: names and paths as Electron computes them on Linux, readiness, the single-instance
// lock (a lock file with the owner's pid; a second launch leaves its argv and signals the
// owner, which emits 'second-instance'), and quitting with Electron's order of events:
// before-quit (cancelable) → every window's 'close' (cancelable) → will-quit → quit → exit.
import {
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  closeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appEvents, BrowserWindow, onWindowClosed } from './browser-window';
import { cancelable, say } from './events';
import { isReady, markReady, onShutdown, shutdown } from './lifecycle';

const paths = new Map<string, string>();
let name = 'Electron';
let version = '0.0.0';
let appPath = process.cwd();
let quitting = false;
let ownsLock = false;
let readyResolve: () => void = () => {};
const readyPromise = new Promise<void>((resolve) => (readyResolve = resolve));
const loginItem = { openAtLogin: false, openAsHidden: false, wasOpenedAtLogin: false, args: [] as string[] };

function appData(): string {
  return process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
}

function lockDir(): string {
  return app.getPath('userData');
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Messages a second launch left for this instance. */
function readSecondInstances(): void {
  const inbox = path.join(lockDir(), 'SingletonInbox');
  for (const file of existsSync(inbox) ? readdirSync(inbox) : []) {
    const full = path.join(inbox, file);
    try {
      const { argv, cwd } = JSON.parse(readFileSync(full, 'utf8')) as { argv: string[]; cwd: string };
      rmSync(full, { force: true });
      say('second instance launched');
      app.emit('second-instance', cancelable(), argv, cwd, {});
    } catch {
      // half-written: the signal for it comes after the file is complete
    }
  }
}

export const app = Object.assign(appEvents, {
  // SESAME_STANDIN_PACKAGED=1 plays an installed build (electron-builder's app.isPackaged).
  isPackaged: process.env.SESAME_STANDIN_PACKAGED === '1',
  commandLine: { appendSwitch() {}, hasSwitch: () => false, getSwitchValue: () => '' },
  setName: (value: string) => void (name = value),
  getName: () => name,
  getVersion: () => version,
  getAppPath: () => appPath,
  getLocale: () => 'en-US',
  getPath(which: string): string {
    const set = paths.get(which);
    if (set) return set;
    switch (which) {
      case 'home':
        return os.homedir();
      case 'appData':
        return appData();
      case 'userData':
      case 'sessionData':
        return path.join(appData(), name);
      case 'logs':
        return path.join(app.getPath('userData'), 'logs');
      case 'temp':
        return os.tmpdir();
      case 'exe':
        return process.execPath;
      case 'desktop':
      case 'documents':
      case 'downloads':
        return path.join(os.homedir(), which[0]!.toUpperCase() + which.slice(1));
      default:
        throw new Error(`Failed to get '${which}' path`);
    }
  },
  setPath: (which: string, value: string) => void paths.set(which, value),
  enableSandbox(): void {
    if (isReady()) throw new Error('app.enableSandbox() can only be called before app is ready');
  },
  setAppUserModelId(): void {},
  isReady,
  whenReady: () => readyPromise,
  focus(): void {},
  getLoginItemSettings: () => ({ ...loginItem }),
  setLoginItemSettings: (settings: Partial<typeof loginItem>) => void Object.assign(loginItem, settings),

  requestSingleInstanceLock(): boolean {
    const dir = lockDir();
    mkdirSync(path.join(dir, 'SingletonInbox'), { recursive: true });
    const lock = path.join(dir, 'SingletonLock');
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(lock, 'wx', 0o600);
        writeFileSync(fd, String(process.pid));
        closeSync(fd);
        ownsLock = true;
        process.on('SIGUSR2', readSecondInstances);
        onShutdown(() => {
          if (ownsLock) unlinkSync(lock);
        });
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const owner = Number(readFileSync(lock, 'utf8'));
        if (!owner || !processAlive(owner)) {
          rmSync(lock, { force: true }); // left by a process that died
          continue;
        }
        const message = path.join(dir, 'SingletonInbox', `${process.pid}.json`);
        writeFileSync(`${message}.tmp`, JSON.stringify({ argv: process.argv, cwd: process.cwd() }));
        writeFileSync(message, readFileSync(`${message}.tmp`));
        rmSync(`${message}.tmp`);
        process.kill(owner, 'SIGUSR2');
        return false;
      }
    }
    return false;
  },
  hasSingleInstanceLock: () => ownsLock,

  quit(): void {
    setImmediate(() => void quitInOrder());
  },
  exit(code = 0): void {
    void shutdown(code);
  },
});

async function quitInOrder(): Promise<void> {
  if (quitting) return;
  const beforeQuit = cancelable();
  app.emit('before-quit', beforeQuit);
  if (beforeQuit.defaultPrevented) return;
  quitting = true;
  for (const window of BrowserWindow.getAllWindows()) {
    if (!window.close()) {
      quitting = false; // a window refused to close: Electron cancels the quit
      return;
    }
  }
  const willQuit = cancelable();
  app.emit('will-quit', willQuit);
  if (willQuit.defaultPrevented) {
    quitting = false;
    return;
  }
  app.emit('quit', cancelable(), 0);
  say('quit');
  await shutdown(0);
}

// Without a 'window-all-closed' listener Electron quits when the last window closes.
onWindowClosed(() => {
  if (BrowserWindow.getAllWindows().length > 0 || quitting) return;
  if (app.listenerCount('window-all-closed') > 0) app.emit('window-all-closed');
  else app.quit();
});

/** Electron reads the app's package.json for its name and version before running main. */
export function loadApp(directory: string): string {
  const pkg = JSON.parse(readFileSync(path.join(directory, 'package.json'), 'utf8')) as {
    name?: string;
    productName?: string;
    version?: string;
    main?: string;
  };
  appPath = directory;
  name = pkg.productName ?? pkg.name ?? name;
  version = pkg.version ?? version;
  return path.join(directory, pkg.main ?? 'index.js');
}

export function becomeReady(): void {
  markReady();
  readyResolve();
  app.emit('ready', cancelable(), {});
}
