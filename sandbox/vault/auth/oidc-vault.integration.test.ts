// The whole OIDC login through the Vault dev server's HTTP API, as `vault login -method=oidc`
// does it: auth_url → Chromium clicks through the real IdP page → the loopback listener calls
// the callback → the token works against Vault with the role's policies.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchChromium,
  signInOnIdpPage,
  startCallbackListener,
  startOidcProvider,
  type OidcProvider,
} from '../../oidc';
import { startVaultDev, type VaultDevServer } from '../index';
import { TEST_CLIENT, TEST_USER } from './testing';

interface VaultAnswer {
  status: number;
  body: Record<string, unknown> & {
    data?: Record<string, unknown> | null;
    auth?: Record<string, unknown> | null;
    errors?: string[];
  };
}

describe('OIDC login through the Vault dev server HTTP API', () => {
  let idp: OidcProvider;
  let vault: VaultDevServer;
  let browser: Browser;

  async function vaultCall(method: string, path: string, token?: string, body?: unknown): Promise<VaultAnswer> {
    const headers: Record<string, string> = {};
    if (token) headers['X-Vault-Token'] = token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${vault.address}/v1/${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as VaultAnswer['body']) };
  }

  /** The CLI's side: listener, auth_url, browser, callback; resolves with the callback answer. */
  async function login(role: string): Promise<{ callback: VaultAnswer; page: string; replay: VaultAnswer }> {
    let callback: VaultAnswer | undefined;
    let state = '';
    const listener = await startCallbackListener({
      handle: async (params) => {
        state = params.get('state') ?? '';
        const query = new URLSearchParams({ state, code: params.get('code') ?? '', client_nonce: 'cli-nonce' });
        callback = await vaultCall('GET', `auth/oidc/oidc/callback?${query}`);
        return callback.status === 200
          ? { ok: true, message: 'Vault login succeeded.' }
          : { ok: false, message: callback.body.errors?.join('; ') ?? '' };
      },
    });
    const context = await browser.newContext();
    try {
      const authUrl = await vaultCall('POST', 'auth/oidc/oidc/auth_url', undefined, {
        role,
        redirect_uri: listener.redirectUri,
        client_nonce: 'cli-nonce',
      });
      expect(authUrl.status).toBe(200);
      const url = String(authUrl.body.data?.auth_url);
      expect(url.startsWith(`${idp.issuer}/auth?`)).toBe(true);
      const page = await context.newPage();
      await page.goto(url);
      await signInOnIdpPage(page, TEST_USER.username, TEST_USER.password);
      await page.getByText('You may close this window.').waitFor();
      const pageText = (await page.textContent('body')) ?? '';
      const replay = await vaultCall(
        'GET',
        `auth/oidc/oidc/callback?${new URLSearchParams({ state, code: 'x', client_nonce: 'cli-nonce' })}`,
      );
      return { callback: callback!, page: pageText, replay };
    } finally {
      await context.close();
      await listener.stop();
    }
  }

  beforeAll(async () => {
    idp = await startOidcProvider({ clients: [TEST_CLIENT], users: [TEST_USER] });
    vault = await startVaultDev(); // type "oidc" is a built-in auth method (auth/index.ts)
    browser = await launchChromium();
    const root = vault.rootToken;
    const setup: Array<[string, unknown]> = [
      ['sys/auth/oidc', { type: 'oidc' }],
      ['sys/policies/acl/dev', { policy: 'path "secret/data/dev/*" { capabilities = ["read"] }' }],
      ['secret/data/dev/app', { data: { greeting: 'hello developers' } }],
      ['secret/data/ops/app', { data: { greeting: 'hello ops' } }],
      [
        'auth/oidc/config',
        {
          oidc_discovery_url: idp.issuer,
          oidc_client_id: TEST_CLIENT.clientId,
          oidc_client_secret: TEST_CLIENT.clientSecret,
          default_role: 'developer',
        },
      ],
      [
        'auth/oidc/role/developer',
        {
          user_claim: 'email',
          groups_claim: 'groups',
          claim_mappings: { name: 'full_name' },
          bound_claims: { groups: 'developers' },
          allowed_redirect_uris: ['http://localhost:8250/oidc/callback'],
          oidc_scopes: ['email', 'profile', 'groups'],
          token_policies: ['dev'],
          token_ttl: '30m',
        },
      ],
      [
        'auth/oidc/role/admins-only',
        {
          user_claim: 'email',
          bound_claims: { groups: ['admins'] },
          allowed_redirect_uris: ['http://localhost:8250/oidc/callback'],
          oidc_scopes: ['email', 'groups'],
          token_policies: ['admin'],
        },
      ],
    ];
    for (const [path, body] of setup) {
      const res = await vaultCall('POST', path, root, body);
      if (res.status >= 300) throw new Error(`setup ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    }
  });
  afterAll(async () => {
    await browser?.close();
    await vault?.stop();
    await idp?.stop();
  });

  it('logs in through the IdP page and the token reads what the role allows', async () => {
    const { callback, page, replay } = await login('developer');
    expect(page).toContain('Vault login succeeded.');
    expect(callback.status).toBe(200);
    const auth = callback.body.auth!;
    expect(auth).toMatchObject({
      policies: ['default', 'dev'],
      token_policies: ['default', 'dev'],
      metadata: { role: 'developer', full_name: 'Alice Example' },
      lease_duration: 1800,
      renewable: true,
      token_type: 'service',
      orphan: true,
    });
    const token = String(auth.client_token);
    expect(token).toMatch(/^hvs\./);

    const self = await vaultCall('GET', 'auth/token/lookup-self', token);
    expect(self.body.data).toMatchObject({
      display_name: 'oidc-alice@example.com',
      meta: { role: 'developer', full_name: 'Alice Example' },
      policies: ['default', 'dev'],
    });
    const allowed = await vaultCall('GET', 'secret/data/dev/app', token);
    expect(allowed.status).toBe(200);
    expect((allowed.body.data as { data: unknown }).data).toEqual({ greeting: 'hello developers' });
    expect((await vaultCall('GET', 'secret/data/ops/app', token)).status).toBe(403);

    // The state was used up by the login.
    expect(replay).toEqual({ status: 400, body: { errors: ['Vault login failed. Expired or missing OAuth state.'] } });
  });

  it('refuses a user whose groups the role does not bind, and says why on the browser page', async () => {
    const { callback, page } = await login('admins-only');
    expect(callback).toEqual({
      status: 400,
      body: {
        errors: [
          'Vault login failed. error validating claims: claim "groups" does not match any associated bound claim values',
        ],
      },
    });
    expect(page).toContain('Sign-in failed');
  });

  it('answers an empty auth_url for a redirect URI the role does not allow, and 400s for bad input', async () => {
    const disallowed = await vaultCall('POST', 'auth/oidc/oidc/auth_url', undefined, {
      role: 'developer',
      redirect_uri: 'http://attacker.example:8250/oidc/callback',
    });
    expect(disallowed.status).toBe(200);
    expect(disallowed.body.data).toEqual({ auth_url: '' });

    const noRole = await vaultCall('POST', 'auth/oidc/oidc/auth_url', undefined, { role: 'nobody', redirect_uri: 'x' });
    expect(noRole).toEqual({ status: 400, body: { errors: ['role "nobody" could not be found'] } });

    // Config and roles need a token; only auth_url and callback are open.
    expect((await vaultCall('GET', 'auth/oidc/config')).status).toBe(403);
    const config = await vaultCall('GET', 'auth/oidc/config', vault.rootToken);
    expect(config.body.data).toMatchObject({ oidc_client_id: TEST_CLIENT.clientId });
    expect(JSON.stringify(config.body)).not.toContain(TEST_CLIENT.clientSecret);
  });
});
