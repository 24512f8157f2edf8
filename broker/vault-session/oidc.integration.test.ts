// OIDC login through real Chromium against the sandbox IdP and the Vault dev server's OIDC
// method: the session opens the URL (as Platform.openExternal would), the person signs in on
// the IdP's page, the loopback listener finishes the login. Also: a callback with a state that
// is not ours is refused while the login keeps waiting; timeout; cancel; a role that does not
// allow the redirect.
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, signInOnIdpPage, startOidcProvider, type OidcProvider } from '../../sandbox/oidc';
import { freePort } from '../../sandbox/servers';
import { startVaultDev, type VaultDevServer } from '../../sandbox/vault';
import { createLogger } from '../log';
import { createVaultClient } from '../vault';
import { OidcLoginError } from './oidc';
import { createVaultSession } from './session';
import type { VaultSession } from './session-types';
import { vaultCall } from './testing';

const CLIENT = {
  clientId: 'vault-oidc',
  clientSecret: 'sandbox-oidc-client-secret',
  redirectUris: ['http://localhost:8250/oidc/callback'],
};
const USER = {
  username: 'alice@example.com',
  password: 'alice-password-123',
  claims: { email: 'alice@example.com', name: 'Alice Example', groups: ['developers'] },
};

let idp: OidcProvider;
let vault: VaultDevServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
const sessions: VaultSession[] = [];
const log = createLogger('test', () => {}, 'error');

/** A session whose "system browser" is Chromium; `act` decides what the person does there. */
function sessionWithBrowser(act: (url: string) => Promise<void>): VaultSession {
  const session = createVaultSession(createVaultClient({ address: vault.address }), log, {
    // Like a real browser, the page lives on its own; the login does not wait for it.
    openBrowser: async (url) => void act(url).catch(() => {}),
  });
  sessions.push(session);
  return session;
}

async function signIn(url: string): Promise<string> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(url);
  await signInOnIdpPage(page, USER.username, USER.password);
  await page.getByText('You may close this window.').waitFor();
  return (await page.textContent('body')) ?? '';
}

beforeAll(async () => {
  [idp, vault, browser] = await Promise.all([
    startOidcProvider({ clients: [CLIENT], users: [USER] }),
    startVaultDev(),
    launchChromium(),
  ]);
  const setup: Array<[string, unknown]> = [
    ['sys/auth/oidc', { type: 'oidc' }],
    ['sys/policies/acl/dev', { policy: 'path "secret/data/dev/*" { capabilities = ["read"] }' }],
    [
      'auth/oidc/config',
      {
        oidc_discovery_url: idp.issuer,
        oidc_client_id: CLIENT.clientId,
        oidc_client_secret: CLIENT.clientSecret,
        default_role: 'developer',
      },
    ],
    [
      'auth/oidc/role/developer',
      {
        user_claim: 'email',
        groups_claim: 'groups',
        allowed_redirect_uris: ['http://localhost:8250/oidc/callback'],
        oidc_scopes: ['email', 'groups'],
        token_policies: ['dev'],
        token_ttl: '30m',
      },
    ],
  ];
  for (const [path, body] of setup) {
    const r = await vaultCall(vault.address, vault.rootToken, 'POST', path, body);
    if (r.status >= 300) throw new Error(`setup ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  }
});

afterEach(async () => {
  for (const s of sessions.splice(0)) s.close();
  for (const c of contexts.splice(0)) await c.close();
});

afterAll(async () => {
  await browser?.close();
  await vault?.stop();
  await idp?.stop();
});

describe('OIDC login', () => {
  it('signs in through the IdP page in Chromium and adopts the token', async () => {
    let page: Promise<string> | undefined;
    const session = sessionWithBrowser(async (url) => void (page = signIn(url)));
    const urls: string[] = [];
    session.onEvent((e) => e.type === 'login-url' && urls.push(e.url));
    const snap = await session.login({ method: 'oidc', role: 'developer', port: 0 });
    expect(snap).toMatchObject({
      state: 'authenticated',
      method: 'oidc',
      policies: ['default', 'dev'],
      loginPath: 'auth/oidc/oidc/callback',
    });
    expect(urls[0]).toMatch(new RegExp(`^${idp.issuer}/auth\\?`));
    expect(await page).toContain('Sesame is now logged in to Vault');
  });

  it('refuses a callback with a foreign state, keeps waiting, then completes', async () => {
    let page: Promise<string> | undefined;
    let foreign: Promise<{ status: number; text: string }> | undefined;
    const session = sessionWithBrowser(async (url) => {
      const redirect = new URL(new URL(url).searchParams.get('redirect_uri')!);
      redirect.hostname = '127.0.0.1';
      redirect.search = new URLSearchParams({ state: 'not-the-state', code: 'stolen' }).toString();
      foreign = fetch(redirect).then(async (r) => ({ status: r.status, text: await r.text() }));
      await foreign;
      page = signIn(url);
    });
    const snap = await session.login({ method: 'oidc', port: 0 });
    expect(snap.state).toBe('authenticated');
    expect(await foreign).toMatchObject({ status: 400 });
    expect((await foreign)!.text).toContain('does not belong to the login');
    await page;
  });

  it('fails clearly on timeout and when cancelled, and frees the port', async () => {
    const idle = sessionWithBrowser(async () => {});
    const port = await freePort();
    const timedOut = await idle.login({ method: 'oidc', port, timeoutMs: 1_000 }).catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(OidcLoginError);
    expect(timedOut).toMatchObject({
      kind: 'timeout',
      message: expect.stringMatching(/not completed in the browser within 1 s/),
    });
    expect(idle.snapshot().state).toBe('error');

    // The same port again: the first login let go of it.
    const cancelled = idle.login({ method: 'oidc', port });
    await new Promise<void>((resolve) => idle.onEvent((e) => e.type === 'login-url' && resolve()));
    idle.cancelLogin();
    await expect(cancelled).rejects.toMatchObject({ kind: 'cancelled' });
  });

  it('reports a redirect URI the role does not allow', async () => {
    const session = sessionWithBrowser(async () => {});
    const error = await session
      .login({ method: 'oidc', role: 'developer', port: 0, redirectUri: 'http://sesame.invalid:8250/oidc/callback' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OidcLoginError);
    expect((error as Error).message).toMatch(/redirect/);
  });
});
