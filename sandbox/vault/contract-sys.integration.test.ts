// Contract: envelope, error answers, sys/health, sys/seal-status, seal/unseal, sys/mounts,
// sys/auth. Runs against every available target (see testing.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVELOPE_KEYS, PERMISSION_DENIED, targets, vaultClient, type VaultClient, type VaultTarget } from './testing';

for (const factory of targets()) {
  if (factory.skipReason) console.log(`[contract-sys] skipped "${factory.name}": ${factory.skipReason}`);

  describe.skipIf(factory.skipReason !== undefined)(`contract sys (${factory.name})`, () => {
    let target: VaultTarget;
    let v: VaultClient;
    beforeAll(async () => {
      target = await factory.start();
      v = vaultClient(target.address, target.rootToken);
    });
    afterAll(async () => {
      await target?.stop();
    });

    it('sys/health answers 200 with the documented fields, without a token', async () => {
      const r = await v.get('sys/health', { token: '' });
      expect(r.status).toBe(200);
      for (const k of [
        'initialized',
        'sealed',
        'standby',
        'performance_standby',
        'server_time_utc',
        'version',
        'cluster_name',
        'cluster_id',
      ]) {
        expect(r.body).toHaveProperty(k);
      }
      expect(r.body).toMatchObject({ initialized: true, sealed: false, standby: false });
      expect(typeof r.body.server_time_utc).toBe('number');
    });

    it('sys/health honours code overrides and HEAD', async () => {
      expect((await v.get('sys/health?activecode=299', { token: '' })).status).toBe(299);
      const head = await v.call('HEAD', 'sys/health', { token: '' });
      expect(head.status).toBe(200);
      expect(head.text).toBe('');
    });

    it('sys/seal-status answers the seal configuration', async () => {
      const r = await v.get('sys/seal-status', { token: '' });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ type: 'shamir', initialized: true, sealed: false, t: 1, n: 1, progress: 0 });
      expect(typeof r.body.version).toBe('string');
    });

    it('a successful answer carries every envelope field', async () => {
      const r = await v.get('auth/token/lookup-self');
      expect(r.status).toBe(200);
      for (const k of ENVELOPE_KEYS) expect(r.body).toHaveProperty(k);
      expect(r.body).toMatchObject({
        lease_id: '',
        renewable: false,
        lease_duration: 0,
        wrap_info: null,
        warnings: null,
        auth: null,
      });
      expect(r.body.request_id).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('accepts the token as Authorization: Bearer', async () => {
      const r = await v.get('auth/token/lookup-self', {
        token: '',
        headers: { Authorization: `Bearer ${target.rootToken}` },
      });
      expect(r.status).toBe(200);
      expect(r.body.data.policies).toEqual(['root']);
    });

    describe('error answers', () => {
      it('no token → 403 permission denied', async () => {
        const r = await v.get('secret/data/anything', { token: '' });
        expect(r.status).toBe(403);
        expect(r.body.errors[0]).toMatch(PERMISSION_DENIED);
      });

      it('an unknown token → 403 permission denied + invalid token', async () => {
        const r = await v.get('secret/data/anything', { token: 'hvs.notARealTokenAtAll1234' });
        expect(r.status).toBe(403);
        expect(r.body.errors[0]).toMatch(PERMISSION_DENIED);
        expect(r.body.errors[0]).toMatch(/invalid token/);
      });

      it('a path with no mount → 404 no handler for route', async () => {
        const r = await v.get('nomount/some/path');
        expect(r.status).toBe(404);
        expect(r.body.errors[0]).toMatch(/no handler for route "nomount\/some\/path"/);
      });

      it('malformed JSON → 400 failed to parse JSON input', async () => {
        const r = await v.call('POST', 'auth/token/create', { raw: '{"policies": [' });
        expect(r.status).toBe(400);
        expect(r.body.errors[0]).toMatch(/^failed to parse JSON input/);
      });

      it('a JSON array body → 400', async () => {
        const r = await v.call('POST', 'auth/token/create', { raw: '[1,2]' });
        expect(r.status).toBe(400);
        expect(r.body.errors[0]).toMatch(/^failed to parse JSON input/);
      });

      it('a bad duration → 400, a wrong type → 400', async () => {
        const bad = await v.post('auth/token/create', { ttl: 'ten minutes' });
        expect(bad.status).toBe(400);
        expect(bad.body.errors[0]).toMatch(/invalid duration/);
        const wrong = await v.post('auth/token/create', { num_uses: 'many' });
        expect(wrong.status).toBe(400);
        expect(wrong.body.errors.length).toBe(1);
      });

      it('an unsupported operation → 405', async () => {
        const r = await v.del('sys/health');
        expect(r.status).toBe(405);
      });
    });

    describe('seal and unseal', () => {
      it('sealed: 503 Vault is sealed everywhere but health and seal-status; unseal restores', async () => {
        const t = await v.post('auth/token/create', { policies: ['default'] });
        const childToken = t.body.auth.client_token as string;
        expect((await v.put('sys/seal')).status).toBe(204);
        try {
          const read = await v.get('secret/data/x');
          expect(read.status).toBe(503);
          expect(read.body.errors).toEqual(['Vault is sealed']);
          expect((await v.get('auth/token/lookup-self', { token: '' })).status).toBe(503);
          const health = await v.get('sys/health', { token: '' });
          expect(health.status).toBe(503);
          expect(health.body.sealed).toBe(true);
          const status = await v.get('sys/seal-status', { token: '' });
          expect(status.status).toBe(200);
          expect(status.body.sealed).toBe(true);
          const wrong = await v.put('sys/unseal', { key: Buffer.alloc(32, 7).toString('base64') }, { token: '' });
          expect(wrong.status).toBe(400);
          const missing = await v.put('sys/unseal', {}, { token: '' });
          expect(missing.status).toBe(400);
        } finally {
          const ok = await v.put('sys/unseal', { key: target.unsealKey }, { token: '' });
          expect(ok.status).toBe(200);
          expect(ok.body.sealed).toBe(false);
        }
        expect((await v.get('auth/token/lookup-self', { token: childToken })).status).toBe(200);
      });

      it('sealing needs sudo: a default-policy token gets 403', async () => {
        const t = await v.post('auth/token/create', { policies: ['default'] });
        const r = await v.put('sys/seal', {}, { token: t.body.auth.client_token });
        expect(r.status).toBe(403);
      });
    });

    describe('sys/mounts and sys/auth', () => {
      it('lists the default mounts with type and options, repeated at the top level', async () => {
        const r = await v.get('sys/mounts');
        expect(r.status).toBe(200);
        expect(r.body.data['secret/']).toMatchObject({ type: 'kv', options: { version: '2' } });
        expect(r.body.data['sys/']).toMatchObject({ type: 'system' });
        expect(r.body.data['secret/'].config).toHaveProperty('default_lease_ttl');
        expect(typeof r.body.data['secret/'].accessor).toBe('string');
        expect(r.body['secret/']).toEqual(r.body.data['secret/']);
        const auth = await v.get('sys/auth');
        expect(auth.body.data['token/']).toMatchObject({ type: 'token' });
      });

      it('enables, reads, tunes and disables a secrets engine at a chosen path', async () => {
        expect(
          (await v.post('sys/mounts/team/kv', { type: 'kv', options: { version: '1' }, description: 'team kv' }))
            .status,
        ).toBe(204);
        const one = await v.get('sys/mounts/team/kv');
        expect(one.status).toBe(200);
        expect(one.body.data).toMatchObject({ type: 'kv', description: 'team kv' });
        expect((await v.post('sys/mounts/team/kv/tune', { default_lease_ttl: '1h', max_lease_ttl: '2h' })).status).toBe(
          204,
        );
        const tune = await v.get('sys/mounts/team/kv/tune');
        expect(tune.body.data).toMatchObject({ default_lease_ttl: 3600, max_lease_ttl: 7200 });
        const dup = await v.post('sys/mounts/team/kv', { type: 'kv' });
        expect(dup.status).toBe(400);
        expect(dup.body.errors[0]).toMatch(/path is already in use/);
        expect((await v.del('sys/mounts/team/kv')).status).toBe(204);
        expect((await v.get('sys/mounts')).body.data['team/kv/']).toBeUndefined();
      });

      it('rejects a mount without type, with an unknown type, or under sys/', async () => {
        expect((await v.post('sys/mounts/x1', {})).status).toBe(400);
        expect((await v.post('sys/mounts/x2', { type: 'no-such-engine' })).status).toBe(400);
        expect((await v.post('sys/mounts/sys/inner', { type: 'kv' })).status).toBe(400);
        const badTtl = await v.post('sys/mounts/x3', { type: 'kv', config: { default_lease_ttl: 'soon' } });
        expect(badTtl.status).toBe(400);
      });

      it('enables and disables an auth method; the token method cannot be disabled', async () => {
        expect((await v.post('sys/auth/userpass-x', { type: 'userpass' })).status).toBe(204);
        expect((await v.get('sys/auth')).body.data['userpass-x/']).toMatchObject({ type: 'userpass' });
        expect((await v.del('sys/auth/userpass-x')).status).toBe(204);
        expect((await v.get('sys/auth')).body.data['userpass-x/']).toBeUndefined();
        expect((await v.del('sys/auth/token')).status).toBe(400);
      });
    });
  });
}
