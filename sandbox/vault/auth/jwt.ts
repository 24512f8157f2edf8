// The jwt auth method (vault-plugin-auth-jwt with role_type "jwt"): config with a JWKS URL,
// PEM keys or an OIDC discovery URL; roles with bound audiences/subject/claims, user_claim,
// groups_claim, claim_mappings and token fields; login {role, jwt}.
import type { Backend, BackendFactory, BackendRequest, BackendResponse } from '../backend';
import { badRequest, notFound, unsupportedOperation, unsupportedPath } from '../errors';
import { bool, duration, has, obj, str, strList, strMap } from '../fields';
import { jwksSource, pemSource, type KeySource } from './jwt-keys';
import { createIdentity, validateBoundClaims } from './oidc-claims';
import {
  defaultTokenFields,
  loginFromTokenFields,
  parseTokenFields,
  tokenFieldsResponse,
  type TokenFields,
} from './token-fields';

interface JwtConfig {
  jwksUrl: string;
  jwksCaPem: string;
  pubkeys: string[];
  discoveryUrl: string;
  discoveryCaPem: string;
  boundIssuer: string;
  defaultRole: string;
  supportedAlgs: string[];
  keys: KeySource;
}

interface JwtRole {
  roleType: 'jwt' | 'oidc';
  boundAudiences: string[];
  boundSubject: string;
  boundClaims: Record<string, unknown>;
  boundClaimsType: 'string' | 'glob';
  userClaim: string;
  userClaimJsonPointer: boolean;
  groupsClaim: string;
  claimMappings: Record<string, string>;
  clockSkewLeeway: number;
  expirationLeeway: number;
  notBeforeLeeway: number;
  allowedRedirectUris: string[];
  token: TokenFields;
}

const isWrite = (req: BackendRequest): boolean => req.operation === 'create' || req.operation === 'update';
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

async function parseConfig(body: Record<string, unknown>): Promise<JwtConfig> {
  const jwksUrl = str(body, 'jwks_url');
  const pubkeys = strList(body, 'jwt_validation_pubkeys');
  const discoveryUrl = str(body, 'oidc_discovery_url');
  const sources = [jwksUrl !== '', pubkeys.length > 0, discoveryUrl !== ''].filter(Boolean).length;
  if (sources !== 1)
    throw badRequest("exactly one of 'jwt_validation_pubkeys', 'jwks_url' or 'oidc_discovery_url' must be set");
  const jwksCaPem = str(body, 'jwks_ca_pem');
  const discoveryCaPem = str(body, 'oidc_discovery_ca_pem');
  let keys: KeySource;
  try {
    if (pubkeys.length > 0) keys = pemSource(pubkeys);
    else if (jwksUrl !== '') keys = await jwksSource(jwksUrl, jwksCaPem || undefined);
    else {
      const wellKnown = `${discoveryUrl.replace(/\/+$/, '')}/.well-known/openid-configuration`;
      const res = await fetch(wellKnown);
      const doc = (await res.json()) as { jwks_uri?: unknown; issuer?: unknown };
      if (typeof doc.jwks_uri !== 'string') throw new Error('discovery document has no jwks_uri');
      keys = await jwksSource(doc.jwks_uri, discoveryCaPem || undefined);
    }
  } catch (e) {
    if (pubkeys.length > 0) throw badRequest(message(e));
    throw badRequest(
      jwksUrl !== '' ? `error checking jwks URL: ${message(e)}` : `error checking oidc discovery URL: ${message(e)}`,
    );
  }
  return {
    jwksUrl,
    jwksCaPem,
    pubkeys,
    discoveryUrl,
    discoveryCaPem,
    boundIssuer: str(body, 'bound_issuer'),
    defaultRole: str(body, 'default_role'),
    supportedAlgs: strList(body, 'jwt_supported_algs'),
    keys,
  };
}

function parseRole(body: Record<string, unknown>, existing: JwtRole | undefined): JwtRole {
  const role: JwtRole = existing
    ? { ...existing }
    : {
        roleType: 'oidc',
        boundAudiences: [],
        boundSubject: '',
        boundClaims: {},
        boundClaimsType: 'string',
        userClaim: '',
        userClaimJsonPointer: false,
        groupsClaim: '',
        claimMappings: {},
        clockSkewLeeway: 60,
        expirationLeeway: 150,
        notBeforeLeeway: 150,
        allowedRedirectUris: [],
        token: defaultTokenFields(),
      };
  if (has(body, 'role_type')) {
    const t = str(body, 'role_type');
    if (t !== 'jwt' && t !== 'oidc') throw badRequest(`invalid 'role_type': ${t}`);
    role.roleType = t;
  }
  if (has(body, 'bound_audiences')) role.boundAudiences = strList(body, 'bound_audiences');
  if (has(body, 'bound_subject')) role.boundSubject = str(body, 'bound_subject');
  if (has(body, 'bound_claims')) role.boundClaims = obj(body, 'bound_claims') ?? {};
  if (has(body, 'bound_claims_type')) {
    const t = str(body, 'bound_claims_type');
    if (t !== 'string' && t !== 'glob') throw badRequest(`invalid 'bound_claims_type': ${t}`);
    role.boundClaimsType = t;
  }
  if (has(body, 'user_claim')) role.userClaim = str(body, 'user_claim');
  if (has(body, 'user_claim_json_pointer')) role.userClaimJsonPointer = bool(body, 'user_claim_json_pointer');
  if (has(body, 'groups_claim')) role.groupsClaim = str(body, 'groups_claim');
  if (has(body, 'claim_mappings')) role.claimMappings = strMap(body, 'claim_mappings') ?? {};
  if (has(body, 'clock_skew_leeway')) role.clockSkewLeeway = duration(body, 'clock_skew_leeway');
  if (has(body, 'expiration_leeway')) role.expirationLeeway = duration(body, 'expiration_leeway');
  if (has(body, 'not_before_leeway')) role.notBeforeLeeway = duration(body, 'not_before_leeway');
  if (has(body, 'allowed_redirect_uris')) role.allowedRedirectUris = strList(body, 'allowed_redirect_uris');
  role.token = parseTokenFields(body, role.token);
  if (role.userClaim === '') throw badRequest('a user claim must be defined on the role');
  if (role.roleType === 'oidc' && role.allowedRedirectUris.length === 0) {
    throw badRequest("'allowed_redirect_uris' must be set if 'role_type' is 'oidc' or unspecified.");
  }
  if (
    role.roleType === 'jwt' &&
    role.boundAudiences.length === 0 &&
    role.boundSubject === '' &&
    Object.keys(role.boundClaims).length === 0 &&
    role.token.boundCidrs.length === 0
  ) {
    throw badRequest('must have at least one bound constraint when creating/updating a role');
  }
  for (const [k, v] of Object.entries(role.boundClaims)) {
    const ok =
      typeof v === 'string' ||
      typeof v === 'boolean' ||
      (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'boolean'));
    if (!ok) throw badRequest(`bound claim is not a string or list: ${k}`);
  }
  return role;
}

function roleData(r: JwtRole): Record<string, unknown> {
  return {
    role_type: r.roleType,
    bound_audiences: r.boundAudiences,
    bound_subject: r.boundSubject,
    bound_claims: Object.keys(r.boundClaims).length > 0 ? r.boundClaims : null,
    bound_claims_type: r.boundClaimsType,
    user_claim: r.userClaim,
    user_claim_json_pointer: r.userClaimJsonPointer,
    groups_claim: r.groupsClaim,
    claim_mappings: Object.keys(r.claimMappings).length > 0 ? r.claimMappings : null,
    clock_skew_leeway: r.clockSkewLeeway,
    expiration_leeway: r.expirationLeeway,
    not_before_leeway: r.notBeforeLeeway,
    allowed_redirect_uris: r.allowedRedirectUris,
    ...tokenFieldsResponse(r.token),
  };
}

export const createJwtAuthMethod: BackendFactory = () => {
  let config: JwtConfig | undefined;
  const roles = new Map<string, JwtRole>();

  async function login(req: BackendRequest): Promise<BackendResponse> {
    if (!isWrite(req)) throw unsupportedOperation();
    if (!config) throw badRequest('could not load configuration');
    const roleName = str(req.body, 'role') || config.defaultRole;
    if (roleName === '') throw badRequest('missing role');
    const role = roles.get(roleName);
    if (!role) throw badRequest(`role "${roleName}" could not be found`);
    if (role.roleType === 'oidc') throw badRequest('role with oidc role_type is not allowed');
    const token = str(req.body, 'jwt');
    if (token === '') throw badRequest('missing token');
    let claims: Record<string, unknown>;
    try {
      claims = await config.keys.verify(token, {
        ...(config.boundIssuer ? { issuer: config.boundIssuer } : {}),
        ...(config.supportedAlgs.length > 0 ? { algorithms: config.supportedAlgs } : {}),
        clockTolerance: role.clockSkewLeeway + Math.max(role.expirationLeeway, role.notBeforeLeeway),
      });
    } catch (e) {
      const code = (e as { code?: string }).code ?? '';
      if (code.startsWith('ERR_JWT_CLAIM') || code === 'ERR_JWT_EXPIRED')
        throw badRequest(`error validating claims: ${message(e)}`);
      throw badRequest(`error verifying token signature: ${message(e)}`);
    }
    const aud = claims.aud === undefined ? [] : Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (role.boundAudiences.length > 0) {
      if (!aud.some((a) => role.boundAudiences.includes(String(a)))) {
        throw badRequest(
          'error validating claims: invalid audience (aud) claim: audience claim does not match any expected audience',
        );
      }
    } else if (aud.length > 0) {
      throw badRequest('audience claim found in JWT but no audiences bound to the role');
    }
    if (role.boundSubject !== '' && claims.sub !== role.boundSubject)
      throw badRequest('sub claim does not match bound subject');
    try {
      validateBoundClaims(role.boundClaimsType, role.boundClaims, claims);
    } catch (e) {
      throw badRequest(`error validating claims: ${message(e)}`);
    }
    let identity;
    try {
      identity = createIdentity(claims, {
        userClaim: role.userClaim,
        userClaimJsonPointer: role.userClaimJsonPointer,
        groupsClaim: role.groupsClaim,
        claimMappings: role.claimMappings,
      });
    } catch (e) {
      throw badRequest(message(e));
    }
    return {
      login: loginFromTokenFields(
        role.token,
        identity.name,
        { ...identity.metadata, role: roleName },
        { role: roleName, policies: role.token.policies },
      ),
    };
  }

  const backend: Backend = {
    unauthenticatedPaths: ['login'],
    async handle(req) {
      const path = req.path.replace(/\/+$/, '');
      if (path === 'login') return login(req);
      if (path === 'config') {
        if (req.operation === 'read') {
          if (!config) return undefined;
          return {
            data: {
              jwks_url: config.jwksUrl,
              jwks_ca_pem: config.jwksCaPem,
              jwt_validation_pubkeys: config.pubkeys,
              oidc_discovery_url: config.discoveryUrl,
              oidc_discovery_ca_pem: config.discoveryCaPem,
              bound_issuer: config.boundIssuer,
              default_role: config.defaultRole,
              jwt_supported_algs: config.supportedAlgs,
              oidc_client_id: '',
              provider_config: {},
            },
          };
        }
        if (!isWrite(req)) throw unsupportedOperation();
        config = await parseConfig(req.body);
        return undefined;
      }
      if (path === 'role') {
        if (req.operation !== 'list') throw unsupportedOperation();
        if (roles.size === 0) throw notFound();
        return { data: { keys: [...roles.keys()].sort() } };
      }
      if (path.startsWith('role/')) {
        const name = path.slice('role/'.length);
        if (!/^\w(?:[\w\-.@]*\w)?$/.test(name)) throw badRequest(`invalid role name "${name}"`);
        if (req.operation === 'read') {
          const role = roles.get(name);
          if (!role) throw notFound();
          return { data: roleData(role) };
        }
        if (req.operation === 'delete') {
          roles.delete(name);
          return undefined;
        }
        if (!isWrite(req)) throw unsupportedOperation();
        roles.set(name, parseRole(req.body, roles.get(name)));
        return undefined;
      }
      throw unsupportedPath();
    },
    async renewLogin({ internal }) {
      const role = roles.get(String(internal.role ?? ''));
      if (!role) throw badRequest(`role "${String(internal.role ?? '')}" could not be found during renewal`);
      if (JSON.stringify(role.token.policies) !== JSON.stringify(internal.policies ?? []))
        throw badRequest('policies have changed, not renewing');
    },
  };
  return backend;
};
