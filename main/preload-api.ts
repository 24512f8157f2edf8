// What the preload exposes to the renderer: one object, `window.sesame` (the `PreloadBridge`
// of app/api, the one type both sides of the boundary compile against), with `call` and
// `subscribe` over two IPC channels — nothing else of Electron or Node. It lives apart from
// preload.ts (which imports electron) so it can be tested with an in-memory IPC.
//
//   window.sesame.call(command, input) → Promise<CallOutcome>
//       { ok: true, value } or { ok: false, error: { code, message, field? } }. An outcome
//       rather than a rejection, because contextBridge strips an Error's own fields (code).
//   window.sesame.subscribe(listener) → unsubscribe
//       listener({ type: 'event', event, payload }) for every host event.
// Types only: the sandboxed preload is one small file that requires nothing but electron.
import type { CallOutcome, PreloadBridge, PreloadBridgeKey, EventMessage } from '../app/api';

export const CALL_CHANNEL = 'sesame:call';
export const EVENT_CHANNEL = 'sesame:event';
export const BRIDGE_KEY: PreloadBridgeKey = 'sesame';

/** The parts of ipcRenderer the bridge uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, message: EventMessage) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, message: EventMessage) => void): unknown;
}

export function createSesameBridge(ipcRenderer: IpcRendererLike): PreloadBridge {
  return {
    call(command, input) {
      if (typeof command !== 'string' || command.length === 0 || command.length > 64) {
        return Promise.reject(new TypeError('sesame.call: the command must be a string of 1 to 64 characters.'));
      }
      return ipcRenderer.invoke(CALL_CHANNEL, command, input ?? {}) as Promise<CallOutcome>;
    },
    subscribe(listener) {
      if (typeof listener !== 'function') throw new TypeError('sesame.subscribe: the listener must be a function.');
      // The IPC event object stays here: handing it over would give the page ipcRenderer itself.
      const forward = (_event: unknown, message: EventMessage) => listener(message);
      ipcRenderer.on(EVENT_CHANNEL, forward);
      return () => {
        ipcRenderer.removeListener(EVENT_CHANNEL, forward);
      };
    },
  };
}

export function exposeSesameBridge(deps: {
  contextBridge: { exposeInMainWorld(key: string, api: unknown): void };
  ipcRenderer: IpcRendererLike;
}): void {
  deps.contextBridge.exposeInMainWorld(BRIDGE_KEY, createSesameBridge(deps.ipcRenderer));
}
