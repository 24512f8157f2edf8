// The relying-party half of the OIDC auth method, as Vault's hashicorp/cap library does it:
// discovery (issuer must equal the discovery URL), code exchange with PKCE, ID token
// verification (signature via JWKS, issuer, audience, azp, expiry, nonce, at_hash, auth_time)
// and userinfo. Errors read like cap's, because Vault passes them to the client verbatim.
import { createHash } from 'node:crypto';
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { getJsonObject, parseJsonObject, requestIdp } from './oidc-http';

export interface IdpMetadata {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  jwksUri: string;
  userinfoEndpoint?: string;
  /** How the token endpoint wants the client secret. */
  clientAuth: 'client_secret_basic' | 'client_secret_post';
}

export interface IdpConnection {
  readonly metadata: IdpMetadata;
  readonly caPem?: string;
  keySet(): Promise<JSONWebKeySet>;
  /** Fetch the JWKS again (the IdP rotated keys). */
  refreshKeySet(): Promise<JSONWebKeySet>;
}

const urlField = (doc: Record<string, unknown>, field: string, required: boolean): string | undefined => {
  const v = doc[field];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || !URL.canParse(v)) throw new Error(`discovery document has no valid "${field}"`);
  return v;
};

/** Reads `<discoveryUrl>/.well-known/openid-configuration` and the JWKS it names. */
export async function discoverIdp(discoveryUrl: string, caPem?: string): Promise<IdpConnection> {
  const wellKnown = `${discoveryUrl.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const doc = await getJsonObject(wellKnown, caPem);
  if (doc.issuer !== discoveryUrl) {
    throw new Error(
      `oidc: issuer did not match the issuer returned by provider, expected ${JSON.stringify(discoveryUrl)} got ${JSON.stringify(doc.issuer)}`,
    );
  }
  const methods = Array.isArray(doc.token_endpoint_auth_methods_supported)
    ? doc.token_endpoint_auth_methods_supported
    : ['client_secret_basic'];
  const metadata: IdpMetadata = {
    issuer: discoveryUrl,
    authorizationEndpoint: urlField(doc, 'authorization_endpoint', true)!,
    tokenEndpoint: urlField(doc, 'token_endpoint', true)!,
    jwksUri: urlField(doc, 'jwks_uri', true)!,
    userinfoEndpoint: urlField(doc, 'userinfo_endpoint', false),
    clientAuth:
      !methods.includes('client_secret_basic') && methods.includes('client_secret_post')
        ? 'client_secret_post'
        : 'client_secret_basic',
  };
  const fetchKeys = async () => {
    const jwks = await getJsonObject(metadata.jwksUri, caPem);
    if (!Array.isArray(jwks.keys)) throw new Error(`${metadata.jwksUri} is not a JWK set (no "keys" array)`);
    return jwks as unknown as JSONWebKeySet;
  };
  let keys = await fetchKeys();
  return {
    metadata,
    caPem,
    keySet: async () => keys,
    refreshKeySet: async () => (keys = await fetchKeys()),
  };
}

export interface TokenSet {
  idToken: string;
  accessToken?: string;
}

/** RFC 6749 §2.3.1: client credentials are form-encoded before going into the Basic header. */
const formEncode = (s: string) => new URLSearchParams({ v: s }).toString().slice(2);

export async function exchangeCode(
  idp: IdpConnection,
  client: { id: string; secret: string },
  grant: { code: string; redirectUri: string; codeVerifier: string },
): Promise<TokenSet> {
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code: grant.code,
    redirect_uri: grant.redirectUri,
    code_verifier: grant.codeVerifier,
  });
  const headers: Record<string, string> = {};
  if (idp.metadata.clientAuth === 'client_secret_basic') {
    const basic = Buffer.from(`${formEncode(client.id)}:${formEncode(client.secret)}`).toString('base64');
    headers.Authorization = `Basic ${basic}`;
  } else {
    form.set('client_id', client.id);
    form.set('client_secret', client.secret);
  }
  const res = await requestIdp(idp.metadata.tokenEndpoint, { form, headers, caPem: idp.caPem });
  let body: Record<string, unknown>;
  try {
    body = parseJsonObject(res.body, 'the token endpoint');
  } catch (err) {
    throw new Error(
      `Provider.Exchange: unable to exchange auth code with provider: oauth2: ${(err as Error).message} (status ${res.status})`,
    );
  }
  if (res.status !== 200 || typeof body.error === 'string') {
    const description = typeof body.error_description === 'string' ? body.error_description : '';
    throw new Error(
      `Provider.Exchange: unable to exchange auth code with provider: oauth2: ${JSON.stringify(String(body.error ?? res.status))} ${JSON.stringify(description)}`,
    );
  }
  if (typeof body.id_token !== 'string' || body.id_token === '') {
    throw new Error('Provider.Exchange: id_token is missing from auth code exchange');
  }
  return { idToken: body.id_token, accessToken: typeof body.access_token === 'string' ? body.access_token : undefined };
}

export interface IdTokenExpectations {
  clientId: string;
  /** The role's bound_audiences; when set, one of them must be in `aud`. */
  audiences: string[];
  nonce: string;
  algorithms: string[];
  /** Seconds; 0 means no max_age check. */
  maxAge: number;
  accessToken?: string;
  now: Date;
}

const fail = (what: string): never => {
  throw new Error(`Provider.Exchange: id_token failed verification: Provider.VerifyIDToken: ${what}`);
};

/** Left half of the access token's hash, base64url (OIDC Core §3.1.3.6). */
function atHash(accessToken: string, alg: string): string {
  const bits = alg.endsWith('384') ? 384 : alg.endsWith('512') ? 512 : 256;
  const digest = createHash(`sha${bits}`).update(accessToken).digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

export async function verifyIdToken(
  idp: IdpConnection,
  token: string,
  expect: IdTokenExpectations,
): Promise<JWTPayload> {
  const verifyWith = async (keys: JSONWebKeySet) =>
    jwtVerify(token, createLocalJWKSet(keys), {
      issuer: idp.metadata.issuer,
      algorithms: expect.algorithms,
      currentDate: expect.now,
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
    });
  let result: Awaited<ReturnType<typeof verifyWith>>;
  try {
    try {
      result = await verifyWith(await idp.keySet());
    } catch (err) {
      if (!(err instanceof joseErrors.JWKSNoMatchingKey)) throw err;
      result = await verifyWith(await idp.refreshKeySet());
    }
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) return fail('invalid id_token: token is expired');
    if (err instanceof joseErrors.JWTClaimValidationFailed) {
      if (err.claim === 'iss') {
        return fail(
          `invalid id_token: oidc: id token issued by a different provider, expected ${JSON.stringify(idp.metadata.issuer)}`,
        );
      }
      return fail(`invalid id_token: ${err.message}`);
    }
    if (err instanceof joseErrors.JOSEAlgNotAllowed)
      return fail('invalid id_token signature: unsupported signing algorithm');
    if (err instanceof joseErrors.JOSEError) return fail(`invalid id_token signature: ${err.message}`);
    throw err;
  }
  const { payload, protectedHeader } = result;
  const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!aud.includes(expect.clientId)) fail('invalid id_token audiences: invalid audience');
  if (expect.audiences.length > 0 && !expect.audiences.some((a) => aud.includes(a))) {
    fail('invalid id_token audiences: invalid audience');
  }
  if (aud.length > 1 && payload.azp !== expect.clientId) fail('invalid id_token: invalid authorized party');
  if (payload.nonce !== expect.nonce) fail('invalid id_token nonce: invalid nonce');
  if (expect.accessToken && typeof payload.at_hash === 'string') {
    if (payload.at_hash !== atHash(expect.accessToken, protectedHeader.alg)) {
      fail('invalid id_token: access token hash does not match');
    }
  }
  if (expect.maxAge > 0) {
    if (typeof payload.auth_time !== 'number') fail('invalid id_token: missing auth_time claim with max_age');
    if ((payload.auth_time as number) + expect.maxAge < Math.floor(expect.now.getTime() / 1000)) {
      fail('invalid id_token: auth_time is past max_age');
    }
  }
  return payload;
}

/** Claims from the userinfo endpoint; undefined when there is none. Its `sub` must match. */
export async function fetchUserinfo(
  idp: IdpConnection,
  accessToken: string,
  subject: string,
): Promise<Record<string, unknown> | undefined> {
  const endpoint = idp.metadata.userinfoEndpoint;
  if (!endpoint) return undefined;
  const claims = await getJsonObject(endpoint, idp.caPem, { Authorization: `Bearer ${accessToken}` });
  if (claims.sub !== subject) throw new Error('userinfo sub does not match the ID token subject');
  return claims;
}
