// Contract: sys/policies/acl CRUD, sys/capabilities-self, and enforcement on every request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSION_DENIED, targets, vaultClient, type VaultClient, type VaultTarget } from './testing';

const APP_POLICY = `
path "secret/data/app/*" {
  capabilities = ["read", "list"]
}
path "secret/metadata/app/*" {
  capabilities = ["list"]
}
path "secret/data/app/private/*" {
  capabilities = ["deny"]
}
path "secret/data/+/shared" {
  capabilities = ["read"]
}
path "secret/data/writable/*" {
  capabilities = ["create"]
}
`;

for (const factory of targets()) {
  if (factory.skipReason) console.log(`[contract-policies] skipped "${factory.name}": ${factory.skipReason}`);

  describe.skipIf(factory.skipReason !== undefined)(`contract policies (${factory.name})`, () => {
    let target: VaultTarget;
    let v: VaultClient;
    let app: string;
    beforeAll(async () => {
      target = await factory.start();
      v = vaultClient(target.address, target.rootToken);
      expect((await v.put('sys/policies/acl/app', { policy: APP_POLICY })).status).toBe(204);
      for (const p of ['app/one', 'app/private/key', 'team/shared', 'team/other', 'writable/existing']) {
        expect((await v.post(`secret/data/${p}`, { data: { v: p } })).status).toBe(200);
      }
      const t = await v.post('auth/token/create', { policies: ['app'] });
      app = t.body.auth.client_token;
    });
    afterAll(async () => {
      await target?.stop();
    });

    it('reads back a policy; lists policies including default and root', async () => {
      const r = await v.get('sys/policies/acl/app');
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual({ name: 'app', policy: APP_POLICY });
      const l = await v.list('sys/policies/acl');
      expect(l.body.data.keys).toEqual(expect.arrayContaining(['app', 'default', 'root']));
      expect((await v.get('sys/policies/acl/missing')).status).toBe(404);
    });

    it('rejects bad policies, writing root and deleting default', async () => {
      const bad = await v.put('sys/policies/acl/bad', { policy: 'path "x" { capabilities = ["fly"] }' });
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0]).toMatch(/failed to parse policy/);
      expect((await v.put('sys/policies/acl/empty', { policy: '' })).status).toBe(400);
      expect((await v.put('sys/policies/acl/root', { policy: 'path "x" { capabilities = ["read"] }' })).status).toBe(
        400,
      );
      expect((await v.del('sys/policies/acl/default')).status).toBe(400);
    });

    it('allows what the policy grants and answers 403 permission denied otherwise', async () => {
      expect((await v.get('secret/data/app/one', { token: app })).status).toBe(200);
      const write = await v.post('secret/data/app/one', { data: { x: 1 } }, { token: app });
      expect(write.status).toBe(403);
      expect(write.body.errors[0]).toMatch(PERMISSION_DENIED);
      expect((await v.get('secret/data/elsewhere', { token: app })).status).toBe(403);
      expect((await v.list('secret/metadata/app', { token: app })).status).toBe(200);
    });

    it('deny wins under an allowed glob; + matches one segment', async () => {
      expect((await v.get('secret/data/app/private/key', { token: app })).status).toBe(403);
      expect((await v.get('secret/data/team/shared', { token: app })).status).toBe(200);
      expect((await v.get('secret/data/team/other', { token: app })).status).toBe(403);
    });

    it('create is needed for new keys, update for existing ones', async () => {
      expect((await v.post('secret/data/writable/new', { data: { a: 1 } }, { token: app })).status).toBe(200);
      expect((await v.post('secret/data/writable/existing', { data: { a: 1 } }, { token: app })).status).toBe(403);
    });

    it('a policy change applies to existing tokens at once', async () => {
      expect(
        (await v.put('sys/policies/acl/late', { policy: 'path "secret/data/late" { capabilities = ["read"] }' }))
          .status,
      ).toBe(204);
      const t = (await v.post('auth/token/create', { policies: ['late'] })).body.auth.client_token;
      await v.post('secret/data/late', { data: { a: 1 } });
      expect((await v.get('secret/data/late', { token: t })).status).toBe(200);
      expect((await v.del('sys/policies/acl/late')).status).toBe(204);
      expect((await v.get('secret/data/late', { token: t })).status).toBe(403);
    });

    it('sys/capabilities-self reports capabilities per path', async () => {
      const r = await v.post(
        'sys/capabilities-self',
        { paths: ['secret/data/app/one', 'secret/data/app/private/x', 'nowhere'] },
        { token: app },
      );
      expect(r.status).toBe(200);
      expect(r.body.data['secret/data/app/one']).toEqual(['list', 'read']);
      expect(r.body.data['secret/data/app/private/x']).toEqual(['deny']);
      expect(r.body.data.nowhere).toEqual(['deny']);
      const single = await v.post('sys/capabilities-self', { paths: ['secret/data/app/one'] }, { token: app });
      expect(single.body.data.capabilities).toEqual(['list', 'read']);
      expect(single.body.capabilities).toEqual(['list', 'read']);
      const root = await v.post('sys/capabilities-self', { paths: ['anything'] });
      expect(root.body.data.anything).toEqual(['root']);
    });

    it('the default policy lets a token look itself up but not list policies', async () => {
      expect((await v.get('auth/token/lookup-self', { token: app })).status).toBe(200);
      expect((await v.list('sys/policies/acl', { token: app })).status).toBe(403);
      expect((await v.post('sys/mounts/x', { type: 'kv' }, { token: app })).status).toBe(403);
    });
  });
}
