import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, signInOnIdpPage, startCallbackListener, startOidcProvider, type OidcProvider } from './index';

const CLIENT = {
  clientId: 'test-client',
  clientSecret: 'test-client-secret',
  // Registered on Vault's CLI port; the listeners below use random ports (loopback port is ignored).
  redirectUris: ['http://localhost:8250/oidc/callback'],
};
const USER = {
  username: 'alice@example.com',
  password: 'correct horse battery staple',
  claims: { email: 'alice@example.com', name: 'Alice Example', groups: ['developers', 'dba'] },
};

const b64url = (buf: Buffer) => buf.toString('base64url');

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint: string;
  code_challenge_methods_supported: string[];
}

function authorizationUrl(d: Discovery, redirectUri: string) {
  const state = b64url(randomBytes(16));
  const nonce = b64url(randomBytes(16));
  const verifier = b64url(randomBytes(32));
  const url = new URL(d.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: CLIENT.clientId,
    response_type: 'code',
    scope: 'openid email profile groups',
    redirect_uri: redirectUri,
    state,
    nonce,
    code_challenge: b64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
  }).toString();
  return { url: url.href, state, nonce, verifier };
}

describe('sandbox OIDC provider', () => {
  let idp: OidcProvider;
  let browser: Browser;
  let discovery: Discovery;

  beforeAll(async () => {
    idp = await startOidcProvider({ clients: [CLIENT], users: [USER] });
    browser = await launchChromium();
    discovery = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Discovery;
  });
  afterAll(async () => {
    await browser?.close();
    await idp?.stop();
  });

  it('publishes discovery for the code flow with S256 PKCE and an RS256 key in its JWKS', async () => {
    expect(idp.issuer).toBe(`http://127.0.0.1:${idp.port}`);
    expect(discovery.issuer).toBe(idp.issuer);
    expect(discovery.code_challenge_methods_supported).toEqual(['S256']);
    const jwks = (await (await fetch(discovery.jwks_uri)).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(jwks.keys[0]).not.toHaveProperty('d'); // public half only
  });

  it('signs a user in through the login page in Chromium; the ID token verifies against the JWKS', async () => {
    const listener = await startCallbackListener();
    const context = await browser.newContext();
    try {
      const auth = authorizationUrl(discovery, listener.redirectUri);
      const page = await context.newPage();
      await page.goto(auth.url);
      await signInOnIdpPage(page, USER.username, USER.password);
      const params = await listener.received;
      await page.getByText('You may close this window.').waitFor();

      expect(params.get('state')).toBe(auth.state);
      expect(params.get('iss')).toBe(idp.issuer);
      const code = params.get('code');
      expect(code).toBeTruthy();

      const tokenResponse = await fetch(discovery.token_endpoint, {
        method: 'POST',
        headers: {
          Authorization: `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`,
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: code!,
          redirect_uri: listener.redirectUri,
          code_verifier: auth.verifier,
        }),
      });
      expect(tokenResponse.status).toBe(200);
      const tokens = (await tokenResponse.json()) as { id_token: string; access_token: string; token_type: string };
      expect(tokens.token_type).toBe('Bearer');

      const { payload, protectedHeader } = await jwtVerify(
        tokens.id_token,
        createRemoteJWKSet(new URL(discovery.jwks_uri)),
        {
          issuer: idp.issuer,
          audience: CLIENT.clientId,
          algorithms: ['RS256'],
        },
      );
      expect(protectedHeader.alg).toBe('RS256');
      expect(payload).toMatchObject({
        sub: USER.username,
        nonce: auth.nonce,
        email: 'alice@example.com',
        name: 'Alice Example',
        groups: ['developers', 'dba'],
      });

      const userinfo = await fetch(discovery.userinfo_endpoint, {
        headers: { Authorization: `Bearer ${tokens.access_token}` },
      });
      expect(await userinfo.json()).toMatchObject({ sub: USER.username, groups: ['developers', 'dba'] });

      // An authorization code is good for one exchange only.
      const replay = await fetch(discovery.token_endpoint, {
        method: 'POST',
        headers: {
          Authorization: `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`,
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: code!,
          redirect_uri: listener.redirectUri,
          code_verifier: auth.verifier,
        }),
      });
      expect(replay.status).toBe(400);
      expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
    } finally {
      await context.close();
      await listener.stop();
    }
  });

  it('keeps a user who types a wrong password on the login page with an error', async () => {
    const listener = await startCallbackListener();
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(authorizationUrl(discovery, listener.redirectUri).url);
      await signInOnIdpPage(page, USER.username, 'not the password');
      await expect.poll(() => page.getByRole('alert').textContent()).toBe('Invalid username or password.');
      expect(new URL(page.url()).origin).toBe(idp.issuer);
      expect(await page.getByLabel('Username').inputValue()).toBe(USER.username);
      expect(await page.getByLabel('Password').inputValue()).toBe('');
      expect(await page.content()).not.toContain('not the password');

      // The same page still accepts the right password afterwards.
      await signInOnIdpPage(page, USER.username, USER.password);
      expect((await listener.received).get('code')).toBeTruthy();
    } finally {
      await context.close();
      await listener.stop();
    }
  });

  it('refuses an authorization request without a PKCE code challenge', async () => {
    const redirectUri = 'http://localhost:8250/oidc/callback';
    const url = new URL(authorizationUrl(discovery, redirectUri).url);
    url.searchParams.delete('code_challenge');
    url.searchParams.delete('code_challenge_method');
    const res = await fetch(url, { redirect: 'manual' });
    const location = new URL(res.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/requires PKCE/);
  });

  it('adds a client at runtime and rejects an unregistered redirect URI', async () => {
    await idp.addClient({ clientId: 'late-client', clientSecret: 's3cret', redirectUris: ['https://app.example/cb'] });
    expect(idp.clients.map((c) => c.clientId)).toEqual(['test-client', 'late-client']);
    const res = await fetch(
      `${discovery.authorization_endpoint}?${new URLSearchParams({
        client_id: 'late-client',
        response_type: 'code',
        scope: 'openid',
        redirect_uri: 'https://evil.example/cb',
        code_challenge: 'x'.repeat(43),
        code_challenge_method: 'S256',
      })}`,
      { redirect: 'manual' },
    );
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('redirect_uri did not match any of the client&#39;s registered redirect_uris');
  });

  it('rejects bad options with errors that name the field and never the password', async () => {
    await expect(startOidcProvider({ users: [{ username: '', password: 'p', claims: {} }] })).rejects.toThrow(
      'users[0].username must be a non-empty string',
    );
    await expect(
      idp.addClient({ clientId: 'c', clientSecret: 'hunter2', redirectUris: ['ftp://x/cb'] }),
    ).rejects.toThrow(/^client.redirectUris\[0\] must be an http\(s\) URL without a fragment$/);
    await expect(startOidcProvider({ port: 70000 })).rejects.toThrow('port must be an integer from 0 to 65535');
  });

  it('starts with a default user and client when given no options', async () => {
    const defaults = await startOidcProvider();
    try {
      expect(defaults.users).toHaveLength(1);
      expect(defaults.users[0]).toMatchObject({
        username: 'dev@example.com',
        claims: { email: 'dev@example.com', groups: ['developers'] },
      });
      expect(defaults.users[0]!.password.length).toBeGreaterThanOrEqual(16);
      expect(defaults.clients[0]).toMatchObject({ clientId: 'sesame-dev' });
    } finally {
      await defaults.stop();
    }
  });
});
