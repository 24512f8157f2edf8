// The harness's window into the stand-in: a unix socket speaking JSON lines. Each request
// `{ id, op, args }` gets `{ id, ok, value }` or `{ id, ok: false, error }`. What it offers is
// what a user could see or do: the windows, the tray (icon, tooltip, menu; click an item), the
// notifications, the system browser's URLs, closing a window, quitting.
import { rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { app } from './app';
import { BrowserWindow } from './browser-window';
import { describeMenu, displayLabel, trays, type Menu } from './desktop-apis';
import { onShutdown, ownFile } from './lifecycle';
import { observed } from './observed';

function tray() {
  const current = [...trays].at(-1);
  if (!current) throw new Error('the app has no tray icon');
  return current;
}

function findItem(menu: Menu | undefined, labels: string[]) {
  let items = menu?.items ?? [];
  for (const [i, label] of labels.entries()) {
    const item = items.find((candidate) => candidate.visible && displayLabel(candidate.label) === label);
    if (!item)
      throw new Error(
        `no menu item '${label}' (have: ${items
          .map((c) => displayLabel(c.label))
          .filter(Boolean)
          .join(', ')})`,
      );
    if (i === labels.length - 1) return item;
    items = item.submenu?.items ?? [];
  }
  throw new Error('an empty menu path');
}

const ops: Record<string, (args: Record<string, unknown>) => unknown> = {
  state: () => ({
    pid: process.pid,
    windows: BrowserWindow.getAllWindows().map((w) => ({
      id: w.id,
      webContentsId: w.webContents.id,
      visible: w.isVisible(),
      focused: w.isFocused(),
      minimized: w.isMinimized(),
      url: w.webContents.getURL(),
      webPreferences: w.webContents.webPreferences,
    })),
    tray: [...trays].at(-1)
      ? {
          icon: path.basename(tray().image.file),
          iconExists: !tray().image.isEmpty(),
          tooltip: tray().tooltip,
          menu: describeMenu(tray().menu),
        }
      : null,
    notifications: observed.notifications,
    openedExternal: observed.openedExternal,
    errorBoxes: observed.errorBoxes,
    clipboard: observed.clipboard,
  }),
  ipcLog: () => observed.ipc,
  clickTrayItem: ({ path: labels }) => void findItem(tray().menu, labels as string[]).click(),
  clickTrayIcon: () => void tray().emit('click'),
  closeWindow: ({ id }) => {
    const window = BrowserWindow.getAllWindows().find((w) => id === undefined || w.id === id);
    if (!window) throw new Error('no such window');
    return window.close();
  },
  quit: () => void app.quit(),
};

export function startControl(): void {
  const socketPath = ownFile('control.sock');
  rmSync(socketPath, { force: true });
  const server = net.createServer((socket) => {
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        void answer(line).then((reply) => socket.write(`${JSON.stringify(reply)}\n`));
      }
    });
    socket.on('error', () => {});
  });
  server.listen(socketPath);
  server.unref();
  onShutdown(() => {
    server.close();
    rmSync(socketPath, { force: true });
  });
}

async function answer(line: string): Promise<unknown> {
  let request: { id?: unknown; op?: unknown; args?: unknown };
  try {
    request = JSON.parse(line) as typeof request;
  } catch {
    return { id: null, ok: false, error: 'not JSON' };
  }
  const op = typeof request.op === 'string' ? ops[request.op] : undefined;
  if (!op) return { id: request.id, ok: false, error: `unknown op ${String(request.op)}` };
  try {
    return { id: request.id, ok: true, value: await op((request.args ?? {}) as Record<string, unknown>) };
  } catch (error) {
    return { id: request.id, ok: false, error: (error as Error).message };
  }
}
