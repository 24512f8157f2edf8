// Who may talk to the browser bridge. Three independent locks, all checked per request:
// - the Host header must be the loopback name:port we bound (a DNS-rebinding page sends its
//   own domain as Host);
// - a WebSocket's Origin must be our own origin (a foreign page cannot open the socket);
// - a session cookie, obtained only by exchanging a one-time token from the printed URL.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface AccessControl {
  /** `http://127.0.0.1:PORT`: the only origin and Host the bridge answers to. */
  readonly origin: string;
  readonly cookieName: string;
  /** A fresh single-use token, for a login URL. */
  issueToken(): string;
  /**
   * Spend a one-time token: the new session id, or undefined when the token is unknown or
   * already spent.
   */
  redeemToken(token: string): string | undefined;
  hasValidHost(request: IncomingMessage): boolean;
  hasOwnOrigin(request: IncomingMessage): boolean;
  hasSession(request: IncomingMessage): boolean;
  /** The Set-Cookie header value for a session id. */
  sessionCookie(sessionId: string): string;
}

export function createAccessControl(hostForUrl: string, port: number): AccessControl {
  const origin = `http://${hostForUrl}:${port}`;
  const expectedHost = `${hostForUrl}:${port}`;
  // Cookies do not isolate by port, so two instances on 127.0.0.1 need distinct names.
  const cookieName = `sesame_session_${port}`;
  const unspentTokens: Buffer[] = [];
  const sessions = new Set<string>();

  return {
    origin,
    cookieName,
    issueToken() {
      const token = randomBytes(32).toString('base64url');
      unspentTokens.push(Buffer.from(token));
      return token;
    },
    redeemToken(token) {
      const offered = Buffer.from(token);
      const index = unspentTokens.findIndex((t) => t.length === offered.length && timingSafeEqual(t, offered));
      if (index < 0) return undefined;
      unspentTokens.splice(index, 1);
      const sessionId = randomBytes(32).toString('base64url');
      sessions.add(sessionId);
      return sessionId;
    },
    hasValidHost(request) {
      return request.headers.host?.toLowerCase() === expectedHost;
    },
    hasOwnOrigin(request) {
      return request.headers.origin === origin;
    },
    hasSession(request) {
      return readCookies(request.headers.cookie, cookieName).some((value) => sessions.has(value));
    },
    sessionCookie(sessionId) {
      return `${cookieName}=${sessionId}; HttpOnly; SameSite=Strict; Path=/`;
    },
  };
}

/** Every value of cookie `name` in a Cookie header (a page may hold duplicates). */
export function readCookies(header: string | undefined, name: string): string[] {
  if (!header) return [];
  const values: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) values.push(part.slice(eq + 1).trim());
  }
  return values;
}

/** Only loopback addresses may be bound: the bridge hands out control of the host. */
export function loopbackHostForUrl(host: string): string {
  if (host === '::1') return '[::1]';
  if (/^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(host) && host.split('.').every((p) => Number(p) <= 255)) {
    return host;
  }
  throw new Error(`The browser bridge only binds a loopback address (127.0.0.1 or ::1), not '${host}'.`);
}
