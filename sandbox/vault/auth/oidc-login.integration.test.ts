// The OIDC browser flow end to end against the backend: auth_url → Chromium signs in on the real
// IdP page → the loopback listener gets code+state → callback verifies and maps the claims.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchChromium,
  signInOnIdpPage,
  startCallbackListener,
  startOidcProvider,
  type OidcProvider,
} from '../../oidc';
import type { Backend, LoginResult } from '../backend';
import { oidcAuthMethodFactory } from './oidc';
import { TEST_CLIENT, TEST_USER, backendRequest as req, call, mountContext } from './testing';

const ROLE = {
  user_claim: 'email',
  groups_claim: 'groups',
  claim_mappings: { name: 'full_name', '/groups/0': 'first_group' },
  allowed_redirect_uris: ['http://localhost:8250/oidc/callback'],
  oidc_scopes: ['email', 'profile', 'groups'],
  token_policies: ['dev'],
  token_ttl: '30m',
  token_max_ttl: '2h',
};

type CallResult = Awaited<ReturnType<typeof call>>;

describe('OIDC auth method: browser login', () => {
  let idp: OidcProvider;
  let browser: Browser;
  let offsetMs = 0;
  const now = () => Date.now() + offsetMs;

  async function configuredBackend(role: Record<string, unknown> = ROLE, stateTtlSeconds?: number): Promise<Backend> {
    const backend = oidcAuthMethodFactory({ now, stateTtlSeconds })(mountContext());
    await backend.handle(
      req('update', 'config', {
        oidc_discovery_url: idp.issuer,
        oidc_client_id: TEST_CLIENT.clientId,
        oidc_client_secret: TEST_CLIENT.clientSecret,
      }),
    );
    await backend.handle(req('create', 'role/dev', role));
    return backend;
  }

  /** auth_url, then Chromium through the IdP's login page; resolves with the callback query. */
  async function browserLogin(
    backend: Backend,
    opts: { password?: string; clientNonce?: string; cancel?: boolean } = {},
  ): Promise<URLSearchParams> {
    const listener = await startCallbackListener();
    const context = await browser.newContext();
    try {
      const body: Record<string, unknown> = { role: 'dev', redirect_uri: listener.redirectUri };
      if (opts.clientNonce) body.client_nonce = opts.clientNonce;
      const { data } = (await backend.handle(req('update', 'oidc/auth_url', body)))!;
      const page = await context.newPage();
      await page.goto(String(data!.auth_url));
      if (opts.cancel) await page.getByRole('link', { name: 'Cancel' }).click();
      else await signInOnIdpPage(page, TEST_USER.username, opts.password ?? TEST_USER.password);
      return await listener.received;
    } finally {
      await context.close();
      await listener.stop();
    }
  }

  const callback = (backend: Backend, params: URLSearchParams, extra: Record<string, string> = {}, remote?: string) =>
    call(
      backend,
      req(
        'read',
        'oidc/callback',
        {},
        { state: params.get('state') ?? '', code: params.get('code') ?? '', ...extra },
        remote,
      ),
    );

  const errorOf = (r: CallResult) => (r as { errors: string[] }).errors[0];

  beforeAll(async () => {
    idp = await startOidcProvider({ clients: [TEST_CLIENT], users: [TEST_USER] });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await idp?.stop();
  });

  it('finishes like the Vault CLI: the browser ends on a page that says it may be closed', async () => {
    const backend = await configuredBackend();
    const listener = await startCallbackListener({
      // Like `vault login -method=oidc`: finish the login, then tell the browser it may close.
      handle: async (params) => {
        const result = await callback(backend, params, { client_nonce: 'cli-nonce-1' });
        return result && 'login' in result
          ? { ok: true, message: 'Vault login succeeded.' }
          : { ok: false, message: errorOf(result) ?? '' };
      },
    });
    const context = await browser.newContext();
    try {
      const res = await backend.handle(
        req('update', 'oidc/auth_url', {
          role: 'dev',
          redirect_uri: listener.redirectUri,
          client_nonce: 'cli-nonce-1',
        }),
      );
      const page = await context.newPage();
      await page.goto(String(res!.data!.auth_url));
      await signInOnIdpPage(page, TEST_USER.username, TEST_USER.password);
      await page.getByRole('heading', { name: 'Signed in' }).waitFor();
      expect(await page.textContent('body')).toContain('You may close this window.');
    } finally {
      await context.close();
      await listener.stop();
    }
  });

  it('returns the login the core mints a token from', async () => {
    const backend = await configuredBackend();
    const params = await browserLogin(backend);
    const result = await callback(backend, params);
    const login = (result as { login: LoginResult }).login;
    expect(login).toMatchObject({
      policies: ['dev'],
      displayName: 'alice@example.com',
      metadata: { role: 'dev', full_name: 'Alice Example', first_group: 'developers' },
      ttl: 1800,
      maxTtl: 7200,
      explicitMaxTtl: 0,
      period: 0,
      numUses: 0,
      noDefaultPolicy: false,
      renewable: true,
      internal: { role: 'dev' },
    });
    await expect(backend.renewLogin!({ increment: 0, internal: login.internal! })).resolves.toBeUndefined();
    await backend.handle(req('delete', 'role/dev'));
    await expect(backend.renewLogin!({ increment: 0, internal: login.internal! })).rejects.toThrow(
      'role dev does not exist during renewal',
    );

    // A state is good for one callback.
    expect(errorOf(await callback(backend, params))).toBe('Vault login failed. Expired or missing OAuth state.');
  });

  it('refuses a callback whose state expired (10 minutes) or whose client_nonce differs', async () => {
    const backend = await configuredBackend();
    const late = await browserLogin(backend);
    offsetMs = 11 * 60 * 1000;
    try {
      expect(errorOf(await callback(backend, late))).toBe('Vault login failed. Expired or missing OAuth state.');
    } finally {
      offsetMs = 0;
    }
    const params = await browserLogin(backend, { clientNonce: 'expected-nonce' });
    expect(errorOf(await callback(backend, params, { client_nonce: 'other' }))).toBe('invalid client_nonce');
  });

  it('refuses an ID token that expired before the callback', async () => {
    const backend = await configuredBackend(ROLE, 24 * 3600);
    const params = await browserLogin(backend);
    offsetMs = 2 * 3600 * 1000; // the IdP issues ID tokens for 1 hour
    try {
      expect(errorOf(await callback(backend, params))).toMatch(
        /^Vault login failed\. Error exchanging oidc code: ".*invalid id_token: token is expired"\.$/,
      );
    } finally {
      offsetMs = 0;
    }
  });

  it('applies bound_claims and bound_audiences from the role', async () => {
    const boundGroups = await configuredBackend({ ...ROLE, bound_claims: { groups: ['admins', 'ops'] } });
    expect(errorOf(await callback(boundGroups, await browserLogin(boundGroups)))).toBe(
      'Vault login failed. error validating claims: claim "groups" does not match any associated bound claim values',
    );

    const globMatch = await configuredBackend({
      ...ROLE,
      bound_claims_type: 'glob',
      bound_claims: { email: '*@example.com' },
    });
    expect(await callback(globMatch, await browserLogin(globMatch))).toHaveProperty('login');

    const boundAudience = await configuredBackend({ ...ROLE, bound_audiences: ['another-client'] });
    expect(errorOf(await callback(boundAudience, await browserLogin(boundAudience)))).toMatch(
      /^Vault login failed\. Error exchanging oidc code: ".*invalid id_token audiences: invalid audience"\.$/,
    );

    const missingClaim = await configuredBackend({ ...ROLE, user_claim: 'employee_id' });
    expect(errorOf(await callback(missingClaim, await browserLogin(missingClaim)))).toBe(
      'Vault login failed. claim "employee_id" not found in token',
    );
  });

  it('reports a bad code, an IdP error and a login from outside token_bound_cidrs', async () => {
    const backend = await configuredBackend({ ...ROLE, token_bound_cidrs: ['10.1.0.0/16'] });
    const params = await browserLogin(backend);
    expect(await callback(backend, params, {}, '127.0.0.1')).toEqual({ status: 403, errors: ['permission denied'] });

    const open = await configuredBackend();
    const forged = await browserLogin(open);
    forged.set('code', 'not-a-real-code');
    expect(errorOf(await callback(open, forged))).toMatch(
      /^Vault login failed\. Error exchanging oidc code: "Provider\.Exchange: unable to exchange auth code with provider: oauth2: \\"invalid_grant\\" .*"\.$/,
    );

    const cancelled = await browserLogin(open, { cancel: true });
    expect(cancelled.get('error')).toBe('access_denied');
    expect(
      errorOf(await callback(open, cancelled, { error_description: cancelled.get('error_description') ?? '' })),
    ).toBe('Vault login failed. End-User aborted interaction');
  });
});
