// The two halves of Vault's OIDC browser flow: `auth_url` (state, nonce and PKCE toward the
// IdP, pending for 10 minutes) and `callback` (state used once, code exchanged, ID token
// verified, claims mapped to a login). Mirrors vault-plugin-auth-jwt's path_oidc.go.
import { createHash, randomBytes } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type { LoginResult } from '../backend';
import { VaultError, badRequest } from '../errors';
import { createIdentity, validateBoundClaims } from './oidc-claims';
import type { OidcConfig } from './oidc-config';
import { exchangeCode, fetchUserinfo, verifyIdToken, type IdpConnection } from './oidc-idp';
import type { OidcRole } from './oidc-role';
import { loginFromTokenFields } from './token-fields';

/** Vault's oidcRequestTimeout. */
export const STATE_TTL_SECONDS = 10 * 60;

/** Error prefixes the Vault UI searches for; kept verbatim. */
export const LOGIN_FAILED = 'Vault login failed.';

export interface PendingLogin {
  roleName: string;
  redirectUri: string;
  nonce: string;
  codeVerifier: string;
  /** Optional nonce between Vault and its client (CLI); must come back on the callback. */
  clientNonce: string;
  expiresAt: number;
}

export interface StateStore {
  create(entry: Omit<PendingLogin, 'expiresAt'>): string;
  /** The pending login for this state, removed: a state is good for one callback. */
  take(state: string): PendingLogin | undefined;
}

export function createStateStore(now: () => number, ttlSeconds: number): StateStore {
  const pending = new Map<string, PendingLogin>();
  const sweep = () => {
    const t = now();
    for (const [state, entry] of pending) if (entry.expiresAt <= t) pending.delete(state);
  };
  return {
    create(entry) {
      sweep();
      const state = randomBytes(20).toString('hex');
      pending.set(state, { ...entry, expiresAt: now() + ttlSeconds * 1000 });
      return state;
    },
    take(state) {
      sweep();
      const entry = pending.get(state);
      pending.delete(state);
      return entry;
    },
  };
}

const isLoopbackHost = (hostname: string) => {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
};

/**
 * Vault's validRedirect: exact (case-insensitive) match, except that a loopback URI matches
 * whatever its port (RFC 8252 §7.3), so a CLI may listen on any free port.
 */
export function validRedirect(uri: string, allowed: string[]): boolean {
  const input = URL.parse(uri);
  if (!input) return false;
  if (!isLoopbackHost(input.hostname)) return allowed.some((a) => a.toLowerCase() === uri.toLowerCase());
  input.port = '';
  return allowed.some((a) => {
    const candidate = URL.parse(a);
    if (!candidate) return false;
    candidate.port = '';
    return candidate.href === input.href;
  });
}

/** The IdP authorization URL for a new pending login (query keys sorted, as Go encodes them). */
export function startLogin(
  store: StateStore,
  idp: IdpConnection,
  config: OidcConfig,
  role: OidcRole,
  request: { roleName: string; redirectUri: string; clientNonce: string },
): string {
  const nonce = randomBytes(20).toString('hex');
  const codeVerifier = randomBytes(32).toString('base64url');
  const state = store.create({ ...request, nonce, codeVerifier });
  const params: Record<string, string> = {
    client_id: config.clientId,
    code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
    code_challenge_method: 'S256',
    nonce,
    redirect_uri: request.redirectUri,
    response_type: 'code',
    scope: [...new Set(['openid', ...role.oidcScopes])].join(' '),
    state,
  };
  if (role.maxAge > 0) params.max_age = String(role.maxAge);
  const url = new URL(idp.metadata.authorizationEndpoint);
  for (const key of Object.keys(params).sort()) url.searchParams.set(key, params[key]!);
  return url.href;
}

const loginFailed = (message: string) => badRequest(`${LOGIN_FAILED} ${message}`);

/** token_bound_cidrs apply to the login request itself too; a miss is `permission denied`. */
export function checkBoundCidrs(cidrs: string[], remoteAddress: string): void {
  if (cidrs.length === 0) return;
  const address = remoteAddress.replace(/^::ffff:(?=\d+\.)/, '');
  const family = isIP(address);
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [net, bits] = cidr.includes('/') ? cidr.split('/') : [cidr, undefined];
    const type = isIP(net ?? '') === 6 ? 'ipv6' : 'ipv4';
    list.addSubnet(net ?? '', bits === undefined ? (type === 'ipv6' ? 128 : 32) : Number(bits), type);
  }
  if (family === 0 || !list.check(address, family === 6 ? 'ipv6' : 'ipv4')) {
    throw new VaultError(403, ['permission denied']);
  }
}

export interface CallbackInput {
  code: string;
  now: Date;
}

/** Exchanges the code and turns the verified claims into a login; throws Vault's 400s. */
export async function finishLogin(
  idp: IdpConnection,
  config: OidcConfig,
  role: OidcRole,
  pending: PendingLogin,
  input: CallbackInput,
): Promise<LoginResult> {
  let claims: Record<string, unknown>;
  let accessToken: string | undefined;
  try {
    // cap's Provider.Exchange verifies the ID token as part of the exchange: one error prefix.
    const tokens = await exchangeCode(
      idp,
      { id: config.clientId, secret: config.clientSecret },
      { code: input.code, redirectUri: pending.redirectUri, codeVerifier: pending.codeVerifier },
    );
    accessToken = tokens.accessToken;
    claims = {
      ...(await verifyIdToken(idp, tokens.idToken, {
        clientId: config.clientId,
        audiences: role.boundAudiences,
        nonce: pending.nonce,
        algorithms: config.supportedAlgs.length > 0 ? config.supportedAlgs : ['RS256'],
        maxAge: role.maxAge,
        accessToken,
        now: input.now,
      })),
    };
  } catch (err) {
    throw loginFailed(`Error exchanging oidc code: ${JSON.stringify((err as Error).message)}.`);
  }
  delete claims.nonce;

  const subject = typeof claims.sub === 'string' ? claims.sub : '';
  if (role.boundSubject !== '' && role.boundSubject !== subject) {
    throw loginFailed('sub claim does not match bound subject');
  }
  if (accessToken) {
    // As in Vault, userinfo adds claims when it can; a failure there does not fail the login.
    const userinfo = await fetchUserinfo(idp, accessToken, subject).catch(() => undefined);
    if (userinfo) Object.assign(claims, userinfo);
  }

  let identity: ReturnType<typeof createIdentity>;
  try {
    identity = createIdentity(claims, role);
  } catch (err) {
    throw loginFailed((err as Error).message);
  }
  try {
    validateBoundClaims(role.boundClaimsType, role.boundClaims, claims);
  } catch (err) {
    throw loginFailed(`error validating claims: ${(err as Error).message}`);
  }
  return loginFromTokenFields(
    role.token,
    identity.name,
    { ...identity.metadata, role: pending.roleName },
    {
      role: pending.roleName,
    },
  );
}
