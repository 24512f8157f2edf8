// A HostLink is the renderer's one way to reach the host: the AppApi plus whether the way
// there is open right now (the browser bridge can drop and come back; Electron IPC cannot).
import type { AppApi } from '../../../app/api';

export type LinkState = 'connecting' | 'open' | 'closed';

export interface HostLink extends AppApi {
  readonly kind: 'electron' | 'browser';
  readonly state: LinkState;
  /** Called on every state change; returns the unsubscribe function. */
  onState(listener: (state: LinkState) => void): () => void;
  /** Stop for good (no more reconnects). */
  close(): void;
}
