// The lease registry as the UI may see it: tokens, leases and cached KV secrets, each named by
// an id that is safe to show (a lease id, a token accessor, a KV path and version) — never a
// token or a secret value. The host maps the broker's registry records onto these views.
import { z } from 'zod';

/** `token`: the session token or a child token; `lease`: a dynamic secret's lease; `kv`: a cached KV secret. */
export const LeaseViewKind = z.enum(['token', 'lease', 'kv']);
export type LeaseViewKind = z.infer<typeof LeaseViewKind>;

/** active (TTL counting down) → renewing → expired / revoked / evicted. */
export const LeaseViewState = z.enum(['active', 'renewing', 'expired', 'revoked', 'evicted']);
export type LeaseViewState = z.infer<typeof LeaseViewState>;

/** The states after which an entry no longer holds anything; the host keeps them listed a while. */
export const ENDED_LEASE_STATES: readonly LeaseViewState[] = ['expired', 'revoked', 'evicted'];

/** Who brought the entry in: the caching proxy, the session itself, or a brokered connection. */
export const LeaseViewOrigin = z.union([
  z.literal('proxy'),
  z.literal('session'),
  z.string().regex(/^connection:.+$/, { message: "expected 'proxy', 'session' or 'connection:<name>'" }),
]);
export type LeaseViewOrigin = z.infer<typeof LeaseViewOrigin>;

const isoTime = z.string().min(1).max(64);
const count = z.number().int().nonnegative();

export const LeaseView = z.object({
  kind: LeaseViewKind,
  /** The registry's id for the entry: a lease id, a token accessor, or a KV path + version. Never a token or a value. */
  id: z.string().min(1).max(1024),
  /** The Vault path the entry came from (`database/creds/orders-ro`, `auth/token/create`, `secret/data/app`). */
  path: z.string().max(1024),
  /** ISO time the entry was issued (or cached). */
  issuedAt: isoTime,
  /** ISO time it expires; absent when it does not (KV v2 without a TTL, root tokens). */
  expiresAt: isoTime.optional(),
  /** Seconds left when the host made this view; the UI counts down from it. */
  ttlSeconds: z.number().nonnegative().optional(),
  renewable: z.boolean(),
  renewals: count,
  /** Requests answered from the cache with this entry. */
  hits: count,
  origin: LeaseViewOrigin,
  state: LeaseViewState,
  /** Plain words about the last failed renewal or revocation (no secret values). */
  lastError: z.string().max(2048).optional(),
});
export type LeaseView = z.infer<typeof LeaseView>;

export const LeaseRemoved = z.object({ id: z.string() });
export type LeaseRemoved = z.infer<typeof LeaseRemoved>;

/** Input of `leases.renew`, `leases.revoke` and `leases.evict`. */
export const LeaseIdInput = z.object({ id: z.string().min(1).max(1024) }).strict();
export type LeaseIdInput = z.infer<typeof LeaseIdInput>;

/** Output of `leases.clear`: how many entries were evicted from the cache. */
export const LeasesCleared = z.object({ evicted: count });
export type LeasesCleared = z.infer<typeof LeasesCleared>;
