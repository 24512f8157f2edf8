// What the lease registry holds: metadata about tokens, leases and cached secrets — paths, ids,
// times, counters. Never a token or a secret value: this is what the UI may show.

export type LeaseKind = 'session-token' | 'child-token' | 'lease' | 'kv-secret';
export type LeaseState = 'active' | 'renewing' | 'expired' | 'revoked' | 'evicted';
export type EndState = 'expired' | 'revoked' | 'evicted';

/** Who brought the entry in: the session itself, the caching proxy, or a brokered connection. */
export type LeaseOrigin = { type: 'session' } | { type: 'proxy' } | { type: 'connection'; name: string };

export interface LeaseRecord {
  /** Registry id: `token:<accessor>`, `lease:<lease id>` or `kv:<namespace>|<path>`. */
  id: string;
  kind: LeaseKind;
  /** Vault path the entry came from (`database/creds/ro`, `auth/token/create`). */
  path: string;
  namespace?: string;
  leaseId?: string;
  accessor?: string;
  issuedAt: Date;
  expiresAt?: Date;
  /** Seconds left when this record was read. */
  ttl?: number;
  renewable: boolean;
  renewals: number;
  lastRenewedAt?: Date;
  lastError?: string;
  /** Requests answered from the cache with this entry. */
  hits: number;
  origin: LeaseOrigin;
  state: LeaseState;
  /** Registry id of the token this entry was created with; it ends with its parent. */
  parentId?: string;
  /** KV v2 version of a cached secret. */
  version?: number;
  endedAt?: Date;
  endReason?: string;
}

export interface NewLease {
  id: string;
  kind: LeaseKind;
  path: string;
  namespace?: string;
  leaseId?: string;
  accessor?: string;
  issuedAt?: Date;
  expiresAt?: Date;
  renewable: boolean;
  origin: LeaseOrigin;
  parentId?: string;
  version?: number;
}

export interface LeaseActions {
  /** Extend at Vault by `increment` seconds; resolves with what Vault granted. */
  renew?(increment: number): Promise<{ ttl: number; renewable: boolean }>;
  revoke?(): Promise<void>;
  /** The entry ended (for any reason): drop whatever local state hangs on it (a cache entry). */
  onEnd?(state: EndState, reason: string): void;
}

export interface TrackOptions {
  /** The registry renews it at ~2/3 of its TTL until Vault stops extending it. */
  autoRenew?: boolean;
  /** Seconds asked for at each renewal (default: the TTL it was tracked with). */
  increment?: number;
  /** End it this long before Vault's expiry, so nothing is served that is about to die. */
  expireEarlyMs?: number;
}

export interface LeasePatch {
  expiresAt?: Date | null;
  renewable?: boolean;
  version?: number;
  lastError?: string | null;
  renewals?: number;
  lastRenewedAt?: Date;
  state?: 'active' | 'renewing';
  /** null detaches it from its parent (its parent was revoked as an orphan-maker). */
  parentId?: string | null;
}

export interface LeaseChange {
  type: 'added' | 'updated' | 'ended' | 'removed';
  lease: LeaseRecord;
}

export interface LeaseRegistry {
  track(lease: NewLease, actions?: LeaseActions, options?: TrackOptions): LeaseRecord;
  update(id: string, patch: LeasePatch): void;
  /** Count a cache hit (change events for hits are coalesced). */
  recordHit(id: string): void;
  get(id: string): LeaseRecord | undefined;
  /** Live entries first, then recently ended ones (kept a while so the UI can show why). */
  list(): LeaseRecord[];
  has(id: string): boolean;
  renew(id: string): Promise<LeaseRecord>;
  revoke(id: string): Promise<void>;
  /** Forget it locally (drop the cache entry); nothing is revoked at Vault. */
  evict(id: string, reason?: string): void;
  /** End an entry (and, by cascade, everything created with it). */
  end(id: string, state: EndState, reason: string): void;
  onChange(listener: (change: LeaseChange) => void): () => void;
  close(): void;
}
