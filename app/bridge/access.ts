// Who may talk to the browser bridge. Checked per request and per socket:
// - the Host header must be the loopback name:port we bound (a DNS-rebinding page sends its
//   own domain as Host);
// - a browser request must come from our own page, from the user typing or clicking the
//   address (Sec-Fetch-Site same-origin or none), or be a top-level navigation to it (the
//   launcher page `--open` writes is a file:// page): another site cannot frame the app or
//   fetch from it;
// - a WebSocket's Origin must be our own origin (a foreign page cannot open the socket);
// - the socket's first message must prove the caller holds either a one-time token (from the
//   link `sesame start` prints, in its #fragment) or a session secret that a token was exchanged
//   for. The page keeps that secret in sessionStorage, scoped to our origin, port included.
//   Nothing unlocks the bridge by itself from a cookie: cookies do not isolate by port, so any
//   other server on 127.0.0.1 the browser visits would receive it.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** How long a printed link works (its token must be spent within this). */
export const TOKEN_LIFETIME_MS = 60_000;
/** Sessions at once (a tab each); the oldest goes first. */
const MAX_SESSIONS = 64;

export type Redemption = { session: string } | { refused: 'unknown' | 'expired' };

export interface AccessControl {
  /** `http://127.0.0.1:PORT`: the only origin and Host the bridge answers to. */
  readonly origin: string;
  /** A fresh single-use token, valid for TOKEN_LIFETIME_MS. */
  issueToken(): string;
  /** Spend a token — presented once, it is gone whatever happens — for a new session secret. */
  redeemToken(token: string): Redemption;
  hasSession(secret: string): boolean;
  hasValidHost(request: IncomingMessage): boolean;
  hasOwnOrigin(request: IncomingMessage): boolean;
  /**
   * False for a request another site makes (Sec-Fetch-Site cross-site or same-site) other than
   * a top-level navigation (which carries nothing: there is no cookie, and framing is refused).
   */
  isSameSiteFetch(request: IncomingMessage): boolean;
}

export function createAccessControl(hostForUrl: string, port: number, now: () => number = Date.now): AccessControl {
  const origin = `http://${hostForUrl}:${port}`;
  const expectedHost = `${hostForUrl}:${port}`;
  const tokens: Array<{ value: Buffer; expires: number }> = [];
  const sessions: Buffer[] = [];
  const find = (list: readonly { value: Buffer }[] | readonly Buffer[], offered: string) => {
    const bytes = Buffer.from(offered);
    return list.findIndex((item) => {
      const value = Buffer.isBuffer(item) ? item : item.value;
      return value.length === bytes.length && timingSafeEqual(value, bytes);
    });
  };

  return {
    origin,
    issueToken() {
      const token = randomBytes(32).toString('base64url');
      tokens.push({ value: Buffer.from(token), expires: now() + TOKEN_LIFETIME_MS });
      return token;
    },
    redeemToken(token) {
      const index = typeof token === 'string' && token ? find(tokens, token) : -1;
      if (index < 0) return { refused: 'unknown' };
      const [spent] = tokens.splice(index, 1);
      if (spent!.expires < now()) return { refused: 'expired' };
      const session = randomBytes(32).toString('base64url');
      sessions.push(Buffer.from(session));
      if (sessions.length > MAX_SESSIONS) sessions.shift();
      return { session };
    },
    hasSession(secret) {
      return typeof secret === 'string' && secret.length > 0 && find(sessions, secret) >= 0;
    },
    hasValidHost(request) {
      return request.headers.host?.toLowerCase() === expectedHost;
    },
    hasOwnOrigin(request) {
      return request.headers.origin === origin;
    },
    isSameSiteFetch(request) {
      const site = request.headers['sec-fetch-site'];
      if (site === undefined || site === 'same-origin' || site === 'none') return true;
      return request.headers['sec-fetch-mode'] === 'navigate' && request.headers['sec-fetch-dest'] === 'document';
    },
  };
}

/** Only loopback addresses may be bound: the bridge hands out control of the host. */
export function loopbackHostForUrl(host: string): string {
  if (host === '::1') return '[::1]';
  if (/^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(host) && host.split('.').every((p) => Number(p) <= 255)) {
    return host;
  }
  throw new Error(`The browser bridge only binds a loopback address (127.0.0.1 or ::1), not '${host}'.`);
}
