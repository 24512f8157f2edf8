// Which way to the host: Electron's preload (window.sesame) when present, otherwise the
// browser bridge's WebSocket on the page's own origin, signed in with the token of the link
// this tab was opened with (its #fragment, removed from the address bar at once) or with the
// session secret kept in this tab's sessionStorage.
import type { PreloadBridge } from '../../../app/api';
import type { HostLink } from './link';
import { createPreloadLink } from './preload-link';
import { createWebSocketLink, type SignIn } from './websocket-link';

declare global {
  interface Window {
    /** Set by the Electron preload (contextBridge.exposeInMainWorld('sesame', …), main/preload-api.ts). */
    sesame?: PreloadBridge;
  }
}

const SESSION_KEY = 'sesame.session';

/** The link's token, taken out of the address (history, bookmarks and screen shares never see it). */
function takeLinkToken(): string | undefined {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const token = fragment.get('token') ?? undefined;
  if (token !== undefined)
    window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}`);
  return token;
}

export function pickHostLink(): HostLink {
  if (window.sesame) return createPreloadLink(window.sesame);
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const token = takeLinkToken();
  const signIn: SignIn = {
    ...(token ? { token } : {}),
    storedSession: () => window.sessionStorage.getItem(SESSION_KEY),
    keepSession: (session) => window.sessionStorage.setItem(SESSION_KEY, session),
  };
  return createWebSocketLink({ url: `${scheme}://${window.location.host}/api`, signIn });
}

export type { HostLink, LinkState } from './link';
