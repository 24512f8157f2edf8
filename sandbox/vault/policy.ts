// ACL policies as Vault evaluates them: rules from HCL or JSON, rules for the same path merged
// across a token's policies (deny overrides), then the single most specific matching rule
// decides (Vault's priority matching for `*` globs and `+` segments).
import { badRequest } from './errors';
import { HclError, parseHcl, type HclObject } from './hcl';

export const CAPABILITIES = [
  'create',
  'read',
  'update',
  'delete',
  'list',
  'sudo',
  'deny',
  'patch',
  'subscribe',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

export interface Rule {
  path: string;
  capabilities: Set<Capability>;
}

export interface Policy {
  name: string;
  text: string;
  rules: Rule[];
}

const LEGACY: Record<string, Capability[]> = {
  deny: ['deny'],
  read: ['read', 'list'],
  write: ['create', 'read', 'update', 'delete', 'list'],
  sudo: ['create', 'read', 'update', 'delete', 'list', 'sudo'],
};

/** Parses a policy document; throws Vault's 400 `failed to parse policy: ...` on bad input. */
export function parsePolicy(name: string, text: string): Policy {
  let doc: HclObject;
  try {
    const trimmed = text.trim();
    doc = trimmed.startsWith('{') ? (JSON.parse(trimmed) as HclObject) : parseHcl(text);
  } catch (e) {
    const why = e instanceof HclError || e instanceof SyntaxError ? e.message : 'invalid policy';
    throw badRequest(`failed to parse policy: ${why}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw badRequest('failed to parse policy: policy must be an object');
  }
  for (const key of Object.keys(doc)) {
    if (key !== 'path' && key !== 'name') throw badRequest(`failed to parse policy: invalid key "${key}"`);
  }
  const rules: Rule[] = [];
  const paths = doc.path ?? {};
  if (typeof paths !== 'object' || Array.isArray(paths))
    throw badRequest('failed to parse policy: "path" must be an object');
  for (const [path, raw] of Object.entries(paths)) {
    for (const block of Array.isArray(raw) ? raw : [raw]) {
      rules.push(parseRule(path, block));
    }
  }
  return { name, text, rules };
}

function parseRule(path: string, block: unknown): Rule {
  const where = `path ${JSON.stringify(path)}`;
  if (typeof block !== 'object' || block === null || Array.isArray(block)) {
    throw badRequest(`failed to parse policy: ${where}: expected an object`);
  }
  const b = block as Record<string, unknown>;
  const caps = new Set<Capability>();
  if (b.policy !== undefined) {
    const legacy = typeof b.policy === 'string' ? LEGACY[b.policy] : undefined;
    if (!legacy) throw badRequest(`failed to parse policy: ${where}: invalid policy ${JSON.stringify(b.policy)}`);
    legacy.forEach((c) => caps.add(c));
  }
  if (b.capabilities !== undefined) {
    if (!Array.isArray(b.capabilities))
      throw badRequest(`failed to parse policy: ${where}: capabilities must be a list`);
    for (const c of b.capabilities) {
      if (typeof c !== 'string' || !(CAPABILITIES as readonly string[]).includes(c)) {
        throw badRequest(`failed to parse policy: ${where}: invalid capability ${JSON.stringify(c)}`);
      }
      caps.add(c as Capability);
    }
  }
  const known = new Set([
    'policy',
    'capabilities',
    'allowed_parameters',
    'denied_parameters',
    'required_parameters',
    'min_wrapping_ttl',
    'max_wrapping_ttl',
  ]);
  for (const key of Object.keys(b)) {
    if (!known.has(key)) throw badRequest(`failed to parse policy: ${where}: invalid key "${key}"`);
  }
  return { path: path.replace(/^\//, ''), capabilities: caps };
}

interface Compiled {
  path: string;
  glob: boolean;
  segments: string[] | null; // set when the pattern has '+'
  caps: Set<Capability>;
}

export interface Acl {
  /** True for the root policy. */
  readonly root: boolean;
  /** The capabilities on `path` (`['root']` for root, `['deny']` when nothing matches). */
  capabilities(path: string): string[];
  allows(path: string, capability: Capability): boolean;
}

/** Builds the ACL of a set of policies. */
export function createAcl(policies: Policy[]): Acl {
  const root = policies.some((p) => p.name === 'root');
  const merged = new Map<string, Set<Capability>>();
  for (const policy of policies) {
    for (const rule of policy.rules) {
      const existing = merged.get(rule.path);
      if (!existing) merged.set(rule.path, new Set(rule.capabilities));
      else rule.capabilities.forEach((c) => existing.add(c));
    }
  }
  const rules: Compiled[] = [...merged].map(([path, caps]) => {
    const glob = path.endsWith('*');
    const body = glob ? path.slice(0, -1) : path;
    return {
      path,
      glob,
      segments: body.includes('+') ? body.split('/') : null,
      caps: caps.has('deny') ? new Set<Capability>(['deny']) : caps,
    };
  });

  function match(path: string): Compiled | undefined {
    let best: Compiled | undefined;
    for (const r of rules) {
      if (!matches(r, path)) continue;
      if (!best || higherPriority(r.path, best.path)) best = r;
    }
    return best;
  }

  return {
    root,
    capabilities(path) {
      if (root) return ['root'];
      const r = match(path);
      if (!r || r.caps.size === 0) return ['deny'];
      return [...r.caps].sort();
    },
    allows(path, capability) {
      if (root) return true;
      const r = match(path);
      return !!r && !r.caps.has('deny') && r.caps.has(capability);
    },
  };
}

function matches(r: Compiled, path: string): boolean {
  const body = r.glob ? r.path.slice(0, -1) : r.path;
  if (!r.segments) return r.glob ? path.startsWith(body) : path === body;
  const parts = path.split('/');
  const segs = r.segments;
  if (!r.glob && parts.length !== segs.length) return false;
  if (parts.length < segs.length) return false;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i] as string;
    const part = parts[i] as string;
    const last = i === segs.length - 1;
    if (seg === '+') {
      if (last && r.glob) return true; // "a/+*": the segment and anything after it
      continue;
    }
    if (last && r.glob) return part.startsWith(seg);
    if (seg !== part) return false;
  }
  return true;
}

/** Vault's priority matching: is pattern `a` more specific than `b`? */
export function higherPriority(a: string, b: string): boolean {
  const firstWild = (p: string): number => {
    const i = p.search(/[+*]/);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  if (firstWild(a) !== firstWild(b)) return firstWild(a) > firstWild(b);
  const aGlob = a.endsWith('*');
  const bGlob = b.endsWith('*');
  if (aGlob !== bGlob) return !aGlob;
  const plus = (p: string): number => p.split('/').filter((s) => s === '+').length;
  if (plus(a) !== plus(b)) return plus(a) < plus(b);
  if (a.length !== b.length) return a.length > b.length;
  return a > b;
}

export const DEFAULT_POLICY = `# Allow tokens to look up their own properties
path "auth/token/lookup-self" {
    capabilities = ["read"]
}

# Allow tokens to renew themselves
path "auth/token/renew-self" {
    capabilities = ["update"]
}

# Allow tokens to revoke themselves
path "auth/token/revoke-self" {
    capabilities = ["update"]
}

# Allow a token to look up its own capabilities on a path
path "sys/capabilities-self" {
    capabilities = ["update"]
}

# Allow a token to look up its resultant ACL from all policies
path "sys/internal/ui/resultant-acl" {
    capabilities = ["read"]
}

# Allow a token to renew a lease via lease_id in the request body
path "sys/renew" {
    capabilities = ["update"]
}
path "sys/leases/renew" {
    capabilities = ["update"]
}

# Allow looking up lease properties
path "sys/leases/lookup" {
    capabilities = ["update"]
}

# Allow a token to manage its own cubbyhole
path "cubbyhole/*" {
    capabilities = ["create", "read", "update", "delete", "list"]
}

# Allow a token to wrap arbitrary values in a response-wrapping token
path "sys/wrapping/wrap" {
    capabilities = ["update"]
}

# Allow a token to look up the creation time and TTL of a response-wrapping token
path "sys/wrapping/lookup" {
    capabilities = ["update"]
}

# Allow a token to unwrap a response-wrapping token
path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}

# Allow general purpose tools
path "sys/tools/hash" {
    capabilities = ["update"]
}
path "sys/tools/hash/*" {
    capabilities = ["update"]
}
`;

/** The internal policy of response-wrapping tokens. */
export const RESPONSE_WRAPPING_POLICY = `path "cubbyhole/response" {
    capabilities = ["create", "read"]
}
path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}
`;
