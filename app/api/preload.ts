// What crosses the Electron preload: `window.sesame`, declared once for both sides of the
// process boundary. main/preload-api.ts builds it over ipcRenderer; the renderer's preload link
// reads it. A call resolves with an outcome rather than rejecting, because contextBridge strips
// an Error's own fields (code, field); the renderer turns the outcome back into the command's
// value or an ApiError, checking it against the contract as the browser link does.
import type { ApiErrorShape, BridgeMessage } from './contract';

/** One command's answer as it crosses a transport: the value, or the error in plain data. */
export type CallOutcome = { ok: true; value: unknown } | { ok: false; error: ApiErrorShape };
export type ResultMessage = Extract<BridgeMessage, { type: 'result' }>;
export type EventMessage = Extract<BridgeMessage, { type: 'event' }>;

/** The name the preload exposes the bridge under: `window.sesame` (a type, so the preload
 * bundle needs nothing of app/api at run time). */
export type PreloadBridgeKey = 'sesame';

/** `window.sesame` in the Electron window. */
export interface PreloadBridge {
  /** Run a command; resolves with its outcome (never rejects for a refusal). */
  call(command: string, input?: unknown): Promise<CallOutcome>;
  /** Every host event as a bridge message; returns the unsubscribe function. */
  subscribe(listener: (message: EventMessage) => void): () => void;
}
