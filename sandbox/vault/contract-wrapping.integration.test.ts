// Contract: response wrapping (X-Vault-Wrap-TTL on any request) and sys/wrapping/*.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targets, vaultClient, type VaultClient, type VaultTarget } from './testing';

const WRAP = { 'X-Vault-Wrap-TTL': '60s' };

for (const factory of targets()) {
  if (factory.skipReason) console.log(`[contract-wrapping] skipped "${factory.name}": ${factory.skipReason}`);

  describe.skipIf(factory.skipReason !== undefined)(`contract wrapping (${factory.name})`, () => {
    let target: VaultTarget;
    let v: VaultClient;
    beforeAll(async () => {
      target = await factory.start();
      v = vaultClient(target.address, target.rootToken);
      await v.post('secret/data/wrapped', { data: { secret: 'value' } });
    });
    afterAll(async () => {
      await target?.stop();
    });

    it('a wrapped read answers only wrap_info; unwrap returns the original once; again → 400', async () => {
      const w = await v.get('secret/data/wrapped', { headers: WRAP });
      expect(w.status).toBe(200);
      expect(w.body.data).toBeNull();
      expect(w.body.wrap_info).toMatchObject({ ttl: 60, creation_path: 'secret/data/wrapped' });
      expect(typeof w.body.wrap_info.token).toBe('string');
      expect(typeof w.body.wrap_info.accessor).toBe('string');
      expect(Date.parse(w.body.wrap_info.creation_time)).not.toBeNaN();
      const u = await v.post('sys/wrapping/unwrap', undefined, { token: w.body.wrap_info.token });
      expect(u.status).toBe(200);
      expect(u.body.data.data).toEqual({ secret: 'value' });
      const again = await v.post('sys/wrapping/unwrap', undefined, { token: w.body.wrap_info.token });
      expect(again.status).toBe(400);
      expect(again.body.errors[0]).toMatch(/wrapping token is not valid or does not exist/);
    });

    it('unwrap with {token} in the body, using the caller token', async () => {
      const w = await v.get('secret/data/wrapped', { headers: WRAP });
      const u = await v.post('sys/wrapping/unwrap', { token: w.body.wrap_info.token });
      expect(u.status).toBe(200);
      expect(u.body.data.data).toEqual({ secret: 'value' });
    });

    it('wrapping a token create names the wrapped accessor; unwrap gives the auth block', async () => {
      const w = await v.post('auth/token/create', { policies: ['default'] }, { headers: WRAP });
      expect(w.body.auth).toBeNull();
      expect(w.body.wrap_info.creation_path).toBe('auth/token/create');
      expect(typeof w.body.wrap_info.wrapped_accessor).toBe('string');
      const u = await v.post('sys/wrapping/unwrap', undefined, { token: w.body.wrap_info.token });
      expect(u.body.auth.accessor).toBe(w.body.wrap_info.wrapped_accessor);
      expect((await v.get('auth/token/lookup-self', { token: u.body.auth.client_token })).status).toBe(200);
    });

    it('lookup tells creation path, time and ttl without unwrapping', async () => {
      const w = await v.get('secret/data/wrapped', { headers: WRAP });
      const l = await v.post('sys/wrapping/lookup', { token: w.body.wrap_info.token }, { token: '' });
      expect(l.status).toBe(200);
      expect(l.body.data).toMatchObject({ creation_path: 'secret/data/wrapped', creation_ttl: 60 });
      expect((await v.post('sys/wrapping/unwrap', undefined, { token: w.body.wrap_info.token })).status).toBe(200);
      expect((await v.post('sys/wrapping/lookup', { token: w.body.wrap_info.token }, { token: '' })).status).toBe(400);
    });

    it('sys/wrapping/wrap wraps arbitrary data and requires a wrap TTL', async () => {
      const w = await v.post('sys/wrapping/wrap', { hello: 'world' }, { headers: WRAP });
      expect(w.status).toBe(200);
      expect(w.body.wrap_info.creation_path).toBe('sys/wrapping/wrap');
      const u = await v.post('sys/wrapping/unwrap', undefined, { token: w.body.wrap_info.token });
      expect(u.body.data).toEqual({ hello: 'world' });
      expect((await v.post('sys/wrapping/wrap', { hello: 'world' })).status).toBe(400);
    });

    it('a wrapping token is good for nothing but unwrapping', async () => {
      const w = await v.get('secret/data/wrapped', { headers: WRAP });
      expect((await v.get('secret/data/wrapped', { token: w.body.wrap_info.token })).status).toBe(403);
    });

    it('a bad wrap TTL → 400', async () => {
      expect((await v.get('secret/data/wrapped', { headers: { 'X-Vault-Wrap-TTL': 'soon' } })).status).toBe(400);
    });
  });
}
