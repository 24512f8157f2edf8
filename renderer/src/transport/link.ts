// A HostLink is the renderer's one way to reach the host: the AppApi plus whether the way
// there is open right now (the browser bridge can drop and come back; Electron IPC cannot).
import type { AppApi, BridgeDenial } from '../../../app/api';

/** `denied`: the browser bridge refused to sign this tab in (see `denial`); it will not retry. */
export type LinkState = 'connecting' | 'open' | 'closed' | 'denied';

export interface HostLink extends AppApi {
  readonly kind: 'electron' | 'browser';
  readonly state: LinkState;
  /** Why the bridge refused to sign in, when `state` is `denied`. */
  readonly denial?: BridgeDenial;
  /** Called on every state change; returns the unsubscribe function. */
  onState(listener: (state: LinkState) => void): () => void;
  /** Stop for good (no more reconnects). */
  close(): void;
}
