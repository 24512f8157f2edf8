// Test helpers for the browser half of an OIDC login: a loopback callback listener like the one
// `vault login -method=oidc` runs, Chromium launched the way this machine allows, and the
// clicks that sign a user in on the sandbox IdP's page.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';

export interface CallbackOutcome {
  /** Shown to the browser; the page always ends by saying the window may be closed. */
  ok: boolean;
  message: string;
}

export interface CallbackListener {
  /** e.g. http://localhost:PORT/oidc/callback */
  readonly redirectUri: string;
  /** Query parameters of the first callback request (code, state, or error). */
  readonly received: Promise<URLSearchParams>;
  stop(): Promise<void>;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * Listens on 127.0.0.1 (random port unless given) for the IdP's redirect. `handle` runs before
 * the browser gets its answer, as the Vault CLI finishes the login before answering.
 */
export async function startCallbackListener(
  options: {
    host?: 'localhost' | '127.0.0.1';
    port?: number;
    path?: string;
    handle?: (params: URLSearchParams) => Promise<CallbackOutcome>;
  } = {},
): Promise<CallbackListener> {
  const path = options.path ?? '/oidc/callback';
  let resolveReceived!: (params: URLSearchParams) => void;
  const received = new Promise<URLSearchParams>((resolve) => (resolveReceived = resolve));
  let answered = false;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== path || answered) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    answered = true;
    resolveReceived(url.searchParams);
    const outcome = options.handle
      ? options.handle(url.searchParams).catch((err: unknown) => ({ ok: false, message: (err as Error).message }))
      : Promise.resolve({ ok: !url.searchParams.has('error'), message: 'Signed in.' });
    void outcome.then(({ ok, message }) => {
      const title = ok ? 'Signed in' : 'Sign-in failed';
      res.writeHead(ok ? 200 : 400, { 'Content-Type': 'text/html; charset=utf-8', Connection: 'close' });
      res.end(
        `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>` +
          `<body><h1>${title}</h1><p>${escapeHtml(message)}</p><p>You may close this window.</p></body></html>`,
      );
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  let stopped: Promise<void> | undefined;
  return {
    redirectUri: `http://${options.host ?? 'localhost'}:${port}${path}`,
    received,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Debian's Chromium driven by playwright-core (Playwright's own browsers cannot be downloaded). */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** Fills and submits the sandbox IdP's login form the way a person would. */
export async function signInOnIdpPage(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
