// The cache's index (Vault Agent's cachememdb): cached answers by request key, with lookups by
// the token, accessor and lease they carry, and by request path prefix. It only stores and
// finds; deciding what to cache and when to evict is the lease cache's job.

export interface CachedResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** When Vault produced this answer (ms): the `Age` header counts from here. */
  cachedAt: number;
}

export interface CacheEntry {
  /** The lease registry id of what this answer carries: `token:…`, `lease:…`, `kv:…`. */
  id: string;
  kind: 'token' | 'lease' | 'static';
  /** Request key: a hash of method, path, query, namespace, body and token; for static secrets the namespace and path. */
  key: string;
  namespace: string;
  /** Path after /v1/, no query. */
  requestPath: string;
  method: string;
  /** The token the request was made with ('' for none). */
  requestToken: string;
  /** For a token-creating answer: the new token and its accessor. */
  token?: string;
  accessor?: string;
  leaseId?: string;
  response: CachedResponse;
  /** Static secrets: tokens that have shown they may read it → when they last did. */
  allowed?: Map<string, number>;
  /** Static secrets: KV v2 version, and a hash of the data to notice KV v1 changes. */
  version?: number;
  contentHash?: string;
}

export interface CacheIndex {
  readonly size: number;
  set(entry: CacheEntry): void;
  get(id: string): CacheEntry | undefined;
  byKey(key: string): CacheEntry | undefined;
  byToken(token: string): CacheEntry | undefined;
  byAccessor(accessor: string): CacheEntry | undefined;
  byLease(leaseId: string): CacheEntry | undefined;
  /** Entries in `namespace` whose request path starts with `prefix`. */
  byPathPrefix(namespace: string, prefix: string): CacheEntry[];
  /** Lease entries whose lease id starts with `prefix`. */
  byLeasePrefix(prefix: string): CacheEntry[];
  all(): CacheEntry[];
  remove(id: string): CacheEntry | undefined;
  clear(): void;
}

export function createCacheIndex(): CacheIndex {
  const byId = new Map<string, CacheEntry>();
  const keys = new Map<string, CacheEntry>();
  const tokens = new Map<string, CacheEntry>();
  const accessors = new Map<string, CacheEntry>();
  const leases = new Map<string, CacheEntry>();

  const remove = (id: string) => {
    const entry = byId.get(id);
    if (!entry) return undefined;
    byId.delete(id);
    if (keys.get(entry.key) === entry) keys.delete(entry.key);
    if (entry.token && tokens.get(entry.token) === entry) tokens.delete(entry.token);
    if (entry.accessor && accessors.get(entry.accessor) === entry) accessors.delete(entry.accessor);
    if (entry.leaseId && leases.get(entry.leaseId) === entry) leases.delete(entry.leaseId);
    return entry;
  };

  return {
    get size() {
      return byId.size;
    },
    set(entry) {
      remove(entry.id);
      byId.set(entry.id, entry);
      keys.set(entry.key, entry);
      if (entry.token) tokens.set(entry.token, entry);
      if (entry.accessor) accessors.set(entry.accessor, entry);
      if (entry.leaseId) leases.set(entry.leaseId, entry);
    },
    get: (id) => byId.get(id),
    byKey: (key) => keys.get(key),
    byToken: (token) => tokens.get(token),
    byAccessor: (accessor) => accessors.get(accessor),
    byLease: (leaseId) => leases.get(leaseId),
    byPathPrefix: (namespace, prefix) =>
      [...byId.values()].filter((e) => e.namespace === namespace && e.requestPath.startsWith(prefix)),
    byLeasePrefix: (prefix) => [...leases.values()].filter((e) => e.leaseId!.startsWith(prefix)),
    all: () => [...byId.values()],
    remove,
    clear() {
      byId.clear();
      keys.clear();
      tokens.clear();
      accessors.clear();
      leases.clear();
    },
  };
}
