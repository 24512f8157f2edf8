// The lease registry on its own: what the UI sees change, automatic renewal up to the max TTL,
// keeping entries through transient Vault failures, eviction on a refused renewal, cascades,
// and the user's actions. The actions stand in for Vault calls (the proxy's tests cover the
// same behaviour against the Vault dev server).
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../log';
import { VaultError } from '../vault';
import { createLeaseRegistry } from './registry';
import type { LeaseChange, LeaseRecord, LeaseRegistry } from './types';

const log = createLogger('test', () => {}, 'error');
const registries: LeaseRegistry[] = [];
const registry = (retainEndedMs = 60_000) => {
  const r = createLeaseRegistry({ log, retainEndedMs, minBackoffMs: 100, maxBackoffMs: 200, hitFlushMs: 20 });
  registries.push(r);
  return r;
};
const inSeconds = (s: number) => new Date(Date.now() + s * 1000);
const until = (r: LeaseRegistry, id: string, match: (l: LeaseRecord) => boolean) =>
  new Promise<LeaseRecord>((resolve) => {
    const now = r.get(id);
    if (now && match(now)) return resolve(now);
    const off = r.onChange((c) => c.lease.id === id && match(c.lease) && (off(), resolve(c.lease)));
  });

afterEach(() => {
  for (const r of registries.splice(0)) r.close();
});

describe('lease registry', () => {
  it('tells listeners about additions, updates, endings and removals', async () => {
    const r = registry(50);
    const changes: LeaseChange['type'][] = [];
    r.onChange((c) => changes.push(c.type));
    r.track({
      id: 'lease:a',
      kind: 'lease',
      path: 'database/creds/ro',
      leaseId: 'a',
      expiresAt: inSeconds(60),
      renewable: true,
      origin: { type: 'connection', name: 'orders' },
    });
    r.recordHit('lease:a');
    r.recordHit('lease:a');
    await new Promise((resolve) => r.onChange((c) => c.type === 'updated' && c.lease.hits === 2 && resolve(c)));
    r.evict('lease:a');
    expect(r.get('lease:a')).toMatchObject({
      state: 'evicted',
      endReason: 'evicted on request',
      origin: { type: 'connection', name: 'orders' },
    });
    await new Promise((resolve) => r.onChange((c) => c.type === 'removed' && resolve(c)));
    expect(r.get('lease:a')).toBeUndefined();
    expect(changes).toEqual(['added', 'updated', 'ended', 'removed']);
  });

  it('renews at about 2/3 of the TTL until Vault grants less than asked, then expires it', async () => {
    const r = registry();
    let left = 4; // seconds to the "max TTL"
    const started = Date.now();
    r.track(
      {
        id: 'lease:b',
        kind: 'lease',
        path: 'database/creds/ro',
        expiresAt: inSeconds(2),
        renewable: true,
        origin: { type: 'proxy' },
      },
      {
        renew: async (increment) => {
          left = 4 - (Date.now() - started) / 1000;
          return { ttl: Math.max(0, Math.min(increment, Math.floor(left))), renewable: true };
        },
      },
      { autoRenew: true, increment: 2 },
    );
    const ended = await until(r, 'lease:b', (l) => l.state === 'expired');
    expect(ended.renewals).toBeGreaterThanOrEqual(1);
    expect(ended.endReason).toBe('reached its max TTL');
  });

  it('keeps an entry through transient failures until it expires; a refused renewal evicts it', async () => {
    const r = registry();
    const sealed = new VaultError('sealed', 'Vault at http://vault is sealed', 'sys/leases/renew', 503, [
      'Vault is sealed',
    ]);
    r.track(
      {
        id: 'lease:c',
        kind: 'lease',
        path: 'p',
        expiresAt: inSeconds(1.5),
        renewable: true,
        origin: { type: 'proxy' },
      },
      { renew: () => Promise.reject(sealed) },
      { autoRenew: true },
    );
    const failing = await until(r, 'lease:c', (l) => !!l.lastError);
    expect(failing).toMatchObject({ state: 'active', lastError: expect.stringMatching(/sealed/) });
    expect((await until(r, 'lease:c', (l) => !!l.endedAt)).state).toBe('expired');

    const gone = new VaultError(
      'bad-request',
      'Vault refused sys/leases/renew (400): lease not found',
      'sys/leases/renew',
      400,
      ['lease not found'],
    );
    r.track(
      { id: 'lease:d', kind: 'lease', path: 'p', expiresAt: inSeconds(30), renewable: true, origin: { type: 'proxy' } },
      { renew: () => Promise.reject(gone) },
    );
    await expect(r.renew('lease:d')).rejects.toThrow(/lease not found/);
    expect(r.get('lease:d')).toMatchObject({ state: 'evicted', endReason: expect.stringMatching(/renewal refused/) });
  });

  it('ends everything created with a token when the token ends', () => {
    const r = registry();
    const ended: string[] = [];
    const track = (id: string, parentId?: string) =>
      r.track(
        {
          id,
          kind: id.startsWith('token') ? 'child-token' : 'lease',
          path: 'p',
          expiresAt: inSeconds(60),
          renewable: true,
          origin: { type: 'proxy' },
          ...(parentId ? { parentId } : {}),
        },
        { onEnd: (state) => ended.push(`${id}:${state}`) },
      );
    track('token:parent');
    track('token:child', 'token:parent');
    track('lease:grandchild', 'token:child');
    track('lease:other');
    r.end('token:parent', 'revoked', 'revoked on request');
    expect(ended).toEqual(['token:parent:revoked', 'token:child:revoked', 'lease:grandchild:revoked']);
    expect(r.get('lease:other')?.state).toBe('active');
    expect(r.get('token:child')?.endReason).toBe('its parent token was revoked');

    track('token:p2');
    track('lease:l2', 'token:p2');
    r.evict('token:p2');
    expect(r.get('lease:l2')?.state).toBe('evicted');
  });

  it('revoke calls the owner and marks it revoked; what cannot be done says why', async () => {
    const r = registry();
    let revoked = 0;
    r.track(
      { id: 'lease:e', kind: 'lease', path: 'p', expiresAt: inSeconds(60), renewable: true, origin: { type: 'proxy' } },
      { revoke: async () => void revoked++ },
    );
    await r.revoke('lease:e');
    expect(revoked).toBe(1);
    expect(r.get('lease:e')?.state).toBe('revoked');
    await expect(r.revoke('lease:e')).rejects.toThrow(/already revoked/);

    r.track({
      id: 'kv:root/|secret/data/app',
      kind: 'kv-secret',
      path: 'secret/data/app',
      renewable: false,
      origin: { type: 'proxy' },
    });
    await expect(r.revoke('kv:root/|secret/data/app')).rejects.toThrow(/evict secret\/data\/app instead/);
    await expect(r.renew('kv:root/|secret/data/app')).rejects.toThrow(/not renewable/);
    r.track({
      id: 'token:s',
      kind: 'session-token',
      path: 'auth/token/lookup-self',
      renewable: true,
      origin: { type: 'session' },
    });
    expect(() => r.evict('token:s')).toThrow(/log out/);
    await expect(r.renew('nope')).rejects.toThrow(/no lease, token or cached secret 'nope'/);
  });
});
