// Issue 17, item 7: the OIDC redirect URI says `localhost`, which a browser may resolve to ::1
// first. If Sesame listens on 127.0.0.1 only, another local user who holds [::1]:PORT receives
// the browser's redirect — the authorization code — instead of Sesame. Real Chromium, the
// sandbox IdP and the Vault dev server's OIDC method; the other user is a throwaway account.
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, signInOnIdpPage, startOidcProvider, type OidcProvider } from '../sandbox/oidc';
import { freePort } from '../sandbox/servers';
import { startVaultDev, type VaultDevServer } from '../sandbox/vault';
import { createLogger } from '../broker/log';
import { createVaultClient } from '../broker/vault';
import { createVaultSession } from '../broker/vault-session';
import { canMakeUsers, createOtherUser, type OtherUser } from './testing/other-user';

const CLIENT = {
  clientId: 'vault-oidc',
  clientSecret: 'hardening-oidc-secret',
  redirectUris: ['http://localhost:8250/oidc/callback'],
};
const USER = {
  username: 'dev@example.com',
  password: 'dev-password-123',
  claims: { email: 'dev@example.com', groups: ['developers'] },
};
const log = createLogger('hardening', () => {}, 'error');

describe.skipIf(!canMakeUsers())('the OIDC callback against another local user on ::1', () => {
  let idp: OidcProvider;
  let vault: VaultDevServer;
  let browser: Browser;
  let attacker: OtherUser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [idp, vault, browser, attacker] = await Promise.all([
      startOidcProvider({ clients: [CLIENT], users: [USER] }),
      startVaultDev(),
      launchChromium(),
      createOtherUser(),
    ]);
    const call = (path: string, body: unknown) =>
      fetch(`${vault.address}/v1/${path}`, {
        method: 'POST',
        headers: { 'X-Vault-Token': vault.rootToken },
        body: JSON.stringify(body),
      });
    await call('sys/auth/oidc', { type: 'oidc' });
    await call('auth/oidc/config', {
      oidc_discovery_url: idp.issuer,
      oidc_client_id: CLIENT.clientId,
      oidc_client_secret: CLIENT.clientSecret,
      default_role: 'developer',
    });
    await call('auth/oidc/role/developer', {
      user_claim: 'email',
      allowed_redirect_uris: ['http://localhost:8250/oidc/callback'],
      token_policies: ['default'],
      token_ttl: '30m',
    });
  });

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await attacker?.remove();
    await vault?.stop();
    await idp?.stop();
  });

  it('the authorization code never reaches a listener another user holds on [::1]:PORT', async () => {
    const port = await freePort();
    const squatter = attacker.start(
      await attacker.program(
        'squat.mjs',
        `import http from 'node:http';
http.createServer((req, res) => { console.log(JSON.stringify({ got: req.url })); res.end('thanks'); })
  .listen(${port}, '::1', () => console.log(JSON.stringify({ listening: true })));`,
      ),
    );
    await squatter.waitFor(/"listening":true/);
    const session = createVaultSession(createVaultClient({ address: vault.address }), log, {
      // The system browser: Chromium signs in on the IdP's page and follows the redirect.
      openBrowser: async (url) => {
        const context = await browser.newContext();
        contexts.push(context);
        const page = await context.newPage();
        await page.goto(url);
        await signInOnIdpPage(page, USER.username, USER.password);
        await page.waitForLoadState('load');
      },
    });
    try {
      const outcome = await session.login({ method: 'oidc', role: 'developer', port, timeoutMs: 8_000 }).then(
        (snap) => `logged in (${snap.state})`,
        (error: Error) => error.message,
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      const stolen = squatter
        .output()
        .split('\n')
        .filter((line) => line.includes('code='));
      expect(stolen, `the other user received the login redirect; Sesame said: ${outcome}`).toEqual([]);
      expect(outcome).toMatch(/\[::1\]:\d+ is held by another program/);
    } finally {
      session.close();
      await squatter.stop();
    }
  });
});
