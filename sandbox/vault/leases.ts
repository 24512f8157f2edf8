// The lease manager: leases owned by the token that created them, TTLs capped by the
// backend's and the mount's max, real-time expiry that calls the owning backend's revoke
// callback, and revocation by id, by prefix and by token.
import type { Backend, LeasedSecret } from './backend';
import { badRequest } from './errors';
import { base62 } from './ids';
import type { Scheduler } from './scheduler';
import { calculateTtl, type TtlResult } from './tokens';

const MAX_REVOKE_ATTEMPTS = 6;

export interface Lease {
  id: string;
  namespace: string;
  mountPath: string;
  tokenId: string;
  issueTime: number; // epoch ms
  expireAt: number; // epoch ms
  lastRenewal: number | undefined;
  renewable: boolean;
  /** TTL the backend asked for (seconds), the base of renewals without increment. */
  backendTtl: number;
  backendMaxTtl: number;
  mountDefaultTtl: number;
  mountMaxTtl: number;
  internal: Record<string, unknown>;
}

export interface CreateLeaseParams {
  namespace: string;
  mountPath: string;
  /** Request path relative to the mount ("creds/readonly"). */
  path: string;
  tokenId: string;
  secret: LeasedSecret;
  mountDefaultTtl: number;
  mountMaxTtl: number;
}

export interface LeaseManager {
  create(p: CreateLeaseParams): { lease: Lease; ttl: number; warnings: string[] };
  lookup(id: string): Lease | undefined;
  renew(id: string, increment: number): Promise<TtlResult & { lease: Lease }>;
  revoke(id: string): Promise<void>;
  revokePrefix(namespace: string, prefix: string): Promise<void>;
  revokeByToken(tokenId: string): Promise<void>;
  /** Ids of live leases under a prefix (sys/leases/lookup list). */
  list(namespace: string, prefix: string): string[];
  ttlLeft(lease: Lease): number;
  clear(): void;
}

export function createLeaseManager(opts: {
  scheduler: Scheduler;
  /** The backend owning a mount, to call its revoke/renew callbacks. */
  backendFor: (namespace: string, mountPath: string) => Backend | undefined;
  /** Reports a revocation that failed (never with secret values). */
  onError: (leaseId: string, error: unknown) => void;
}): LeaseManager {
  const leases = new Map<string, Lease>();
  const byToken = new Map<string, Set<string>>();

  const key = (id: string): string => `lease:${id}`;

  /** Expiry revokes; a failed revocation is retried with backoff (1, 2, 4... s), as in Vault. */
  function schedule(lease: Lease, attempt = 0): void {
    const when = attempt === 0 ? lease.expireAt : Date.now() + 1000 * 2 ** (attempt - 1);
    opts.scheduler.at(key(lease.id), when, () => {
      void manager.revoke(lease.id).catch((e: unknown) => {
        opts.onError(lease.id, e);
        if (attempt < MAX_REVOKE_ATTEMPTS && leases.has(lease.id)) schedule(lease, attempt + 1);
      });
    });
  }

  function forget(lease: Lease): void {
    leases.delete(lease.id);
    opts.scheduler.cancel(key(lease.id));
    byToken.get(lease.tokenId)?.delete(lease.id);
  }

  const manager: LeaseManager = {
    create(p) {
      const now = Date.now();
      const { ttl, warnings } = calculateTtl({
        increment: 0,
        backendTtl: p.secret.ttl,
        period: 0,
        backendMaxTtl: p.secret.maxTtl,
        explicitMaxTtl: 0,
        mountDefaultTtl: p.mountDefaultTtl,
        mountMaxTtl: p.mountMaxTtl,
        startMs: now,
        nowMs: now,
      });
      const lease: Lease = {
        id: `${p.mountPath}${p.path.replace(/\/+$/, '')}/${base62(24)}`,
        namespace: p.namespace,
        mountPath: p.mountPath,
        tokenId: p.tokenId,
        issueTime: now,
        expireAt: now + ttl * 1000,
        lastRenewal: undefined,
        renewable: p.secret.renewable,
        backendTtl: p.secret.ttl,
        backendMaxTtl: p.secret.maxTtl,
        mountDefaultTtl: p.mountDefaultTtl,
        mountMaxTtl: p.mountMaxTtl,
        internal: p.secret.internal,
      };
      leases.set(lease.id, lease);
      const owned = byToken.get(p.tokenId) ?? new Set<string>();
      owned.add(lease.id);
      byToken.set(p.tokenId, owned);
      schedule(lease);
      return { lease, ttl, warnings };
    },
    lookup(id) {
      const lease = leases.get(id);
      if (!lease || lease.expireAt <= Date.now()) return undefined;
      return lease;
    },
    async renew(id, increment) {
      const lease = manager.lookup(id);
      if (!lease) throw badRequest('lease not found');
      if (!lease.renewable) throw badRequest('lease is not renewable');
      const now = Date.now();
      const result = calculateTtl({
        increment,
        backendTtl: lease.backendTtl,
        period: 0,
        backendMaxTtl: lease.backendMaxTtl,
        explicitMaxTtl: 0,
        mountDefaultTtl: lease.mountDefaultTtl,
        mountMaxTtl: lease.mountMaxTtl,
        startMs: lease.issueTime,
        nowMs: now,
      });
      const backend = opts.backendFor(lease.namespace, lease.mountPath);
      await backend?.renewLease?.({ increment: result.ttl, internal: lease.internal });
      lease.expireAt = now + result.ttl * 1000;
      lease.lastRenewal = now;
      schedule(lease);
      return { ...result, lease };
    },
    async revoke(id) {
      const lease = leases.get(id);
      if (!lease) return;
      const backend = opts.backendFor(lease.namespace, lease.mountPath);
      // The backend undoes the secret first; only then is the lease gone, as in Vault.
      await backend?.revokeLease?.({ id, ttl: 0, internal: lease.internal });
      forget(lease);
    },
    async revokePrefix(namespace, prefix) {
      const ids = manager.list(namespace, prefix);
      await Promise.all(ids.map((id) => manager.revoke(id)));
    },
    async revokeByToken(tokenId) {
      const ids = [...(byToken.get(tokenId) ?? [])];
      byToken.delete(tokenId);
      const results = await Promise.allSettled(ids.map((id) => manager.revoke(id)));
      results.forEach((r, i) => {
        if (r.status === 'rejected') opts.onError(ids[i] as string, r.reason);
      });
    },
    list(namespace, prefix) {
      return [...leases.values()].filter((l) => l.namespace === namespace && l.id.startsWith(prefix)).map((l) => l.id);
    },
    ttlLeft(lease) {
      return Math.max(0, Math.round((lease.expireAt - Date.now()) / 1000));
    },
    clear() {
      leases.clear();
      byToken.clear();
    },
  };
  return manager;
}
