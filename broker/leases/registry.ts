// The lease registry: the single list of the session token, child tokens, leases and cached KV
// secrets. Owners (the session, the caching proxy, connections) track entries with the actions
// that act on them at Vault; the registry keeps the times and counters, renews what asks to be
// renewed, ends entries at expiry, cascades an ending to everything created with the entry,
// and tells listeners about every change.
import { EventEmitter } from 'node:events';
import { backoffDelayMs, renewDelayMs, unrefTimer } from '../vault-session/timing';
import type { Logger } from '../log';
import type { EndState, LeaseActions, LeaseChange, LeaseRecord, LeaseRegistry, TrackOptions } from './types';

export interface LeaseRegistryOptions {
  log: Logger;
  /** How long an ended entry stays listed (default 60 s). */
  retainEndedMs?: number;
  /** Backoff between failed automatic renewals (default 1 s … 60 s). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Coalescing window for hit-count change events (default 250 ms). */
  hitFlushMs?: number;
}

export class LeaseActionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeaseActionError';
  }
}

interface Entry {
  record: Omit<LeaseRecord, 'ttl'>;
  actions: LeaseActions;
  options: TrackOptions;
  increment: number;
  atMax: boolean;
  failures: number;
  timers: Set<NodeJS.Timeout>;
  renewing?: Promise<void>;
}

/** Vault errors that mean "this will never renew" rather than "try again later". */
const isDefinitive = (error: unknown) => {
  const kind = (error as { kind?: string }).kind;
  return kind === 'bad-request' || kind === 'permission-denied' || kind === 'not-found';
};
/** "past the max TTL, cannot renew", "lease is not renewable": valid until expiry, not beyond. */
const atMaxTtl = (error: unknown) =>
  (error as { kind?: string }).kind === 'bad-request' && /max TTL|not renewable/i.test((error as Error).message);
const text = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function createLeaseRegistry(options: LeaseRegistryOptions): LeaseRegistry {
  const { log } = options;
  const retainMs = options.retainEndedMs ?? 60_000;
  const minBackoff = options.minBackoffMs ?? 1_000;
  const maxBackoff = options.maxBackoffMs ?? 60_000;
  const hitFlushMs = options.hitFlushMs ?? 250;
  const emitter = new EventEmitter();
  emitter.setMaxListeners(50);
  const entries = new Map<string, Entry>();
  const hitsPending = new Set<string>();
  let hitTimer: NodeJS.Timeout | undefined;

  const view = (e: Entry): LeaseRecord => {
    const r = e.record;
    const ttl =
      r.expiresAt && !r.endedAt ? Math.max(0, Math.round((r.expiresAt.getTime() - Date.now()) / 1000)) : undefined;
    return { ...r, ...(ttl !== undefined ? { ttl } : {}) };
  };
  const changed = (type: LeaseChange['type'], e: Entry) =>
    emitter.emit('change', { type, lease: view(e) } satisfies LeaseChange);
  const live = (e: Entry | undefined): e is Entry => !!e && !e.record.endedAt;
  const clearTimers = (e: Entry) => {
    for (const timer of e.timers) clearTimeout(timer);
    e.timers.clear();
  };
  const later = (e: Entry, fn: () => void, ms: number) => {
    const timer = unrefTimer(() => {
      e.timers.delete(timer);
      fn();
    }, ms);
    e.timers.add(timer);
  };
  const mustGet = (id: string): Entry => {
    const e = entries.get(id);
    if (!e) throw new LeaseActionError(`there is no lease, token or cached secret '${id}' in the registry`);
    return e;
  };

  /** Timers for a live entry: expiry, and renewal when it renews itself. */
  function plan(e: Entry) {
    clearTimers(e);
    const expiresAt = e.record.expiresAt?.getTime();
    if (expiresAt === undefined) return;
    const remaining = expiresAt - Date.now();
    const early = Math.min(e.options.expireEarlyMs ?? 0, Math.max(0, remaining / 2));
    later(e, () => end(e.record.id, 'expired', e.atMax ? 'reached its max TTL' : 'its TTL ran out'), remaining - early);
    if (e.options.autoRenew && e.record.renewable && !e.atMax && e.actions.renew) {
      later(e, () => void renewEntry(e).catch(() => {}), renewDelayMs(remaining / 1000));
    }
  }

  function renewEntry(e: Entry): Promise<void> {
    const renew = e.actions.renew;
    if (!renew) return Promise.reject(new LeaseActionError(`${e.record.kind} ${e.record.id} cannot be renewed`));
    e.renewing ??= (async () => {
      e.record.state = 'renewing';
      changed('updated', e);
      try {
        const granted = await renew(e.increment);
        if (!live(entries.get(e.record.id))) return;
        const now = Date.now();
        e.record.expiresAt = new Date(now + granted.ttl * 1000);
        e.record.renewable = granted.renewable;
        e.record.renewals++;
        e.record.lastRenewedAt = new Date(now);
        delete e.record.lastError;
        e.record.state = 'active';
        // Vault grants less than asked only when the max TTL cuts it short: the last renewal.
        e.atMax = !granted.renewable || granted.ttl < e.increment;
        e.failures = 0;
        changed('updated', e);
        plan(e);
      } catch (error) {
        if (!live(entries.get(e.record.id))) return;
        e.record.state = 'active';
        e.record.lastError = `renewal failed: ${text(error)}`;
        if (atMaxTtl(error)) {
          // Vault will not extend it any more; it stays valid until it expires.
          e.atMax = true;
          changed('updated', e);
          plan(e);
          return;
        }
        if (isDefinitive(error)) {
          end(e.record.id, 'evicted', `renewal refused: ${text(error)}`);
          throw error;
        }
        // Vault sealed or unreachable: keep what we hold until it expires, retry meanwhile.
        e.failures++;
        const delay = backoffDelayMs(e.failures, minBackoff, maxBackoff);
        const expiresAt = e.record.expiresAt?.getTime();
        if (e.options.autoRenew && expiresAt !== undefined && Date.now() + delay < expiresAt) {
          later(e, () => void renewEntry(e).catch(() => {}), delay);
        }
        log.warn('lease renewal failed; keeping it until it expires', { id: e.record.id, error: text(error) });
        changed('updated', e);
        throw error;
      } finally {
        e.renewing = undefined;
      }
    })();
    return e.renewing;
  }

  function end(id: string, state: EndState, reason: string) {
    const e = entries.get(id);
    if (!live(e)) return;
    clearTimers(e);
    e.record.state = state;
    e.record.endedAt = new Date();
    e.record.endReason = reason;
    log.info('lease ended', { id, kind: e.record.kind, state, reason });
    try {
      e.actions.onEnd?.(state, reason);
    } catch (error) {
      log.error('a lease owner failed to clean up', { id, error: text(error) });
    }
    changed('ended', e);
    // Vault ends what a token created with it; evicting a token locally evicts its children.
    const childState: EndState = state === 'evicted' ? 'evicted' : 'revoked';
    for (const child of entries.values()) {
      if (child.record.parentId === id && live(child))
        end(child.record.id, childState, `its parent token ${state === 'evicted' ? 'was evicted' : `was ${state}`}`);
    }
    later(
      e,
      () => {
        if (entries.get(id) === e) {
          entries.delete(id);
          changed('removed', e);
        }
      },
      retainMs,
    );
  }

  function flushHits() {
    hitTimer = undefined;
    for (const id of hitsPending) {
      const e = entries.get(id);
      if (live(e)) changed('updated', e); // an ended entry's last event already carries its counts
    }
    hitsPending.clear();
  }

  return {
    track(lease, actions = {}, trackOptions = {}) {
      const previous = entries.get(lease.id);
      if (live(previous)) end(lease.id, 'evicted', 'replaced by a newer entry');
      if (previous) clearTimers(previous);
      const now = new Date();
      const ttlSeconds = lease.expiresAt
        ? Math.max(0, Math.round((lease.expiresAt.getTime() - now.getTime()) / 1000))
        : 0;
      const e: Entry = {
        record: { ...lease, issuedAt: lease.issuedAt ?? now, renewals: 0, hits: 0, state: 'active' },
        actions,
        options: trackOptions,
        increment: trackOptions.increment ?? ttlSeconds,
        atMax: !lease.renewable,
        failures: 0,
        timers: new Set(),
      };
      entries.set(lease.id, e);
      changed('added', e);
      plan(e);
      return view(e);
    },

    update(id, patch) {
      const e = entries.get(id);
      if (!live(e)) return;
      const r = e.record;
      if (patch.expiresAt === null) delete r.expiresAt;
      else if (patch.expiresAt) r.expiresAt = patch.expiresAt;
      if (patch.renewable !== undefined) r.renewable = patch.renewable;
      if (patch.version !== undefined) r.version = patch.version;
      if (patch.renewals !== undefined) r.renewals = patch.renewals;
      if (patch.lastRenewedAt) r.lastRenewedAt = patch.lastRenewedAt;
      if (patch.state) r.state = patch.state;
      if (patch.parentId === null) delete r.parentId;
      else if (patch.parentId !== undefined) r.parentId = patch.parentId;
      if (patch.lastError === null) delete r.lastError;
      else if (patch.lastError !== undefined) r.lastError = patch.lastError;
      changed('updated', e);
      if (patch.expiresAt !== undefined || patch.renewable !== undefined) plan(e);
    },

    recordHit(id) {
      const e = entries.get(id);
      if (!live(e)) return;
      e.record.hits++;
      hitsPending.add(id);
      hitTimer ??= unrefTimer(flushHits, hitFlushMs);
    },

    get: (id) => {
      const e = entries.get(id);
      return e ? view(e) : undefined;
    },
    has: (id) => live(entries.get(id)),
    list: () =>
      [...entries.values()]
        .map(view)
        .sort((a, b) => Number(!!a.endedAt) - Number(!!b.endedAt) || a.issuedAt.getTime() - b.issuedAt.getTime()),

    async renew(id) {
      const e = mustGet(id);
      if (e.record.endedAt)
        throw new LeaseActionError(
          `${id} has already ${e.record.state === 'evicted' ? 'been evicted' : e.record.state}`,
        );
      if (!e.record.renewable || !e.actions.renew)
        throw new LeaseActionError(`${e.record.kind} ${id} is not renewable`);
      await renewEntry(e);
      return view(e);
    },

    async revoke(id) {
      const e = mustGet(id);
      if (e.record.endedAt)
        throw new LeaseActionError(
          `${id} has already ${e.record.state === 'evicted' ? 'been evicted' : e.record.state}`,
        );
      if (!e.actions.revoke) {
        throw new LeaseActionError(
          e.record.kind === 'kv-secret'
            ? `a cached KV secret has no lease to revoke; evict ${e.record.path} instead`
            : `${e.record.kind} ${id} cannot be revoked from here`,
        );
      }
      try {
        await e.actions.revoke();
      } catch (error) {
        e.record.lastError = `revocation failed: ${text(error)}`;
        changed('updated', e);
        throw error;
      }
      end(id, 'revoked', 'revoked on request');
    },

    evict(id, reason = 'evicted on request') {
      const e = mustGet(id);
      if (e.record.kind === 'session-token')
        throw new LeaseActionError('the session token cannot be evicted; log out to end the session');
      end(id, 'evicted', reason);
    },

    end,

    onChange(listener) {
      emitter.on('change', listener);
      return () => emitter.off('change', listener);
    },

    close() {
      clearTimeout(hitTimer);
      for (const e of entries.values()) clearTimers(e);
      entries.clear();
      emitter.removeAllListeners();
    },
  };
}
