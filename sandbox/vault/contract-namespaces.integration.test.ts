// Contract: namespaces (Vault Enterprise) selected by X-Vault-Namespace or a path prefix.
// Against a real Vault without Enterprise features this part is skipped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targets, vaultClient, type VaultClient, type VaultTarget } from './testing';

for (const factory of targets()) {
  if (factory.skipReason) console.log(`[contract-namespaces] skipped "${factory.name}": ${factory.skipReason}`);

  describe.skipIf(factory.skipReason !== undefined)(`contract namespaces (${factory.name})`, () => {
    let target: VaultTarget;
    let v: VaultClient;
    const ns = { 'X-Vault-Namespace': 'team-a' };
    beforeAll(async () => {
      target = await factory.start();
      v = vaultClient(target.address, target.rootToken);
    });
    afterAll(async () => {
      await target?.stop();
    });

    it('creates a namespace with its own mounts, reachable by header and by path prefix', async (ctx) => {
      if (!target.namespaces) ctx.skip();
      const created = await v.put('sys/namespaces/team-a', {});
      expect(created.status).toBe(200);
      expect(created.body.data.path).toBe('team-a/');
      expect((await v.list('sys/namespaces')).body.data.keys).toContain('team-a/');
      expect(
        (await v.post('sys/mounts/secret', { type: 'kv', options: { version: '2' } }, { headers: ns })).status,
      ).toBe(204);
      expect((await v.post('secret/data/app', { data: { where: 'team-a' } }, { headers: ns })).status).toBe(200);
      expect((await v.get('team-a/secret/data/app')).body.data.data).toEqual({ where: 'team-a' });
      expect((await v.get('secret/data/app', { headers: ns })).body.data.data).toEqual({ where: 'team-a' });
      expect((await v.get('secret/data/app')).status).toBe(404);
    });

    it('a token of the namespace works there and not in the root namespace', async (ctx) => {
      if (!target.namespaces) ctx.skip();
      expect(
        (
          await v.put(
            'sys/policies/acl/reader',
            { policy: 'path "secret/data/*" { capabilities = ["read"] }' },
            { headers: ns },
          )
        ).status,
      ).toBe(204);
      const t = await v.post('auth/token/create', { policies: ['reader'] }, { headers: ns });
      expect(t.status).toBe(200);
      const token = t.body.auth.client_token as string;
      expect((await v.get('secret/data/app', { token, headers: ns })).status).toBe(200);
      expect((await v.get('team-a/secret/data/app', { token })).status).toBe(200);
      expect((await v.get('secret/data/app', { token })).status).toBe(403);
      const me = await v.get('auth/token/lookup-self', { token, headers: ns });
      expect(me.body.data.policies).toEqual(['default', 'reader']);
    });

    it('policies are per namespace', async (ctx) => {
      if (!target.namespaces) ctx.skip();
      expect((await v.get('sys/policies/acl/reader')).status).toBe(404);
      expect((await v.get('sys/policies/acl/reader', { headers: ns })).status).toBe(200);
    });
  });
}
