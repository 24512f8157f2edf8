// Contract: the token store at auth/token/ — create, lookup, renew, revoke, cascade, expiry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSION_DENIED, sleep, targets, vaultClient, type VaultClient, type VaultTarget } from './testing';

const AUTH_KEYS = [
  'client_token',
  'accessor',
  'policies',
  'token_policies',
  'metadata',
  'lease_duration',
  'renewable',
  'entity_id',
  'token_type',
  'orphan',
  'mfa_requirement',
  'num_uses',
];
const LOOKUP_KEYS = [
  'accessor',
  'creation_time',
  'creation_ttl',
  'display_name',
  'entity_id',
  'expire_time',
  'explicit_max_ttl',
  'id',
  'issue_time',
  'meta',
  'num_uses',
  'orphan',
  'path',
  'policies',
  'renewable',
  'ttl',
  'type',
];

/** Waits until an RFC 3339 instant has passed, plus `slackMs`. */
async function waitPast(rfc3339: string, slackMs: number): Promise<void> {
  const ms = Date.parse(rfc3339) - Date.now() + slackMs;
  if (ms > 0) await sleep(ms);
}

for (const factory of targets()) {
  if (factory.skipReason) console.log(`[contract-tokens] skipped "${factory.name}": ${factory.skipReason}`);

  describe.skipIf(factory.skipReason !== undefined)(`contract tokens (${factory.name})`, () => {
    let target: VaultTarget;
    let v: VaultClient;
    const create = async (body: Record<string, unknown>, token?: string) => {
      const r = await v.post('auth/token/create', body, token === undefined ? {} : { token });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body.auth as {
        client_token: string;
        accessor: string;
        lease_duration: number;
        policies: string[];
        renewable: boolean;
        orphan: boolean;
      };
    };
    beforeAll(async () => {
      target = await factory.start();
      v = vaultClient(target.address, target.rootToken);
      const policy =
        'path "auth/token/create" { capabilities = ["update"] }\npath "auth/token/create-orphan" { capabilities = ["update"] }\npath "secret/data/*" { capabilities = ["read"] }';
      expect((await v.put('sys/policies/acl/creator', { policy })).status).toBe(204);
    });
    afterAll(async () => {
      await target?.stop();
    });

    it('create answers the auth block; lookup-self describes the token', async () => {
      const r = await v.post('auth/token/create', {
        policies: ['creator'],
        ttl: '1h',
        meta: { team: 'a' },
        display_name: 'ci',
        num_uses: 5,
      });
      expect(r.status).toBe(200);
      expect(r.body.data).toBeNull();
      for (const k of AUTH_KEYS) expect(r.body.auth).toHaveProperty(k);
      expect(r.body.auth).toMatchObject({
        policies: ['creator', 'default'],
        token_policies: ['creator', 'default'],
        metadata: { team: 'a' },
        lease_duration: 3600,
        renewable: true,
        token_type: 'service',
        orphan: false,
        num_uses: 5,
      });
      const me = await v.get('auth/token/lookup-self', { token: r.body.auth.client_token });
      expect(me.status).toBe(200);
      for (const k of LOOKUP_KEYS) expect(me.body.data).toHaveProperty(k);
      expect(me.body.data).toMatchObject({
        id: r.body.auth.client_token,
        accessor: r.body.auth.accessor,
        display_name: 'token-ci',
        meta: { team: 'a' },
        path: 'auth/token/create',
        creation_ttl: 3600,
        orphan: false,
        type: 'service',
        num_uses: 4,
      });
      expect(typeof me.body.data.expire_time).toBe('string');
    });

    it('the root token never expires', async () => {
      const me = await v.get('auth/token/lookup-self');
      expect(me.body.data).toMatchObject({
        policies: ['root'],
        ttl: 0,
        expire_time: null,
        path: 'auth/token/root',
        display_name: 'root',
      });
    });

    it('lookup {token} and lookup-accessor {accessor} (without the id)', async () => {
      const t = await create({ policies: ['default'] });
      const byToken = await v.post('auth/token/lookup', { token: t.client_token });
      expect(byToken.body.data.id).toBe(t.client_token);
      const byAccessor = await v.post('auth/token/lookup-accessor', { accessor: t.accessor });
      expect(byAccessor.status).toBe(200);
      expect(byAccessor.body.data.accessor).toBe(t.accessor);
      expect(byAccessor.body.data.id === '' || byAccessor.body.data.id === undefined).toBe(true);
      expect((await v.post('auth/token/lookup', { token: 'hvs.doesNotExist0000000000' })).status).toBe(403);
      expect((await v.post('auth/token/lookup-accessor', { accessor: 'nope' })).status).toBe(400);
    });

    it('renew-self extends up to the explicit max TTL, with a warning when capped', async () => {
      const t = await create({ policies: ['default'], ttl: '60s', explicit_max_ttl: '120s' });
      const r = await v.post('auth/token/renew-self', { increment: '1h' }, { token: t.client_token });
      expect(r.status).toBe(200);
      expect(r.body.auth.client_token).toBe(t.client_token);
      expect(r.body.auth.lease_duration).toBeLessThanOrEqual(120);
      expect(r.body.auth.lease_duration).toBeGreaterThan(100);
      expect(r.body.warnings?.join(' ')).toMatch(/max_ttl/);
      const me = await v.get('auth/token/lookup-self', { token: t.client_token });
      expect(typeof me.body.data.last_renewal_time).toBe('number');
    });

    it('a non-renewable token cannot renew: 400', async () => {
      const t = await create({ policies: ['default'], ttl: '60s', renewable: false });
      expect(t.renewable).toBe(false);
      const r = await v.post('auth/token/renew-self', {}, { token: t.client_token });
      expect(r.status).toBe(400);
      expect(r.body.errors[0]).toMatch(/not renewable/);
    });

    it('a periodic token renews to its period', async () => {
      const t = await create({ policies: ['default'], period: '30m' });
      expect(t.lease_duration).toBe(1800);
      const r = await v.post('auth/token/renew', { token: t.client_token, increment: '5h' });
      expect(r.status).toBe(200);
      expect(r.body.auth.lease_duration).toBe(1800);
    });

    it('num_uses: the token is gone after its last use', async () => {
      const t = await create({ policies: ['default'], num_uses: 2 });
      expect((await v.get('auth/token/lookup-self', { token: t.client_token })).status).toBe(200);
      expect((await v.get('auth/token/lookup-self', { token: t.client_token })).status).toBe(200);
      expect((await v.get('auth/token/lookup-self', { token: t.client_token })).status).toBe(403);
    });

    it('revoke-self → 204, then the token is invalid', async () => {
      const t = await create({ policies: ['default'] });
      expect((await v.post('auth/token/revoke-self', {}, { token: t.client_token })).status).toBe(204);
      const after = await v.get('auth/token/lookup-self', { token: t.client_token });
      expect(after.status).toBe(403);
      expect(after.body.errors[0]).toMatch(PERMISSION_DENIED);
    });

    it('revoking a parent revokes its children, not orphans', async () => {
      const parent = await create({ policies: ['creator'] });
      const child = await create({ policies: ['creator'] }, parent.client_token);
      const grandchild = await create({ policies: ['default'] }, child.client_token);
      const orphan = await v.post(
        'auth/token/create-orphan',
        { policies: ['default'] },
        { token: parent.client_token },
      );
      expect(orphan.status).toBe(200);
      expect(orphan.body.auth.orphan).toBe(true);
      expect((await v.post('auth/token/revoke', { token: parent.client_token })).status).toBe(204);
      expect((await v.get('auth/token/lookup-self', { token: child.client_token })).status).toBe(403);
      expect((await v.get('auth/token/lookup-self', { token: grandchild.client_token })).status).toBe(403);
      expect((await v.get('auth/token/lookup-self', { token: orphan.body.auth.client_token })).status).toBe(200);
    });

    it('revoke-accessor revokes the token behind the accessor', async () => {
      const t = await create({ policies: ['default'] });
      expect((await v.post('auth/token/revoke-accessor', { accessor: t.accessor })).status).toBe(204);
      expect((await v.get('auth/token/lookup-self', { token: t.client_token })).status).toBe(403);
    });

    it('a non-root parent cannot create wider or no_parent tokens', async () => {
      const parent = await create({ policies: ['creator'] });
      const wider = await v.post('auth/token/create', { policies: ['other'] }, { token: parent.client_token });
      expect(wider.status).toBe(400);
      expect(wider.body.errors[0]).toMatch(/subset/);
      const noParent = await v.post('auth/token/create', { no_parent: true }, { token: parent.client_token });
      expect(noParent.status).toBe(400);
      const negative = await v.post('auth/token/create', { num_uses: -1 });
      expect(negative.status).toBe(400);
    });

    it('expiry is enforced in real time: a 2 s token and its child are gone within 1 s of expiry', async () => {
      const parent = await create({ policies: ['creator'], ttl: '2s' });
      const child = await create({ policies: ['default'], ttl: '1h' }, parent.client_token);
      const me = await v.get('auth/token/lookup-self', { token: parent.client_token });
      expect(me.status).toBe(200);
      expect(me.body.data.ttl).toBeGreaterThan(0);
      await waitPast(me.body.data.expire_time, 1000);
      expect((await v.get('auth/token/lookup-self', { token: parent.client_token })).status).toBe(403);
      expect((await v.post('auth/token/lookup', { token: child.client_token })).status).toBe(403);
    });
  });
}
