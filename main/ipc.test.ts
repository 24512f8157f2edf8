// window.sesame end to end over an in-memory IPC: the preload bridge in the "renderer", the
// invoke handler in "main", the real dispatcher and contract between them, and a small host.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  ApiError,
  type AppApi,
  type AppEvent,
  type CommandInput,
  type CommandName,
  type ConnectionView,
} from '../app/api';
import { createApiDispatcher, type EventMessage } from '../app/bridge/dispatcher';
import { registerApiIpc, type InvokeEventLike } from './ipc';
import type { PreloadBridge } from '../app/api';
import { BRIDGE_KEY, exposeSesameBridge } from './preload-api';
import { RENDERER_ORIGIN } from './renderer-protocol';
import { isTrustedSender } from './window';

const stats = { activeClients: 0, sessionsServed: 0, bytesToTarget: 0, bytesToClient: 0 };

/** A host with one connection that can be switched on and off. */
function smallHost() {
  const events = new EventEmitter();
  const orders: ConnectionView = {
    name: 'orders',
    protocol: 'postgres',
    state: 'off',
    listen: '127.0.0.1:15432',
    target: 'db:5432',
    stats,
  };
  const calls: string[] = [];
  const api: AppApi = {
    async call<C extends CommandName>(command: C, input: CommandInput<C>) {
      calls.push(command);
      if (command === 'connections.list') return [orders] as never;
      if (command === 'connections.setEnabled') {
        const { name, enabled } = input as CommandInput<'connections.setEnabled'>;
        if (name !== 'orders') throw new ApiError('not-found', `There is no connection named '${name}'.`, 'name');
        orders.state = enabled ? 'ready' : 'off';
        events.emit('event', { event: 'connection.changed', payload: { ...orders } } satisfies AppEvent);
        return { ...orders } as never;
      }
      throw new ApiError('unknown-command', `not in this test: ${command}`);
    },
    subscribe(listener) {
      events.on('event', listener);
      return () => events.off('event', listener);
    },
  };
  return { api, orders, calls };
}

/** Electron's IPC pair, in memory: one window (webContents id 1) showing `frameUrl`. */
function inMemoryElectron(frameUrl: string) {
  const handlers = new Map<string, (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>>();
  const toRenderer = new EventEmitter();
  const window = { webContents: { id: 1 } };
  const ipcMain = {
    handle: (channel: string, handler: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>) =>
      void handlers.set(channel, handler),
    removeHandler: (channel: string) => void handlers.delete(channel),
  };
  const senderEvent = { sender: { id: 1 }, senderFrame: { url: frameUrl } };
  const ipcRenderer = {
    async invoke(channel: string, ...args: unknown[]) {
      const handler = handlers.get(channel);
      if (!handler) throw new Error(`No handler registered for '${channel}'`);
      // Structured clone, as Electron's IPC does: nothing but data crosses.
      return structuredClone(await handler(senderEvent, ...structuredClone(args)));
    },
    on: (channel: string, listener: (event: unknown, message: EventMessage) => void) =>
      toRenderer.on(channel, listener),
    removeListener: (channel: string, listener: (event: unknown, message: EventMessage) => void) =>
      toRenderer.off(channel, listener),
  };
  const exposed: Record<string, unknown> = {};
  const contextBridge = { exposeInMainWorld: (key: string, api: unknown) => void (exposed[key] = api) };
  const sendToWindow = (message: EventMessage) =>
    toRenderer.emit('sesame:event', { sender: 'main' }, structuredClone(message));
  return { ipcMain, ipcRenderer, contextBridge, exposed, window, handlers, sendToWindow };
}

function connect(frameUrl: string) {
  const host = smallHost();
  const electron = inMemoryElectron(frameUrl);
  const refused: Array<string | undefined> = [];
  const { dispose } = registerApiIpc(electron.ipcMain, {
    dispatcher: createApiDispatcher(host.api),
    isTrusted: (event) => isTrustedSender(event, electron.window, RENDERER_ORIGIN),
    send: electron.sendToWindow,
    onRefused: (url) => refused.push(url),
  });
  exposeSesameBridge(electron);
  return { host, electron, refused, dispose, sesame: electron.exposed[BRIDGE_KEY] as PreloadBridge };
}

describe('window.sesame over IPC', () => {
  it('exposes exactly one object with call and subscribe', () => {
    const { electron } = connect(`${RENDERER_ORIGIN}/index.html`);
    expect(Object.keys(electron.exposed)).toEqual(['sesame']);
    expect(Object.keys(electron.exposed.sesame as object).sort()).toEqual(['call', 'subscribe']);
  });

  it('runs a command and delivers the events it causes', async () => {
    const { sesame } = connect(`${RENDERER_ORIGIN}/index.html`);
    const seen: EventMessage[] = [];
    const unsubscribe = sesame.subscribe((message) => seen.push(message));

    const outcome = await sesame.call('connections.setEnabled', { name: 'orders', enabled: true });
    expect(outcome).toMatchObject({ ok: true, value: { name: 'orders', state: 'ready', listen: '127.0.0.1:15432' } });
    expect(seen).toEqual([
      {
        type: 'event',
        event: 'connection.changed',
        payload: expect.objectContaining({ name: 'orders', state: 'ready' }),
      },
    ]);
    // The page gets the message, never the IPC event (which would expose ipcRenderer).
    expect(Object.keys(seen[0]!)).toEqual(['type', 'event', 'payload']);

    unsubscribe();
    await sesame.call('connections.setEnabled', { name: 'orders', enabled: false });
    expect(seen).toHaveLength(1);
  });

  it('answers bad input with a typed error and leaves the host untouched', async () => {
    const { sesame, host } = connect(`${RENDERER_ORIGIN}/index.html`);
    expect(await sesame.call('connections.setEnabled', { name: 'orders', enabled: 'yes' })).toEqual({
      ok: false,
      error: { code: 'invalid-input', message: expect.stringContaining('enabled'), field: 'enabled' },
    });
    expect(await sesame.call('connections.setEnabled', { name: 'x'.repeat(500), enabled: true })).toMatchObject({
      ok: false,
      error: { code: 'invalid-input', field: 'name' },
    });
    expect(await sesame.call('vault.unseal', {})).toMatchObject({ ok: false, error: { code: 'unknown-command' } });
    expect(await sesame.call('connections.setEnabled', { name: 'billing', enabled: true })).toMatchObject({
      ok: false,
      error: { code: 'not-found', field: 'name' },
    });
    await expect(sesame.call('', {})).rejects.toThrow('the command must be a string of 1 to 64 characters');
    expect(host.orders.state).toBe('off');
    expect(host.calls).toEqual(['connections.setEnabled']); // only the well-formed call reached the host
  });

  it('refuses a frame that is not our renderer', async () => {
    for (const url of ['https://evil.example/', 'file:///tmp/x.html', 'sesame-app://other/index.html']) {
      const { sesame, host, refused } = connect(url);
      expect(await sesame.call('connections.list', {})).toEqual({
        ok: false,
        error: { code: 'permission-denied', message: 'Only the Sesame window may use the Sesame API.' },
      });
      expect(host.calls).toEqual([]);
      expect(refused).toEqual([url]);
    }
  });

  it('removes the handler and stops events when disposed', async () => {
    const { sesame, electron, dispose, host } = connect(`${RENDERER_ORIGIN}/index.html`);
    const seen: EventMessage[] = [];
    sesame.subscribe((m) => seen.push(m));
    dispose();
    expect(electron.handlers.size).toBe(0);
    await host.api.call('connections.setEnabled', { name: 'orders', enabled: true });
    expect(seen).toEqual([]);
  });
});

describe('isTrustedSender', () => {
  const window = { webContents: { id: 7 } };
  it('accepts only our window showing our origin', () => {
    expect(
      isTrustedSender(
        { sender: { id: 7 }, senderFrame: { url: `${RENDERER_ORIGIN}/index.html#/leases` } },
        window,
        RENDERER_ORIGIN,
      ),
    ).toBe(true);
    expect(
      isTrustedSender(
        { sender: { id: 8 }, senderFrame: { url: `${RENDERER_ORIGIN}/index.html` } },
        window,
        RENDERER_ORIGIN,
      ),
    ).toBe(false);
    expect(isTrustedSender({ sender: { id: 7 }, senderFrame: null }, window, RENDERER_ORIGIN)).toBe(false);
    expect(
      isTrustedSender(
        { sender: { id: 7 }, senderFrame: { url: `${RENDERER_ORIGIN}/index.html` } },
        undefined,
        RENDERER_ORIGIN,
      ),
    ).toBe(false);
    expect(
      isTrustedSender(
        { sender: { id: 7 }, senderFrame: { url: 'http://localhost:5173/' } },
        window,
        'http://localhost:5173',
      ),
    ).toBe(true);
    expect(
      isTrustedSender(
        { sender: { id: 7 }, senderFrame: { url: 'http://localhost:5174/' } },
        window,
        'http://localhost:5173',
      ),
    ).toBe(false);
  });
});
