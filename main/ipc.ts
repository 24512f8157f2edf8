// The main-process side of window.sesame: one invoke handler that checks who is calling and
// hands the call to the shared dispatcher (which validates it against the contract), and the
// host's events pushed to our window.
import type { CallOutcome, WireEvent } from '../app/api';
import type { ApiDispatcher } from '../app/bridge';
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
  send: (message: WireEvent) => void;
  /** Told about each refused caller (for the log). */
  onRefused?: (frameUrl: string | undefined) => void;
}

const REFUSED: CallOutcome = {
  ok: false,
  error: { code: 'permission-denied', message: 'Only the Sesame window may use the Sesame API.' },
};

/** Register the handler and the event forwarding; returns the function that removes both. */
export function registerApiIpc<E extends InvokeEventLike>(
  ipcMain: IpcMainLike<E>,
  options: ApiIpcOptions<E>,
): () => void {
  ipcMain.handle(CALL_CHANNEL, async (event, command, input) => {
    if (!options.isTrusted(event)) {
      options.onRefused?.(event.senderFrame?.url);
      return REFUSED;
    }
    return options.dispatcher.call(command, input);
  });
  const unsubscribe = options.dispatcher.subscribe(options.send);
  return () => {
    ipcMain.removeHandler(CALL_CHANNEL);
    unsubscribe();
  };
}
