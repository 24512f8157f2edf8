// Revocations that went through the proxy and succeeded (204): end what they revoked in the
// registry, which evicts the cached answers and cascades to everything created with them.
// Paths may carry a namespace prefix (`team-a/auth/token/revoke-self`).
import type { LeaseRegistry } from '../leases';
import type { CacheIndex } from './cache-index';
import type { AutoAuthSource } from './auto-auth';
import type { ProxyRequest } from './request';
import type { StaticSecretCache } from './static-secrets';

export interface RevocationContext {
  registry: LeaseRegistry;
  index: CacheIndex;
  autoAuth?: AutoAuthSource;
  staticSecrets?: StaticSecretCache;
}

type Kind = 'self' | 'token' | 'accessor' | 'orphan' | 'lease' | 'lease-in-path' | 'prefix';

/** Longest first, so `revoke-self` is not read as `revoke`. Trailing '/' takes a path parameter. */
const PATHS: Array<[string, Kind]> = [
  ['auth/token/revoke-self', 'self'],
  ['auth/token/revoke-accessor', 'accessor'],
  ['auth/token/revoke-orphan', 'orphan'],
  ['auth/token/revoke', 'token'],
  ['sys/leases/revoke-prefix/', 'prefix'],
  ['sys/leases/revoke-force/', 'prefix'],
  ['sys/leases/revoke/', 'lease-in-path'],
  ['sys/leases/revoke', 'lease'],
  ['sys/revoke-prefix/', 'prefix'],
  ['sys/revoke-force/', 'prefix'],
  ['sys/revoke/', 'lease-in-path'],
];

export function matchRevocation(path: string): { kind: Kind; rest: string } | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  for (const [pattern, kind] of PATHS) {
    const at = decoded.indexOf(pattern);
    if (at === -1 || (at > 0 && decoded[at - 1] !== '/')) continue;
    const rest = decoded.slice(at + pattern.length);
    if (!pattern.endsWith('/') && rest !== '') continue;
    return { kind, rest };
  }
  return undefined;
}

const REASON = 'revoked through the proxy';

export async function handleRevocation(req: ProxyRequest, ctx: RevocationContext): Promise<void> {
  const match = matchRevocation(req.path);
  if (!match) return;
  const { registry, index } = ctx;
  const field = (name: string) => (typeof req.json?.[name] === 'string' ? (req.json[name] as string) : '');

  const tokenEntry = async (token: string) => {
    if (!token) return undefined;
    if (ctx.autoAuth && token === (await ctx.autoAuth.current())) return ctx.autoAuth.entryId();
    return index.byToken(token)?.id;
  };
  const endToken = async (token: string, orphan: boolean) => {
    ctx.staticSecrets?.forgetToken(token);
    const id = await tokenEntry(token);
    if (!id) return;
    if (orphan) {
      // revoke-orphan: the token and its leases go; its child tokens live on, parentless.
      for (const child of registry.list()) {
        if (child.parentId === id && !child.endedAt && child.kind !== 'lease')
          registry.update(child.id, { parentId: null });
      }
    }
    registry.end(id, 'revoked', REASON);
  };

  switch (match.kind) {
    case 'self':
      return endToken(req.token, false);
    case 'token':
      return endToken(field('token'), false);
    case 'orphan':
      return endToken(field('token'), true);
    case 'accessor': {
      const accessor = field('accessor');
      if (!accessor) return;
      const entry = index.byAccessor(accessor);
      if (entry?.token) ctx.staticSecrets?.forgetToken(entry.token);
      registry.end(`token:${accessor}`, 'revoked', REASON);
      return;
    }
    case 'lease':
      return void (field('lease_id') && registry.end(`lease:${field('lease_id')}`, 'revoked', REASON));
    case 'lease-in-path':
      return void (match.rest && registry.end(`lease:${match.rest}`, 'revoked', REASON));
    case 'prefix':
      for (const entry of index.byLeasePrefix(match.rest)) registry.end(entry.id, 'revoked', REASON);
      return;
  }
}
