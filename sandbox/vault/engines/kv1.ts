// KV version 1 (and the storage shape shared with cubbyhole): one JSON object per path,
// LIST of the direct children, reads carrying the `ttl` refresh hint as lease_duration.
import type { BackendRequest, BackendResponse } from '../backend';
import { parseDurationField } from '../duration';
import { badRequest, notFound, unsupportedOperation, unsupportedPath } from '../errors';
import { SYSTEM_MAX_TTL } from '../tokens';

/** Direct children of `prefix` among `keys`: leaf names and "dir/" entries, sorted. */
export function listChildren(keys: Iterable<string>, prefix: string): string[] {
  const out = new Set<string>();
  for (const key of keys) {
    if (!key.startsWith(prefix) || key === prefix) continue;
    const tail = key.slice(prefix.length);
    const slash = tail.indexOf('/');
    out.add(slash >= 0 ? tail.slice(0, slash + 1) : tail);
  }
  return [...out].sort();
}

export function handleKv1(
  store: Map<string, Record<string, unknown>>,
  req: BackendRequest,
  /** The mount's default TTL, or null where reads carry no refresh hint (cubbyhole). */
  defaultTtl: (() => number) | null,
): BackendResponse | undefined {
  const path = req.path;
  switch (req.operation) {
    case 'read': {
      if (path === '') throw unsupportedPath();
      const data = store.get(path);
      if (!data) throw notFound();
      if (!defaultTtl) return { data: { ...data } };
      let leaseDuration = defaultTtl() || SYSTEM_MAX_TTL;
      if (data.ttl !== undefined) {
        try {
          leaseDuration = parseDurationField(data.ttl, 'ttl');
        } catch {
          // A ttl that is not a duration is just data, as in Vault.
        }
      }
      return { data: { ...data }, leaseDuration };
    }
    case 'list': {
      const keys = listChildren(store.keys(), path);
      if (keys.length === 0) throw notFound();
      return { data: { keys } };
    }
    case 'create':
    case 'update': {
      if (path === '' || path.endsWith('/')) throw badRequest("cannot write to a path ending in '/'");
      if (Object.keys(req.body).length === 0) throw badRequest('missing data fields');
      if (req.body.ttl !== undefined) parseDurationField(req.body.ttl, 'ttl');
      store.set(path, { ...req.body });
      return undefined;
    }
    case 'delete':
      store.delete(path);
      return undefined;
    default:
      throw unsupportedOperation();
  }
}
