// POST /agent/v1/cache-clear {type, value, namespace?} (Vault Agent; /proxy/v1/cache-clear on
// Vault Proxy): evict by request path prefix, token, token accessor, lease, or everything.
// Evicting a token evicts every lease and child token derived from it. Nothing is revoked.
import type { LeaseRegistry } from '../leases';
import type { CacheIndex } from './cache-index';
import { badRequest } from './errors';
import type { AutoAuthSource } from './auto-auth';
import { canonicalNamespace } from './request';

export type CacheClearType = 'request_path' | 'lease' | 'token' | 'token_accessor' | 'all';

export interface CacheClearRequest {
  type: CacheClearType;
  value?: string;
  namespace?: string;
}

const TYPES: readonly CacheClearType[] = ['request_path', 'lease', 'token', 'token_accessor', 'all'];

/** Validate a cache-clear body; errors use Vault Agent's wording, as 400s. */
export function parseCacheClear(json: Record<string, unknown> | undefined): CacheClearRequest {
  if (!json) throw badRequest('failed to parse JSON input: empty JSON provided');
  const { type, value, namespace } = json;
  for (const [name, v] of Object.entries({ type, value, namespace })) {
    if (v !== undefined && typeof v !== 'string')
      throw badRequest(`failed to parse JSON input: "${name}" must be a string`);
  }
  if (!type) throw badRequest('failed to parse clear input: no type provided');
  if (!TYPES.includes(type as CacheClearType))
    throw badRequest(
      `failed to clear cache: invalid type provided: "${type as string}" (expected one of ${TYPES.join(', ')})`,
    );
  if (type !== 'all' && !value) {
    const what = { request_path: 'request path', lease: 'lease', token: 'token', token_accessor: 'token accessor' }[
      type as Exclude<CacheClearType, 'all'>
    ];
    throw badRequest(`failed to clear cache: ${what} not provided`);
  }
  return {
    type: type as CacheClearType,
    ...(value ? { value: value as string } : {}),
    ...(namespace ? { namespace: namespace as string } : {}),
  };
}

export interface CacheClearContext {
  registry: LeaseRegistry;
  index: CacheIndex;
  autoAuth?: AutoAuthSource;
}

const REASON = 'cleared through cache-clear';

/** Returns how many cached entries were evicted directly (cascades not counted). */
export async function clearCache(request: CacheClearRequest, ctx: CacheClearContext): Promise<number> {
  const { registry, index } = ctx;
  const evict = (id: string) => {
    if (registry.has(id)) registry.end(id, 'evicted', REASON);
    else index.remove(id);
  };
  // The session token itself is not a cache entry: clearing it evicts what was derived from it.
  const evictSessionChildren = () => {
    const sessionId = ctx.autoAuth?.entryId();
    const children = registry.list().filter((r) => r.parentId === sessionId && !r.endedAt);
    for (const child of children) registry.end(child.id, 'evicted', REASON);
    return children.length;
  };
  const value = request.value ?? '';
  switch (request.type) {
    case 'request_path': {
      const prefix = value.replace(/^\/+/, '').replace(/^v1\//, '');
      const entries = index.byPathPrefix(canonicalNamespace(request.namespace), prefix);
      for (const entry of entries) evict(entry.id);
      return entries.length;
    }
    case 'token': {
      if (ctx.autoAuth && value === (await ctx.autoAuth.current())) return evictSessionChildren();
      const entry = index.byToken(value);
      if (entry) evict(entry.id);
      return entry ? 1 : 0;
    }
    case 'token_accessor': {
      if (ctx.autoAuth && ctx.autoAuth.entryId() === `token:${value}`) return evictSessionChildren();
      const entry = index.byAccessor(value);
      if (entry) evict(entry.id);
      return entry ? 1 : 0;
    }
    case 'lease': {
      const entry = index.byLease(value);
      if (entry) evict(entry.id);
      return entry ? 1 : 0;
    }
    case 'all': {
      const entries = index.all();
      for (const entry of entries) evict(entry.id);
      return entries.length;
    }
  }
}
