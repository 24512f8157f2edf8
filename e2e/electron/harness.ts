// The journeys' side of the Electron stand-in: a directory with a stand-in `electron`
// executable (found by the CLI through ELECTRON_OVERRIDE_DIST_PATH, exactly where a real one
// would be), and a client for the stand-in's control socket.
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const HERE = import.meta.dirname;

export interface StandinDir {
  dir: string;
  /** The environment `sesame start` needs to run the app under the stand-in. */
  env: Record<string, string>;
  remove(): Promise<void>;
}

export async function prepareStandin(): Promise<StandinDir> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sesame-electron-'));
  const dist = path.join(dir, 'dist');
  await mkdir(dist);
  await mkdir(path.join(dir, 'config'));
  const executable = path.join(dist, 'electron');
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  await writeFile(
    executable,
    `#!/bin/sh\n# Stand-in Electron for the e2e journeys (e2e/electron/README.md)\nexec ${quote(process.execPath)} --import ${quote(path.join(HERE, 'register.mjs'))} ${quote(path.join(HERE, 'runtime', 'entry.ts'))} "$@"\n`,
  );
  await chmod(executable, 0o755);
  return {
    dir,
    env: {
      ELECTRON_OVERRIDE_DIST_PATH: dist,
      SESAME_ELECTRON_STANDIN_DIR: dir,
      // Electron's appData on Linux: the app's userData (logs, lock, secrets) lands here.
      XDG_CONFIG_HOME: path.join(dir, 'config'),
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface MenuView {
  label: string;
  type: string;
  enabled: boolean;
  checked?: boolean;
  submenu?: MenuView[];
}

export interface StandinState {
  pid: number;
  windows: Array<{
    id: number;
    webContentsId: number;
    visible: boolean;
    focused: boolean;
    minimized: boolean;
    url: string;
    webPreferences: Record<string, unknown>;
  }>;
  tray: { icon: string; iconExists: boolean; tooltip: string; menu: MenuView[] } | null;
  notifications: Array<{ title: string; body: string }>;
  openedExternal: string[];
  errorBoxes: Array<{ title: string; content: string }>;
  clipboard: string;
}

export interface StandinControl {
  state(): Promise<StandinState>;
  ipcLog(): Promise<Array<{ direction: 'to-main' | 'to-renderer'; channel: string; payload: string }>>;
  /** A click on the tray menu item at this path of labels, e.g. ['sandbox-postgres — Off', 'Turn on']. */
  clickTrayItem(path: string[]): Promise<void>;
  clickTrayIcon(): Promise<void>;
  /** The window's close button; resolves with whether the window really closed. */
  closeWindow(id?: number): Promise<boolean>;
  quit(): Promise<void>;
  close(): void;
}

export function connectControl(socketPath: string): Promise<StandinControl> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
    let nextId = 1;
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const reply = JSON.parse(buffered.slice(0, newline)) as {
          id: number;
          ok: boolean;
          value?: unknown;
          error?: string;
        };
        buffered = buffered.slice(newline + 1);
        const call = pending.get(reply.id);
        pending.delete(reply.id);
        if (reply.ok) call?.resolve(reply.value);
        else call?.reject(new Error(`electron stand-in: ${reply.error}`));
      }
    });
    socket.on('close', () => {
      for (const call of pending.values()) call.reject(new Error('the electron stand-in went away'));
      pending.clear();
    });
    socket.once('error', reject);
    const call = <T>(op: string, args: Record<string, unknown> = {}) =>
      new Promise<T>((done, fail) => {
        const id = nextId++;
        pending.set(id, { resolve: done as (value: unknown) => void, reject: fail });
        socket.write(`${JSON.stringify({ id, op, args })}\n`);
      });
    socket.once('connect', () =>
      resolve({
        state: () => call('state'),
        ipcLog: () => call('ipcLog'),
        clickTrayItem: (labels) => call('clickTrayItem', { path: labels }),
        clickTrayIcon: () => call('clickTrayIcon'),
        closeWindow: (id) => call('closeWindow', id === undefined ? {} : { id }),
        quit: () => call('quit'),
        close: () => socket.destroy(),
      }),
    );
  });
}
