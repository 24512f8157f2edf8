// The main-process side of window.sesame: one invoke handler that checks who is calling and
// hands the call to the shared dispatcher (which validates it against the contract), and the
// host's events pushed to our window. Each window's renderer is a client with its own scope:
// when it reloads or crashes, the shell ends that scope and the terminals it held close.
import type { CallOutcome, EventMessage } from '../app/api';
import { createClientScope, type ApiDispatcher, type ClientScope } from '../app/bridge';
import { CALL_CHANNEL } from './preload-api';

/** The parts of an IpcMainInvokeEvent the check needs. */
export interface InvokeEventLike {
  sender: { id: number };
  senderFrame: { url: string } | null;
}

/** The parts of ipcMain used here. */
export interface IpcMainLike<E extends InvokeEventLike> {
  handle(channel: string, listener: (event: E, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

export interface ApiIpcOptions<E extends InvokeEventLike> {
  dispatcher: ApiDispatcher;
  /** Is the caller our own window showing our own renderer? */
  isTrusted: (event: E) => boolean;
  /** Deliver a host event to the window (webContents.send on the event channel). */
  send: (message: EventMessage) => void;
  /** Told about each refused caller (for the log). */
  onRefused?: (frameUrl: string | undefined) => void;
}

const REFUSED: CallOutcome = {
  ok: false,
  error: { code: 'permission-denied', message: 'Only the Sesame window may use the Sesame API.' },
};

export interface ApiIpc {
  /** The renderer in this web contents is gone or starting over: close what it still held open. */
  endClient(webContentsId: number): Promise<void>;
  /** Remove the handler and the event forwarding. */
  dispose(): void;
}

/** Register the handler and the event forwarding. */
export function registerApiIpc<E extends InvokeEventLike>(ipcMain: IpcMainLike<E>, options: ApiIpcOptions<E>): ApiIpc {
  const clients = new Map<number, ClientScope>();
  ipcMain.handle(CALL_CHANNEL, async (event, command, input) => {
    if (!options.isTrusted(event)) {
      options.onRefused?.(event.senderFrame?.url);
      return REFUSED;
    }
    let client = clients.get(event.sender.id);
    if (!client) clients.set(event.sender.id, (client = createClientScope(options.dispatcher)));
    return client.call(command, input);
  });
  const unsubscribe = options.dispatcher.subscribe(options.send);
  return {
    async endClient(webContentsId) {
      const client = clients.get(webContentsId);
      clients.delete(webContentsId);
      await client?.end();
    },
    dispose() {
      ipcMain.removeHandler(CALL_CHANNEL);
      unsubscribe();
    },
  };
}
