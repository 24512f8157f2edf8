// The IdP's users and clients: validated once at the edge, then looked up by the provider.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface OidcUser {
  username: string;
  password: string;
  /** Claims released about the user, e.g. { email, name, groups }. `sub` defaults to the username. */
  claims: Record<string, unknown>;
}

export interface OidcClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

export const DEFAULT_USERNAME = 'dev@example.com';
export const DEFAULT_CLIENT_ID = 'sesame-dev';

/** Vault's CLI default callback; loopback clients are registered as native, so any port matches. */
export const DEFAULT_REDIRECT_URIS = ['http://localhost:8250/oidc/callback', 'http://127.0.0.1:8250/oidc/callback'];

export function randomSecret(): string {
  return randomBytes(18).toString('base64url');
}

export function defaultUser(): OidcUser {
  return {
    username: DEFAULT_USERNAME,
    password: randomSecret(),
    claims: { email: DEFAULT_USERNAME, email_verified: true, name: 'Dev User', groups: ['developers'] },
  };
}

export function defaultClient(): OidcClient {
  return { clientId: DEFAULT_CLIENT_ID, clientSecret: randomSecret(), redirectUris: [...DEFAULT_REDIRECT_URIS] };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const nonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

export function validateUser(input: unknown, label: string): OidcUser {
  if (!isRecord(input)) throw new TypeError(`${label} must be an object { username, password, claims }`);
  const { username, password, claims } = input;
  if (!nonEmptyString(username)) throw new TypeError(`${label}.username must be a non-empty string`);
  if (!nonEmptyString(password)) throw new TypeError(`${label}.password must be a non-empty string`);
  if (claims !== undefined && !isRecord(claims)) throw new TypeError(`${label}.claims must be an object`);
  if (claims?.sub !== undefined && !nonEmptyString(claims.sub)) {
    throw new TypeError(`${label}.claims.sub must be a non-empty string when given`);
  }
  return { username, password, claims: { ...(claims ?? {}) } };
}

export function validateClient(input: unknown, label: string): OidcClient {
  if (!isRecord(input)) throw new TypeError(`${label} must be an object { clientId, clientSecret, redirectUris }`);
  const { clientId, clientSecret, redirectUris } = input;
  if (!nonEmptyString(clientId)) throw new TypeError(`${label}.clientId must be a non-empty string`);
  if (!nonEmptyString(clientSecret)) throw new TypeError(`${label}.clientSecret must be a non-empty string`);
  if (!Array.isArray(redirectUris) || redirectUris.length === 0) {
    throw new TypeError(`${label}.redirectUris must be a non-empty array of http(s) URLs`);
  }
  redirectUris.forEach((uri, i) => {
    const parsed = typeof uri === 'string' ? URL.parse(uri) : null;
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.hash) {
      throw new TypeError(`${label}.redirectUris[${i}] must be an http(s) URL without a fragment`);
    }
  });
  return { clientId, clientSecret, redirectUris: [...(redirectUris as string[])] };
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * oidc-provider metadata for a client. Clients whose redirect URIs are all http loopback are
 * "native" (RFC 8252 §7.3): the IdP then ignores the port, as Vault's redirect check does.
 */
export function clientMetadata(client: OidcClient): Record<string, unknown> {
  const native = client.redirectUris.every((uri) => {
    const url = new URL(uri);
    return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  });
  return {
    client_id: client.clientId,
    client_secret: client.clientSecret,
    redirect_uris: client.redirectUris,
    application_type: native ? 'native' : 'web',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export interface UserDirectory {
  readonly users: readonly OidcUser[];
  /** The user whose account id (claims.sub or username) this is. */
  byAccountId(accountId: string): OidcUser | undefined;
  accountIdOf(user: OidcUser): string;
  /** The user when the password matches, compared in constant time. */
  authenticate(username: string, password: string): OidcUser | undefined;
}

export function createUserDirectory(users: OidcUser[]): UserDirectory {
  const seen = new Set<string>();
  for (const user of users) {
    if (seen.has(user.username)) throw new TypeError(`users: username "${user.username}" is listed twice`);
    seen.add(user.username);
  }
  const accountIdOf = (user: OidcUser) => (typeof user.claims.sub === 'string' ? user.claims.sub : user.username);
  return {
    users,
    accountIdOf,
    byAccountId: (accountId) => users.find((u) => accountIdOf(u) === accountId),
    authenticate(username, password) {
      const user = users.find((u) => u.username === username);
      // Compare digests so the comparison neither leaks length nor depends on whether the user exists.
      const expected = digest(user?.password ?? randomSecret());
      const matches = timingSafeEqual(expected, digest(password));
      return user && matches ? user : undefined;
    },
  };
}
