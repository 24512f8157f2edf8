// Which way to the host: Electron's preload (window.sesame) when present, otherwise the
// browser bridge's WebSocket on the page's own origin.
import type { PreloadBridge } from '../../../app/api';
import type { HostLink } from './link';
import { createPreloadLink } from './preload-link';
import { createWebSocketLink } from './websocket-link';

declare global {
  interface Window {
    /** Set by the Electron preload (contextBridge.exposeInMainWorld('sesame', …), main/preload-api.ts). */
    sesame?: PreloadBridge;
  }
}

export function pickHostLink(): HostLink {
  if (window.sesame) return createPreloadLink(window.sesame);
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  return createWebSocketLink({ url: `${scheme}://${window.location.host}/api` });
}

export type { HostLink, LinkState } from './link';
