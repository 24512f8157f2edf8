// Vault's OIDC browser login, as `vault login -method=oidc` does it (VAULT-API.md steps 1-5):
// a one-shot loopback listener for the redirect, `auth_url` with a client nonce, the system
// browser, then `callback` with the state and code the IdP handed back. A callback whose state
// is not ours is refused and the login keeps waiting; the first good one ends it.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log';
import { VaultError, type VaultAuth, type VaultClient } from '../vault';
import type { OidcLoginRequest } from './login-request';

export type OidcFailure = 'timeout' | 'cancelled' | 'denied' | 'config' | 'listener' | 'vault';

export class OidcLoginError extends Error {
  constructor(
    readonly kind: OidcFailure,
    message: string,
  ) {
    super(message);
    this.name = 'OidcLoginError';
  }
}

export interface OidcLoginContext {
  vault: VaultClient;
  log: Logger;
  /** Opens the URL in the system browser (the app's Platform.openExternal). */
  openBrowser?: (url: string) => Promise<void>;
  /** Called with the URL as soon as it is known, so the UI can offer it to copy. */
  onUrl?: (url: string) => void;
  signal?: AbortSignal;
}

export const OIDC_DEFAULTS = {
  listenAddress: '127.0.0.1',
  port: 8250,
  callbackHost: 'localhost',
  callbackPath: '/oidc/callback',
  timeoutMs: 300_000,
};

export async function loginWithOidc(request: OidcLoginRequest, ctx: OidcLoginContext): Promise<VaultAuth> {
  const mount = request.mount ?? 'oidc';
  const timeoutMs = request.timeoutMs ?? OIDC_DEFAULTS.timeoutMs;
  // `localhost` in the redirect may be resolved to ::1 by the browser: then Sesame must hold
  // [::1]:PORT too, or another local user could and would receive the authorization code.
  const callbackHost = request.callbackHost ?? OIDC_DEFAULTS.callbackHost;
  const listenAddress = request.listenAddress ?? OIDC_DEFAULTS.listenAddress;
  const alsoIpv6 = !request.redirectUri && callbackHost === 'localhost' && listenAddress === '127.0.0.1';
  const listener = await startCallbackListener(listenAddress, request.port ?? OIDC_DEFAULTS.port, alsoIpv6);
  const redirectUri = request.redirectUri ?? `http://${callbackHost}:${listener.port}${OIDC_DEFAULTS.callbackPath}`;
  const callbackPath = new URL(redirectUri).pathname;
  const clientNonce = randomBytes(24).toString('base64url');
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    const response = await ctx.vault.request<{ auth_url?: string }>({
      method: 'POST',
      path: `auth/${mount}/oidc/auth_url`,
      body: { ...(request.role ? { role: request.role } : {}), redirect_uri: redirectUri, client_nonce: clientNonce },
    });
    const authUrl = response?.data?.auth_url ?? '';
    if (!authUrl) {
      throw new OidcLoginError(
        'config',
        `Vault returned no OIDC login URL for role '${request.role ?? '(default)'}' at auth/${mount}: the role must list ${redirectUri} in allowed_redirect_uris`,
      );
    }
    const expectedState = new URL(authUrl).searchParams.get('state');
    if (!expectedState)
      throw new OidcLoginError('vault', `Vault's OIDC login URL for auth/${mount} carries no state parameter`);

    const outcome = new Promise<VaultAuth>((resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new OidcLoginError(
              'timeout',
              `the OIDC login was not completed in the browser within ${Math.round(timeoutMs / 1000)} s`,
            ),
          ),
        timeoutMs,
      );
      onAbort = () => reject(new OidcLoginError('cancelled', 'the OIDC login was cancelled'));
      if (ctx.signal?.aborted) onAbort();
      ctx.signal?.addEventListener('abort', onAbort, { once: true });
      listener.handle(async (url, answer) => {
        if (url.pathname !== callbackPath)
          return answer(404, 'Not found', 'This address only receives the Vault login redirect.');
        const params = url.searchParams;
        const idpError = params.get('error');
        const state = params.get('state');
        if (state !== expectedState) {
          // Not our login (stale tab, forged link): refuse it and keep waiting for ours.
          ctx.log.warn('refused an OIDC callback with a state that is not this login’s', { mount });
          return answer(
            400,
            'Login link not recognised',
            'This sign-in response does not belong to the login Sesame is waiting for. Start the login again from Sesame.',
          );
        }
        if (idpError) {
          const description = (params.get('error_description') ?? '').slice(0, 300);
          answer(
            400,
            'Sign-in failed',
            `The identity provider refused the sign-in: ${idpError}${description ? ` (${description})` : ''}.`,
          );
          return reject(
            new OidcLoginError(
              'denied',
              `the identity provider refused the sign-in: ${idpError}${description ? ` (${description})` : ''}`,
            ),
          );
        }
        const code = params.get('code');
        if (!code)
          return answer(400, 'Sign-in response incomplete', 'The sign-in response carries no authorization code.');
        listener.stopAccepting(); // one shot: the state is spent either way
        try {
          const query = new URLSearchParams({ state, code, client_nonce: clientNonce });
          const result = await ctx.vault.request({
            method: 'GET',
            path: `auth/${mount}/oidc/callback?${query}`,
            attempts: 1,
          });
          if (!result?.auth?.client_token)
            throw new OidcLoginError('vault', `Vault answered auth/${mount}/oidc/callback with no token`);
          answer(200, 'Signed in to Vault', 'Sesame is now logged in to Vault. You may close this window.');
          resolve(result.auth);
        } catch (error) {
          const message = error instanceof VaultError ? error.message : (error as Error).message;
          answer(403, 'Vault refused the sign-in', `${message}. Start the login again from Sesame.`);
          reject(
            error instanceof OidcLoginError
              ? error
              : new OidcLoginError('vault', `Vault refused the OIDC login: ${message}`),
          );
        }
      });
    });
    // Keep a rejection that lands before anyone awaits (cancel during openBrowser) from being unhandled.
    outcome.catch(() => {});

    ctx.onUrl?.(authUrl);
    if (ctx.openBrowser) {
      await ctx.openBrowser(authUrl).catch((error: Error) => {
        ctx.log.warn('could not open the browser for the OIDC login; the URL can be copied instead', {
          error: error.message,
        });
      });
    }
    return await outcome;
  } catch (error) {
    if (error instanceof VaultError)
      throw new OidcLoginError('vault', `could not start the OIDC login at auth/${mount}: ${error.message}`);
    throw error;
  } finally {
    clearTimeout(timer);
    if (onAbort) ctx.signal?.removeEventListener('abort', onAbort);
    await listener.close();
  }
}

type Answer = (status: number, title: string, text: string) => void;

interface CallbackListener {
  port: number;
  handle(handler: (url: URL, answer: Answer) => void | Promise<void>): void;
  /** Further callbacks are answered "already used"; the listener closes with the login. */
  stopAccepting(): void;
  close(): Promise<void>;
}

async function startCallbackListener(host: string, port: number, alsoIpv6: boolean): Promise<CallbackListener> {
  let handler: ((url: URL, answer: Answer) => void | Promise<void>) | undefined;
  let accepting = true;
  const server = http.createServer((req, res) => {
    const answer: Answer = (status, title, text) => {
      res.writeHead(status, {
        'Content-Type': 'text/html; charset=utf-8',
        'Cache-Control': 'no-store',
        'Referrer-Policy': 'no-referrer',
      });
      res.end(page(title, text));
    };
    if (req.method !== 'GET')
      return answer(405, 'Method not allowed', 'Only the login redirect (GET) is accepted here.');
    const url = new URL(req.url ?? '/', 'http://callback.invalid');
    if (!accepting)
      return answer(
        409,
        'Login already handled',
        'This login has already been completed or refused. You may close this window.',
      );
    if (!handler) return answer(503, 'Not ready', 'Sesame is not waiting for a login yet.');
    void Promise.resolve(handler(url, answer)).catch(() =>
      answer(500, 'Error', 'Sesame could not process the sign-in response.'),
    );
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new OidcLoginError(
          'listener',
          error.code === 'EADDRINUSE'
            ? `cannot receive the OIDC login: ${host}:${port} is in use (another login in progress, or a 'vault login -method=oidc'?)`
            : `cannot receive the OIDC login on ${host}:${port}: ${error.message}`,
        ),
      ),
    );
    server.listen({ host, port, exclusive: true }, resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  const servers = [server];
  if (alsoIpv6) {
    // The same handler on [::1]:PORT. No IPv6 on this machine: then no one else can hold it either.
    const v6 = http.createServer((req, res) => server.emit('request', req, res));
    v6.keepAliveTimeout = 1_000;
    const problem = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      v6.once('error', resolve);
      v6.listen({ host: '::1', port: bound, exclusive: true }, () => resolve(undefined));
    });
    if (problem?.code === 'EADDRINUSE') {
      server.close();
      throw new OidcLoginError(
        'listener',
        `cannot receive the OIDC login safely: [::1]:${bound} is held by another program, and a browser that tries ::1 for localhost would hand it your login; stop that program or choose another callbackPort`,
      );
    }
    if (!problem) servers.push(v6);
  }
  return {
    port: bound,
    handle: (h) => (handler = h),
    stopAccepting: () => (accepting = false),
    close: () =>
      Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              // Let the answer to the browser flush, then drop idle keep-alive sockets.
              setTimeout(() => s.closeAllConnections(), 200).unref();
            }),
        ),
      ).then(() => undefined),
  };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, text: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sesame — ${escapeHtml(title)}</title>
<style>body{font:16px system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}</style></head>
<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>`;
}
