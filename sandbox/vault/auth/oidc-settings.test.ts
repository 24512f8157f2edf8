// config, roles and auth_url of the OIDC auth method against a real IdP (no browser needed).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startOidcProvider, type OidcProvider } from '../../oidc';
import type { Backend } from '../backend';
import { createOidcAuthMethod } from './oidc';
import { TEST_CLIENT, TEST_USER, backendRequest as req, call, mountContext } from './testing';

const ROLE = {
  user_claim: 'email',
  groups_claim: 'groups',
  allowed_redirect_uris: [
    'http://localhost:8250/oidc/callback',
    'https://vault.example/ui/vault/auth/oidc/oidc/callback',
  ],
  oidc_scopes: 'email,groups',
  token_policies: 'Dev, readers',
  token_ttl: '1h',
};

describe('OIDC auth method: config, roles, auth_url', () => {
  let idp: OidcProvider;
  let backend: Backend;
  const config = () => ({
    oidc_discovery_url: idp.issuer,
    oidc_client_id: TEST_CLIENT.clientId,
    oidc_client_secret: TEST_CLIENT.clientSecret,
    default_role: 'dev',
  });

  beforeAll(async () => {
    idp = await startOidcProvider({ clients: [TEST_CLIENT], users: [TEST_USER] });
  });
  afterAll(async () => {
    await idp?.stop();
  });
  beforeEach(() => {
    backend = createOidcAuthMethod(mountContext());
  });

  it('stores a config checked against the live discovery document and reads it back without the secret', async () => {
    expect(await call(backend, req('read', 'config'))).toEqual({ status: 404, errors: [] });
    expect(await call(backend, req('update', 'config', config()))).toBeUndefined();
    const read = (await call(backend, req('read', 'config'))) as { data: Record<string, unknown> };
    expect(read.data).toMatchObject({
      oidc_discovery_url: idp.issuer,
      oidc_client_id: 'vault-oidc',
      default_role: 'dev',
    });
    expect(read.data).not.toHaveProperty('oidc_client_secret');
    expect(JSON.stringify(read)).not.toContain(TEST_CLIENT.clientSecret);

    const warned = await call(backend, req('update', 'config', { ...config(), colour: 'blue' }));
    expect(warned).toEqual({ warnings: ['Endpoint ignored these unrecognized parameters: [colour]'] });
  });

  it('rejects bad configs with Vault messages, never echoing the client secret', async () => {
    const bad = async (body: Record<string, unknown>) => call(backend, req('update', 'config', body));
    expect(await bad({})).toEqual({
      status: 400,
      errors: ["exactly one of 'jwt_validation_pubkeys', 'jwks_url', 'jwks_pairs' or 'oidc_discovery_url' must be set"],
    });
    expect(await bad({ oidc_discovery_url: idp.issuer, oidc_client_id: 'x' })).toEqual({
      status: 400,
      errors: ["both 'oidc_client_id' and 'oidc_client_secret' must be set for OIDC"],
    });
    const mismatch = (await bad({ ...config(), oidc_discovery_url: `${idp.issuer}/` })) as { errors: string[] };
    expect(mismatch.errors[0]).toMatch(/^error checking oidc discovery URL: oidc: issuer did not match/);
    const down = (await bad({ ...config(), oidc_discovery_url: 'http://127.0.0.1:1' })) as { errors: string[] };
    expect(down.errors[0]).toMatch(/^error checking oidc discovery URL: GET http:\/\/127\.0\.0\.1:1.*ECONNREFUSED/);
    expect(await bad({ ...config(), oidc_response_mode: 'fragment' })).toEqual({
      status: 400,
      errors: ['invalid response_mode: "fragment"'],
    });
    const secretAsList = (await bad({ ...config(), oidc_client_secret: ['s3cr3t-value'] })) as { errors: string[] };
    expect(secretAsList.errors[0]).toContain('oidc_client_secret');
    expect(secretAsList.errors[0]).not.toContain('s3cr3t-value');
    expect(await call(backend, req('read', 'config'))).toEqual({ status: 404, errors: [] });
  });

  it('writes, reads, lists and deletes roles as Vault does', async () => {
    expect(await call(backend, req('list', 'role'))).toEqual({ status: 404, errors: [] });
    expect(await backend.exists!(req('update', 'role/Dev'))).toBe(false);
    expect(await call(backend, req('create', 'role/Dev', ROLE))).toBeUndefined();
    expect(await backend.exists!(req('update', 'role/dev'))).toBe(true);

    const read = (await call(backend, req('read', 'role/dev'))) as { data: Record<string, unknown> };
    expect(read.data).toMatchObject({
      role_type: 'oidc',
      user_claim: 'email',
      groups_claim: 'groups',
      oidc_scopes: ['email', 'groups'],
      allowed_redirect_uris: ROLE.allowed_redirect_uris,
      bound_claims_type: 'string',
      token_policies: ['dev', 'readers'],
      token_ttl: 3600,
      token_type: 'default',
    });

    // An update keeps what it does not mention.
    expect(await call(backend, req('update', 'role/dev', { bound_claims: { groups: ['dba'] } }))).toBeUndefined();
    const updated = (await call(backend, req('read', 'role/dev'))) as { data: Record<string, unknown> };
    expect(updated.data).toMatchObject({ user_claim: 'email', bound_claims: { groups: ['dba'] } });

    await call(backend, req('create', 'role/second', ROLE));
    expect(await call(backend, req('list', 'role/'))).toEqual({ data: { keys: ['dev', 'second'] } });
    expect(await call(backend, req('delete', 'role/second'))).toBeUndefined();
    expect(await call(backend, req('read', 'role/second'))).toEqual({ status: 404, errors: [] });
    expect(await call(backend, req('read', 'role/bad name!'))).toMatchObject({ status: 404 });
  });

  it('rejects bad roles with Vault messages', async () => {
    const bad = async (body: Record<string, unknown>) =>
      ((await call(backend, req('create', 'role/x', body))) as { errors?: string[] }).errors?.[0];
    expect(await bad({ ...ROLE, user_claim: undefined })).toBe('a user claim must be defined on the role');
    expect(await bad({ ...ROLE, allowed_redirect_uris: undefined })).toBe(
      "'allowed_redirect_uris' must be set if 'role_type' is 'oidc' or unspecified.",
    );
    expect(await bad({ ...ROLE, claim_mappings: { email: 'role' } })).toBe(
      'metadata key "role" is reserved and may not be a mapping destination',
    );
    expect(await bad({ ...ROLE, claim_mappings: { email: 'who', sub: 'who' } })).toBe(
      'multiple keys are mapped to metadata key "who"',
    );
    expect(await bad({ ...ROLE, bound_claims_type: 'regex' })).toBe("invalid 'bound_claims_type': regex");
    expect(await bad({ ...ROLE, bound_claims_type: 'glob', bound_claims: { level: 3 } })).toBe(
      'claim is not a string or list: 3',
    );
    expect(await bad({ ...ROLE, role_type: 'saml' })).toBe("invalid 'role_type': saml");
    expect(await bad({ ...ROLE, role_type: 'jwt' })).toBe(
      'must have at least one bound constraint when creating/updating a role',
    );
    expect(await bad({ ...ROLE, token_ttl: 'soon' })).toMatch(/^error converting input "soon" for field "token_ttl"/);
    expect(await bad({ ...ROLE, token_bound_cidrs: ['10.0.0.0/33'] })).toMatch(/invalid 'token_bound_cidrs' entry/);
    expect(await bad({ ...ROLE, callback_mode: 'device' })).toMatch(/not supported by this dev server/);
  });

  it('answers auth_url with an IdP URL carrying state, nonce and an S256 PKCE challenge', async () => {
    await call(backend, req('update', 'config', config()));
    await call(backend, req('create', 'role/dev', ROLE));
    // Any port on a loopback redirect matches the allowed URI (RFC 8252), as with `vault login`.
    const redirectUri = 'http://localhost:53123/oidc/callback';
    const res = (await call(backend, req('update', 'oidc/auth_url', { role: 'dev', redirect_uri: redirectUri }))) as {
      data: { auth_url: string };
    };
    const url = new URL(res.data.auth_url);
    expect(`${url.origin}${url.pathname}`).toBe(`${idp.issuer}/auth`);
    const q = Object.fromEntries(url.searchParams);
    expect(q).toMatchObject({
      client_id: 'vault-oidc',
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'openid email groups',
      code_challenge_method: 'S256',
    });
    expect(q.state).toMatch(/^[0-9a-f]{40}$/);
    expect(q.nonce).toMatch(/^[0-9a-f]{40}$/);
    expect(q.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // default_role applies when no role is named; two requests never share a state.
    const again = (await call(backend, req('update', 'oidc/auth_url', { redirect_uri: redirectUri }))) as {
      data: { auth_url: string };
    };
    expect(new URL(again.data.auth_url).searchParams.get('state')).not.toBe(q.state);
  });

  it('answers auth_url errors and an empty auth_url for a redirect URI the role does not allow', async () => {
    const authUrl = (body: Record<string, unknown>) => call(backend, req('update', 'oidc/auth_url', body));
    expect(await authUrl({ role: 'dev', redirect_uri: 'x' })).toEqual({
      status: 400,
      errors: ['could not load configuration'],
    });
    await call(backend, req('update', 'config', { ...config(), default_role: '' }));
    await call(backend, req('create', 'role/dev', ROLE));
    expect(await authUrl({ redirect_uri: 'http://localhost:8250/oidc/callback' })).toEqual({
      status: 400,
      errors: ['missing role'],
    });
    expect(await authUrl({ role: 'ops', redirect_uri: 'x' })).toEqual({
      status: 400,
      errors: ['role "ops" could not be found'],
    });
    expect(await authUrl({ role: 'dev' })).toEqual({ status: 400, errors: ['missing redirect_uri'] });
    expect(await authUrl({ role: 'dev', redirect_uri: 'http://evil.example:8250/oidc/callback' })).toEqual({
      data: { auth_url: '' },
    });
    expect(await authUrl({ role: 'dev', redirect_uri: 'http://localhost:8250/other/callback' })).toEqual({
      data: { auth_url: '' },
    });
    expect(await call(backend, req('read', 'oidc/auth_url'))).toMatchObject({ status: 405 });
    expect(await call(backend, req('update', 'oidc/callback', {}))).toMatchObject({ status: 405 });
    expect(await call(backend, req('read', 'nope'))).toMatchObject({ status: 404 });
    expect(backend.unauthenticatedPaths).toEqual(['oidc/auth_url', 'oidc/callback']);
  });
});
