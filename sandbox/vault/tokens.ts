// The token store: service/batch tokens with accessors, parent/child links, TTLs enforced in
// real time, periodic tokens, use counts, and revocation that cascades to children and to the
// leases each token created (through the onRevoke hook the lease manager installs).
import { badRequest } from './errors';
import { formatDuration } from './duration';
import { newAccessor, newBatchToken, newServiceToken } from './ids';
import type { Scheduler } from './scheduler';

/** Vault's system default and max lease TTL (768h). */
export const SYSTEM_MAX_TTL = 768 * 3600;

export interface TokenEntry {
  id: string;
  accessor: string;
  type: 'service' | 'batch';
  parent: string | undefined;
  children: Set<string>;
  policies: string[];
  meta: Record<string, string> | null;
  displayName: string;
  /** "auth/token/create", "auth/userpass/login/alice"... */
  path: string;
  namespace: string;
  creationTime: number; // epoch ms
  /** TTL given at creation (seconds), the base of renewals; 0 = never expires. */
  creationTtl: number;
  expireAt: number; // epoch ms; 0 = never
  explicitMaxTtl: number;
  /** The backend/role max TTL at creation (seconds, 0 = mount/system). */
  backendMaxTtl: number;
  /** The auth mount's max TTL (seconds). */
  mountMaxTtl: number;
  period: number;
  numUses: number;
  renewable: boolean;
  orphan: boolean;
  lastRenewal: number | undefined; // epoch ms
  /** The auth mount that minted it (for renewLogin), e.g. "auth/userpass/". */
  authMount: string;
  internal: Record<string, unknown>;
  /** Wrapping tokens carry the wrapped response. */
  wrapped?: WrappedResponse;
}

export interface WrappedResponse {
  body: Record<string, unknown>;
  creationPath: string;
  ttl: number;
}

export interface CreateTokenParams {
  parent?: TokenEntry;
  policies: string[];
  meta?: Record<string, string> | null;
  displayName: string;
  path: string;
  namespace: string;
  ttl: number;
  explicitMaxTtl?: number;
  backendMaxTtl?: number;
  mountDefaultTtl?: number;
  mountMaxTtl?: number;
  period?: number;
  numUses?: number;
  renewable?: boolean;
  type?: 'service' | 'batch';
  id?: string;
  authMount?: string;
  internal?: Record<string, unknown>;
  wrapped?: WrappedResponse;
}

export interface TtlResult {
  ttl: number;
  warnings: string[];
}

/**
 * Vault's framework.CalculateTTL: the TTL granted for a create or renewal, capped by the
 * explicit max, the backend max and the mount/system max counted from `startMs`.
 */
export function calculateTtl(opts: {
  increment: number;
  backendTtl: number;
  period: number;
  backendMaxTtl: number;
  explicitMaxTtl: number;
  mountDefaultTtl: number;
  mountMaxTtl: number;
  startMs: number;
  nowMs: number;
}): TtlResult {
  const warnings: string[] = [];
  let maxTtl = opts.mountMaxTtl > 0 ? opts.mountMaxTtl : SYSTEM_MAX_TTL;
  if (opts.backendMaxTtl > 0 && opts.backendMaxTtl < maxTtl) maxTtl = opts.backendMaxTtl;
  if (opts.explicitMaxTtl > 0 && opts.explicitMaxTtl < maxTtl) maxTtl = opts.explicitMaxTtl;
  const nowS = Math.floor(opts.nowMs / 1000);
  const startS = Math.floor(opts.startMs / 1000);
  let ttl: number;
  let maxValid: number | undefined;
  if (opts.period > 0) {
    let period = opts.period;
    if (period > maxTtl) {
      warnings.push(
        `period of ${JSON.stringify(formatDuration(period))} exceeded the effective max_ttl of ${JSON.stringify(formatDuration(maxTtl))}; period value is capped accordingly`,
      );
      period = maxTtl;
    }
    ttl = period;
    if (opts.explicitMaxTtl > 0) maxValid = startS + opts.explicitMaxTtl;
  } else {
    ttl =
      opts.increment > 0
        ? opts.increment
        : opts.backendTtl > 0
          ? opts.backendTtl
          : opts.mountDefaultTtl > 0
            ? opts.mountDefaultTtl
            : SYSTEM_MAX_TTL;
    maxValid = startS + maxTtl;
  }
  if (maxValid !== undefined) {
    const left = maxValid - nowS;
    if (left <= 0) throw badRequest('past the max TTL, cannot renew');
    if (left < ttl) {
      warnings.push(
        `TTL of ${JSON.stringify(formatDuration(ttl))} exceeded the effective max_ttl of ${JSON.stringify(formatDuration(left))}; TTL value is capped accordingly`,
      );
      ttl = left;
    }
  }
  return { ttl, warnings };
}

export interface TokenStore {
  create(params: CreateTokenParams): { entry: TokenEntry; warnings: string[] };
  /**
   * A live token by id (undefined when unknown, expired or revoked). `inFlight` also finds a
   * token whose last use is the request being answered right now.
   */
  lookup(id: string, inFlight?: boolean): TokenEntry | undefined;
  byAccessor(accessor: string): TokenEntry | undefined;
  /** Revokes the token, its children (recursively) and their leases. */
  revoke(id: string): Promise<void>;
  /** Revokes the token and its leases; its children become orphans. */
  revokeOrphan(id: string): Promise<void>;
  /** Extends the token's TTL; throws 400 when it cannot be renewed. */
  renew(entry: TokenEntry, increment: number): TtlResult;
  /** Counts one use; true when that was the last one (revoke after answering). */
  use(entry: TokenEntry): boolean;
  /** Seconds left (0 for non-expiring). */
  ttlLeft(entry: TokenEntry): number;
  all(): TokenEntry[];
  clear(): void;
}

export function createTokenStore(opts: {
  scheduler: Scheduler;
  /** Revokes every lease the token created; installed by the lease manager. */
  onRevoke: (entry: TokenEntry) => Promise<void>;
}): TokenStore {
  const byId = new Map<string, TokenEntry>();
  const accessors = new Map<string, string>();

  function schedule(entry: TokenEntry): void {
    if (entry.expireAt > 0) {
      opts.scheduler.at(`token:${entry.accessor || entry.id}`, entry.expireAt, () => {
        void store.revoke(entry.id).catch(() => undefined);
      });
    }
  }

  async function revokeOne(entry: TokenEntry, cascade: boolean): Promise<void> {
    if (!byId.has(entry.id)) return;
    byId.delete(entry.id);
    accessors.delete(entry.accessor);
    opts.scheduler.cancel(`token:${entry.accessor || entry.id}`);
    const parent = entry.parent ? byId.get(entry.parent) : undefined;
    parent?.children.delete(entry.id);
    const children = [...entry.children];
    for (const childId of children) {
      const child = byId.get(childId);
      if (!child) continue;
      if (cascade) await revokeOne(child, true);
      else {
        child.parent = undefined;
        child.orphan = true;
      }
    }
    await opts.onRevoke(entry);
  }

  const store: TokenStore = {
    create(p) {
      const type = p.type ?? 'service';
      const root = p.policies.includes('root');
      const period = p.period ?? 0;
      const explicitMaxTtl = p.explicitMaxTtl ?? 0;
      const now = Date.now();
      let ttl = 0;
      let warnings: string[] = [];
      if (period > 0 || p.ttl > 0 || !root) {
        ({ ttl, warnings } = calculateTtl({
          increment: 0,
          backendTtl: p.ttl,
          period,
          backendMaxTtl: p.backendMaxTtl ?? 0,
          explicitMaxTtl,
          mountDefaultTtl: p.mountDefaultTtl ?? 0,
          mountMaxTtl: p.mountMaxTtl ?? 0,
          startMs: now,
          nowMs: now,
        }));
      }
      const id = p.id ?? (type === 'batch' ? newBatchToken() : newServiceToken());
      if (byId.has(id)) throw badRequest('cannot create a token with a duplicate ID');
      const entry: TokenEntry = {
        id,
        accessor: type === 'batch' ? '' : newAccessor(),
        type,
        parent: p.parent?.id,
        children: new Set(),
        policies: p.policies,
        meta: p.meta && Object.keys(p.meta).length > 0 ? p.meta : null,
        displayName: p.displayName,
        path: p.path,
        namespace: p.namespace,
        creationTime: now,
        creationTtl: ttl,
        expireAt: ttl > 0 ? now + ttl * 1000 : 0,
        explicitMaxTtl,
        backendMaxTtl: p.backendMaxTtl ?? 0,
        mountMaxTtl: p.mountMaxTtl ?? 0,
        period,
        numUses: p.numUses ?? 0,
        renewable: ttl > 0 && type === 'service' && (p.renewable ?? true),
        orphan: !p.parent,
        lastRenewal: undefined,
        authMount: p.authMount ?? 'auth/token/',
        internal: p.internal ?? {},
        ...(p.wrapped ? { wrapped: p.wrapped } : {}),
      };
      byId.set(id, entry);
      if (entry.accessor) accessors.set(entry.accessor, id);
      p.parent?.children.add(id);
      schedule(entry);
      return { entry, warnings };
    },
    lookup(id, inFlight = false) {
      const entry = byId.get(id);
      if (!entry || (entry.numUses < 0 && !inFlight)) return undefined;
      if (entry.expireAt > 0 && entry.expireAt <= Date.now()) {
        void store.revoke(id).catch(() => undefined);
        return undefined;
      }
      return entry;
    },
    byAccessor(accessor) {
      const id = accessors.get(accessor);
      return id === undefined ? undefined : store.lookup(id);
    },
    async revoke(id) {
      const entry = byId.get(id);
      if (entry) await revokeOne(entry, true);
    },
    async revokeOrphan(id) {
      const entry = byId.get(id);
      if (entry) await revokeOne(entry, false);
    },
    renew(entry, increment) {
      if (!entry.renewable || entry.expireAt === 0) throw badRequest('lease is not renewable');
      const now = Date.now();
      const result = calculateTtl({
        increment,
        backendTtl: entry.creationTtl,
        period: entry.period,
        backendMaxTtl: entry.backendMaxTtl,
        explicitMaxTtl: entry.explicitMaxTtl,
        mountDefaultTtl: 0,
        mountMaxTtl: entry.mountMaxTtl,
        startMs: entry.creationTime,
        nowMs: now,
      });
      entry.expireAt = now + result.ttl * 1000;
      entry.lastRenewal = now;
      schedule(entry);
      return result;
    },
    use(entry) {
      if (entry.numUses <= 0) return false;
      entry.numUses -= 1;
      if (entry.numUses === 0) {
        // A token with uses is "consumed": mark it unusable now, revoke after the answer.
        entry.numUses = -1;
        return true;
      }
      return false;
    },
    ttlLeft(entry) {
      return entry.expireAt === 0 ? 0 : Math.max(0, Math.round((entry.expireAt - Date.now()) / 1000));
    },
    all: () => [...byId.values()],
    clear() {
      byId.clear();
      accessors.clear();
    },
  };
  return store;
}
