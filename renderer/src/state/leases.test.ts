// The lease mirror: a burst of events becomes one store update, the newest entry comes first,
// a removal wins over an earlier change, TTLs count from what the host measured, filters work.
import { beforeEach, describe, expect, it } from 'vitest';
import type { LeaseView } from '../../../app/api';
import { shortId } from '../ui/leases/lease-format';
import {
  filterLeaseIds,
  flushLeaseChanges,
  queueLeaseChange,
  queueLeaseRemoval,
  replaceLeases,
  useLeasesStore,
} from './leases';

const base = Date.parse('2025-03-01T09:00:00Z');
function lease(n: number, patch: Partial<LeaseView> = {}): LeaseView {
  return {
    kind: 'lease',
    id: `lease:database/creds/ro/L${n}`,
    path: `database/creds/ro`,
    issuedAt: new Date(base + n * 1000).toISOString(),
    ttlSeconds: 600,
    renewable: true,
    renewals: 0,
    hits: 0,
    origin: 'proxy',
    state: 'active',
    ...patch,
  };
}

beforeEach(() => {
  flushLeaseChanges();
  replaceLeases([lease(1), lease(2)]);
});

describe('the lease mirror', () => {
  it('applies a burst of events in one update, newest first', () => {
    let updates = 0;
    const stop = useLeasesStore.subscribe(() => (updates += 1));
    for (let hits = 1; hits <= 500; hits += 1) queueLeaseChange(lease(1, { hits }));
    queueLeaseChange(lease(3, { kind: 'kv', id: 'kv:|secret/data/app@2', path: 'secret/data/app' }));
    flushLeaseChanges();
    stop();
    expect(updates).toBe(1);
    const { byId, order } = useLeasesStore.getState();
    expect(order).toEqual(['kv:|secret/data/app@2', 'lease:database/creds/ro/L2', 'lease:database/creds/ro/L1']);
    expect(byId.get('lease:database/creds/ro/L1')?.view.hits).toBe(500);
  });

  it('lets a removal win over a change queued before it, and the reverse', () => {
    queueLeaseChange(lease(1, { hits: 9 }));
    queueLeaseRemoval('lease:database/creds/ro/L1');
    queueLeaseRemoval('lease:database/creds/ro/L2');
    queueLeaseChange(lease(2, { renewals: 1 }));
    flushLeaseChanges();
    const { byId, order } = useLeasesStore.getState();
    expect(order).toEqual(['lease:database/creds/ro/L2']);
    expect(byId.get('lease:database/creds/ro/L2')?.view.renewals).toBe(1);
  });

  it('counts down from the TTL the host measured, and has no deadline once ended', () => {
    const before = Date.now();
    queueLeaseChange(lease(1, { ttlSeconds: 90, expiresAt: '1999-01-01T00:00:00Z' }));
    queueLeaseChange(lease(2, { state: 'revoked', ttlSeconds: 90 }));
    flushLeaseChanges();
    const { byId } = useLeasesStore.getState();
    const deadline = byId.get('lease:database/creds/ro/L1')?.deadline ?? 0;
    expect(deadline).toBeGreaterThanOrEqual(before + 90_000);
    expect(deadline).toBeLessThanOrEqual(Date.now() + 90_000);
    expect(byId.get('lease:database/creds/ro/L2')?.deadline).toBeUndefined();
  });

  it('filters by text, kind and ended state', () => {
    replaceLeases([
      lease(1),
      lease(2, { kind: 'token', id: 'token:acc-2', path: 'auth/token/create', origin: 'session' }),
      lease(3, { kind: 'kv', id: 'kv:|secret/data/app@1', path: 'secret/data/app', origin: 'connection:orders-db' }),
      lease(4, { state: 'evicted' }),
    ]);
    const { byId, order } = useLeasesStore.getState();
    const ids = (filter: Partial<Parameters<typeof filterLeaseIds>[2]>) =>
      filterLeaseIds(byId, order, { text: '', kind: 'all', showEnded: false, ...filter });
    expect(ids({})).toEqual(['kv:|secret/data/app@1', 'token:acc-2', 'lease:database/creds/ro/L1']);
    expect(ids({ showEnded: true })).toHaveLength(4);
    expect(ids({ kind: 'token' })).toEqual(['token:acc-2']);
    expect(ids({ text: 'ORDERS-DB' })).toEqual(['kv:|secret/data/app@1']);
    expect(ids({ text: 'creds', kind: 'kv' })).toEqual([]);
  });
});

describe('shortId', () => {
  it('keeps what tells entries apart: the start of lease ids, the end (version) of KV ids', () => {
    expect(shortId('lease:database/creds/ro/2f6a614c4aa2b8')).toBe('2f6a614c…');
    expect(shortId('token:hmac-accessor-7f3a9c')).toBe('hmac-acc…');
    expect(shortId('kv:team-a|secret/data/app/settings-main@12')).toBe('…-main@12');
    expect(shortId('kv:team-a|secret/data/app/config@12')).toBe('config@12');
    expect(shortId('lease:aws/creds/x/short')).toBe('short');
  });
});
