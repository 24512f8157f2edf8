// Claims → Vault identity, as vault-plugin-auth-jwt's claims.go and createIdentity do it:
// JSON-pointer claim lookup, bound_claims (string or glob), user_claim, groups_claim and
// claim_mappings into metadata.

type Claims = Record<string, unknown>;

/** A claim by name, or by JSON pointer when the name starts with "/". */
export function getClaim(claims: Claims, name: string): unknown {
  if (!name.startsWith('/')) return claims[name];
  let node: unknown = claims;
  for (const raw of name.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^\d+$/.test(key)) node = node[Number(key)];
    else if (typeof node === 'object' && node !== null && !Array.isArray(node)) node = (node as Claims)[key];
    else return undefined;
    if (node === undefined) return undefined;
  }
  return node;
}

/** A string, bool or list as a list (providers shorten one-element lists to a scalar). */
export function normalizeList(raw: unknown): unknown[] | undefined {
  if (Array.isArray(raw)) return raw;
  if (typeof raw === 'string' || typeof raw === 'boolean') return [raw];
  return undefined;
}

/** go-glob: `*` matches any run of characters; nothing else is special. */
export function globMatch(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === value;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!value.startsWith(first) || !value.endsWith(last) || value.length < first.length + last.length) return false;
  let at = first.length;
  for (const middle of parts.slice(1, -1)) {
    const found = value.indexOf(middle, at);
    if (found < 0 || found + middle.length > value.length - last.length) return false;
    at = found + middle.length;
  }
  return true;
}

const display = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** Throws with Vault's message when a bound claim is missing or matches none of its values. */
export function validateBoundClaims(type: 'string' | 'glob', bound: Record<string, unknown>, claims: Claims): void {
  for (const [claim, expected] of Object.entries(bound)) {
    const actual = getClaim(claims, claim);
    if (actual === undefined || actual === null) throw new Error(`claim ${JSON.stringify(claim)} is missing`);
    const actualValues = normalizeList(actual);
    if (!actualValues) throw new Error(`received claim is not a string or list: ${display(actual)}`);
    const expectedValues = normalizeList(expected);
    if (!expectedValues) throw new Error(`bound claim is not a string or list: ${display(expected)}`);
    const found = expectedValues.some((exp) =>
      actualValues.some((act) => {
        if (type !== 'glob') return act === exp;
        if (typeof exp !== 'string') throw new Error(`received claim is not a glob string: ${display(exp)}`);
        return typeof act === 'string' && globMatch(exp, act);
      }),
    );
    if (!found) throw new Error(`claim ${JSON.stringify(claim)} does not match any associated bound claim values`);
  }
}

export interface ClaimRules {
  userClaim: string;
  userClaimJsonPointer: boolean;
  groupsClaim: string;
  /** claim (name or JSON pointer) → metadata key */
  claimMappings: Record<string, string>;
}

export interface ClaimIdentity {
  /** The entity alias name: the user claim's value. */
  name: string;
  /** From claim_mappings. */
  metadata: Record<string, string>;
  /** Group alias names from groups_claim (empty when no groups_claim). */
  groups: string[];
}

/** Throws with Vault's message when the user or groups claim is missing or of the wrong type. */
export function createIdentity(claims: Claims, rules: ClaimRules): ClaimIdentity {
  const rawUser = rules.userClaimJsonPointer ? getClaim(claims, rules.userClaim) : claims[rules.userClaim];
  if (rawUser === undefined || rawUser === null) {
    throw new Error(`claim ${JSON.stringify(rules.userClaim)} not found in token`);
  }
  if (typeof rawUser !== 'string') {
    throw new Error(`claim ${JSON.stringify(rules.userClaim)} could not be converted to string`);
  }

  const metadata: Record<string, string> = {};
  for (const [source, target] of Object.entries(rules.claimMappings)) {
    const value = getClaim(claims, source);
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new Error(`error converting claim '${source}' to string`);
    }
    metadata[target] = String(value);
  }

  const groups: string[] = [];
  if (rules.groupsClaim !== '') {
    const rawGroups = getClaim(claims, rules.groupsClaim);
    if (rawGroups === undefined || rawGroups === null) {
      throw new Error(`failed to fetch groups: ${JSON.stringify(rules.groupsClaim)} claim not found in token`);
    }
    const list = normalizeList(rawGroups);
    if (!list) throw new Error(`${JSON.stringify(rules.groupsClaim)} claim could not be converted to string list`);
    for (const group of list) {
      if (typeof group !== 'string')
        throw new Error(`value ${display(group)} in groups claim could not be parsed as string`);
      if (group !== '') groups.push(group);
    }
  }
  return { name: rawUser, metadata, groups };
}
