// auth/<mount>/role/:name of the OIDC auth method, validated like vault-plugin-auth-jwt's
// pathRoleCreateUpdate: absent fields keep their stored value, token_* fields as tokenutil.
import { isIP } from 'node:net';
import { badRequest } from '../errors';
import { bool, duration, has, obj, str, strList, strMap } from '../fields';
import { defaultTokenFields, parseTokenFields, tokenFieldsResponse, type TokenFields } from './token-fields';
import { ignoredFieldsWarning } from './oidc-fields';

export interface OidcRole {
  roleType: 'oidc' | 'jwt';
  boundAudiences: string[];
  boundSubject: string;
  boundClaimsType: 'string' | 'glob';
  boundClaims: Record<string, unknown>;
  /** claim (name or JSON pointer) → metadata key */
  claimMappings: Record<string, string>;
  userClaim: string;
  userClaimJsonPointer: boolean;
  groupsClaim: string;
  oidcScopes: string[];
  allowedRedirectUris: string[];
  callbackMode: 'client';
  /** Seconds; 0 = no max_age sent to the IdP. */
  maxAge: number;
  token: TokenFields;
}

const ROLE_FIELDS = [
  'role_type',
  'bound_audiences',
  'bound_subject',
  'bound_claims_type',
  'bound_claims',
  'claim_mappings',
  'user_claim',
  'user_claim_json_pointer',
  'groups_claim',
  'oidc_scopes',
  'allowed_redirect_uris',
  'callback_mode',
  'max_age',
  'token_policies',
  'policies',
  'token_ttl',
  'ttl',
  'token_max_ttl',
  'max_ttl',
  'token_explicit_max_ttl',
  'token_period',
  'period',
  'token_num_uses',
  'token_no_default_policy',
  'token_type',
  'token_bound_cidrs',
] as const;

/** Vault reserves `role` in login metadata: it always names the role used. */
const RESERVED_METADATA = ['role'];

function newRole(): OidcRole {
  return {
    roleType: 'oidc',
    boundAudiences: [],
    boundSubject: '',
    boundClaimsType: 'string',
    boundClaims: {},
    claimMappings: {},
    userClaim: '',
    userClaimJsonPointer: false,
    groupsClaim: '',
    oidcScopes: [],
    allowedRedirectUris: [],
    callbackMode: 'client',
    maxAge: 0,
    token: defaultTokenFields(),
  };
}

function isCidr(text: string): boolean {
  const [address = '', bits, extra] = text.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  return /^\d+$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32);
}

/** TypeKVPairs: a map, or a list of "key=value" strings. */
function kvPairs(body: Record<string, unknown>, field: string): Record<string, string> | undefined {
  const v = body[field];
  if (!Array.isArray(v)) return strMap(body, field);
  const out: Record<string, string> = {};
  for (const item of v) {
    const text = typeof item === 'string' ? item : '';
    const eq = text.indexOf('=');
    if (eq <= 0) throw badRequest(`error converting input for field "${field}": expected "key=value" pairs`);
    out[text.slice(0, eq)] = text.slice(eq + 1);
  }
  return out;
}

/** Applies a role write to the stored role (or a new one); throws Vault's 400s. */
export function parseRole(body: Record<string, unknown>, existing?: OidcRole): { role: OidcRole; warnings: string[] } {
  const role: OidcRole = structuredClone(existing ?? newRole());

  if (has(body, 'role_type')) {
    const roleType = str(body, 'role_type') || 'oidc';
    if (roleType !== 'oidc' && roleType !== 'jwt') throw badRequest(`invalid 'role_type': ${roleType}`);
    role.roleType = roleType;
  }
  role.token = parseTokenFields(body, role.token);
  for (const cidr of role.token.boundCidrs) {
    if (!isCidr(cidr))
      throw badRequest(`invalid 'token_bound_cidrs' entry ${JSON.stringify(cidr)}: not an IP address or CIDR block`);
  }
  if (has(body, 'bound_audiences')) role.boundAudiences = strList(body, 'bound_audiences');
  if (has(body, 'bound_subject')) role.boundSubject = str(body, 'bound_subject');
  if (has(body, 'max_age')) role.maxAge = duration(body, 'max_age');

  if (has(body, 'bound_claims_type')) {
    const type = str(body, 'bound_claims_type');
    if (type !== 'string' && type !== 'glob') throw badRequest(`invalid 'bound_claims_type': ${type}`);
    role.boundClaimsType = type;
  }
  if (has(body, 'bound_claims')) role.boundClaims = obj(body, 'bound_claims') ?? {};
  if (role.boundClaimsType === 'glob') {
    for (const values of Object.values(role.boundClaims)) {
      const list = Array.isArray(values) ? values : [values];
      if (!Array.isArray(values) && typeof values !== 'string' && typeof values !== 'boolean') {
        throw badRequest(`claim is not a string or list: ${JSON.stringify(values)}`);
      }
      for (const value of list) {
        if (typeof value !== 'string') throw badRequest(`claim is not a string: ${JSON.stringify(value)}`);
      }
    }
  }

  if (has(body, 'claim_mappings')) {
    const mappings = kvPairs(body, 'claim_mappings') ?? {};
    const targets = new Set<string>();
    for (const key of Object.values(mappings)) {
      if (RESERVED_METADATA.includes(key)) {
        throw badRequest(`metadata key ${JSON.stringify(key)} is reserved and may not be a mapping destination`);
      }
      if (targets.has(key)) throw badRequest(`multiple keys are mapped to metadata key ${JSON.stringify(key)}`);
      targets.add(key);
    }
    role.claimMappings = mappings;
  }

  if (has(body, 'user_claim')) role.userClaim = str(body, 'user_claim');
  if (role.userClaim === '') throw badRequest('a user claim must be defined on the role');
  if (has(body, 'user_claim_json_pointer')) role.userClaimJsonPointer = bool(body, 'user_claim_json_pointer');
  if (has(body, 'groups_claim')) role.groupsClaim = str(body, 'groups_claim');
  if (has(body, 'oidc_scopes')) role.oidcScopes = strList(body, 'oidc_scopes');
  if (has(body, 'allowed_redirect_uris')) role.allowedRedirectUris = strList(body, 'allowed_redirect_uris');

  if (has(body, 'callback_mode')) {
    const mode = str(body, 'callback_mode');
    if (mode === 'direct' || mode === 'device') {
      throw badRequest(`callback_mode '${mode}' is not supported by this dev server; use 'client'`);
    }
    if (mode !== 'client') throw badRequest(`invalid 'callback_mode': ${mode}`);
  }

  if (role.roleType === 'oidc' && role.allowedRedirectUris.length === 0) {
    throw badRequest("'allowed_redirect_uris' must be set if 'role_type' is 'oidc' or unspecified.");
  }
  if (
    role.roleType === 'jwt' &&
    role.boundAudiences.length === 0 &&
    role.token.boundCidrs.length === 0 &&
    role.boundSubject === '' &&
    Object.keys(role.boundClaims).length === 0
  ) {
    throw badRequest('must have at least one bound constraint when creating/updating a role');
  }
  return { role, warnings: ignoredFieldsWarning(body, ROLE_FIELDS) };
}

/** GET role/:name */
export function roleResponse(role: OidcRole): Record<string, unknown> {
  return {
    role_type: role.roleType,
    bound_audiences: role.boundAudiences,
    bound_subject: role.boundSubject,
    bound_claims_type: role.boundClaimsType,
    bound_claims: Object.keys(role.boundClaims).length > 0 ? role.boundClaims : null,
    claim_mappings: Object.keys(role.claimMappings).length > 0 ? role.claimMappings : null,
    user_claim: role.userClaim,
    user_claim_json_pointer: role.userClaimJsonPointer,
    groups_claim: role.groupsClaim,
    oidc_scopes: role.oidcScopes,
    allowed_redirect_uris: role.allowedRedirectUris,
    callback_mode: role.callbackMode,
    max_age: role.maxAge,
    ...tokenFieldsResponse(role.token),
  };
}
