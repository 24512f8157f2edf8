// Vault's shared token fields of auth-method roles and users (tokenutil): token_policies,
// token_ttl, token_max_ttl, ... Every auth method stores them the same way and turns them
// into a LoginResult the same way.
import type { LoginResult } from '../backend';
import { bool, duration, has, int, str, strList } from '../fields';
import { badRequest } from '../errors';

export interface TokenFields {
  policies: string[];
  ttl: number;
  maxTtl: number;
  explicitMaxTtl: number;
  period: number;
  numUses: number;
  noDefaultPolicy: boolean;
  type: 'default' | 'service' | 'batch';
  boundCidrs: string[];
}

export const defaultTokenFields = (): TokenFields => ({
  policies: [],
  ttl: 0,
  maxTtl: 0,
  explicitMaxTtl: 0,
  period: 0,
  numUses: 0,
  noDefaultPolicy: false,
  type: 'default',
  boundCidrs: [],
});

/** Reads token_* fields from a write, keeping existing values for absent fields. */
export function parseTokenFields(body: Record<string, unknown>, existing = defaultTokenFields()): TokenFields {
  const out = { ...existing };
  // `policies` is the deprecated alias that Vault still honours.
  if (has(body, 'token_policies')) out.policies = strList(body, 'token_policies');
  else if (has(body, 'policies')) out.policies = strList(body, 'policies');
  if (has(body, 'token_ttl')) out.ttl = duration(body, 'token_ttl');
  else if (has(body, 'ttl')) out.ttl = duration(body, 'ttl');
  if (has(body, 'token_max_ttl')) out.maxTtl = duration(body, 'token_max_ttl');
  else if (has(body, 'max_ttl')) out.maxTtl = duration(body, 'max_ttl');
  if (has(body, 'token_explicit_max_ttl')) out.explicitMaxTtl = duration(body, 'token_explicit_max_ttl');
  if (has(body, 'token_period')) out.period = duration(body, 'token_period');
  else if (has(body, 'period')) out.period = duration(body, 'period');
  if (has(body, 'token_num_uses')) out.numUses = int(body, 'token_num_uses');
  if (out.numUses < 0) throw badRequest('token_num_uses cannot be negative');
  if (has(body, 'token_no_default_policy')) out.noDefaultPolicy = bool(body, 'token_no_default_policy');
  if (has(body, 'token_bound_cidrs')) out.boundCidrs = strList(body, 'token_bound_cidrs');
  if (has(body, 'token_type')) {
    const t = str(body, 'token_type');
    if (t !== 'default' && t !== 'service' && t !== 'batch' && t !== 'default-service' && t !== 'default-batch') {
      throw badRequest(`invalid 'token_type' value "${t}"`);
    }
    out.type = t === 'batch' ? 'batch' : t === 'service' ? 'service' : 'default';
  }
  if (out.maxTtl > 0 && out.ttl > out.maxTtl)
    throw badRequest('"token_ttl" value must be less than "token_max_ttl" value');
  out.policies = normalizePolicies(out.policies);
  return out;
}

/** How a role's token fields read back (GET role/:name). */
export function tokenFieldsResponse(f: TokenFields): Record<string, unknown> {
  return {
    token_policies: f.policies,
    policies: f.policies,
    token_ttl: f.ttl,
    ttl: f.ttl,
    token_max_ttl: f.maxTtl,
    max_ttl: f.maxTtl,
    token_explicit_max_ttl: f.explicitMaxTtl,
    token_period: f.period,
    period: f.period,
    token_num_uses: f.numUses,
    token_no_default_policy: f.noDefaultPolicy,
    token_type: f.type,
    token_bound_cidrs: f.boundCidrs,
  };
}

/** The LoginResult for a role/user's token fields. */
export function loginFromTokenFields(
  f: TokenFields,
  displayName: string,
  metadata: Record<string, string>,
  internal: Record<string, unknown> = {},
): LoginResult {
  return {
    policies: f.policies,
    metadata,
    displayName,
    ttl: f.ttl,
    maxTtl: f.maxTtl,
    explicitMaxTtl: f.explicitMaxTtl,
    period: f.period,
    numUses: f.numUses,
    noDefaultPolicy: f.noDefaultPolicy,
    renewable: true,
    internal,
  };
}

/** Lower-case, trimmed, de-duplicated, sorted: how Vault stores policy lists. */
export function normalizePolicies(list: string[]): string[] {
  return [...new Set(list.map((p) => p.trim().toLowerCase()).filter((p) => p !== ''))].sort();
}
