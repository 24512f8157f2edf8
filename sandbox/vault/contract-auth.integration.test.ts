// Contract: auth methods userpass, approle and jwt (keys from a real JWKS endpoint or PEM).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targets, vaultClient, type VaultClient, type VaultTarget } from './testing';

interface Jwks {
  url: string;
  pem: string;
  sign(claims: Record<string, unknown>, opts?: { expiresIn?: string | number; other?: boolean }): Promise<string>;
  close(): Promise<void>;
}

/** A real JWKS endpoint on 127.0.0.1 with one signing key (and a second, unpublished one). */
async function startJwks(): Promise<Jwks> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const other = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/jwks`,
    pem: await exportSPKI(publicKey),
    async sign(claims, opts = {}) {
      const key: CryptoKey = opts.other ? other.privateKey : privateKey;
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer('https://issuer.test')
        .setIssuedAt()
        .setExpirationTime(opts.expiresIn ?? '5m')
        .sign(key);
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

for (const factory of targets()) {
  if (factory.skipReason) console.log(`[contract-auth] skipped "${factory.name}": ${factory.skipReason}`);

  describe.skipIf(factory.skipReason !== undefined)(`contract auth methods (${factory.name})`, () => {
    let target: VaultTarget;
    let v: VaultClient;
    let jwks: Jwks;
    beforeAll(async () => {
      target = await factory.start();
      v = vaultClient(target.address, target.rootToken);
      jwks = await startJwks();
      for (const type of ['userpass', 'approle', 'jwt'])
        expect((await v.post(`sys/auth/${type}`, { type })).status).toBe(204);
      await v.put('sys/policies/acl/dev', { policy: 'path "secret/data/dev/*" { capabilities = ["read"] }' });
    });
    afterAll(async () => {
      await target?.stop();
      await jwks?.close();
    });

    describe('userpass', () => {
      it('login answers the auth block of an orphan token with the user policies', async () => {
        expect(
          (await v.post('auth/userpass/users/alice', { password: 's3cret', token_policies: 'dev', token_ttl: '1h' }))
            .status,
        ).toBe(204);
        const r = await v.post('auth/userpass/login/alice', { password: 's3cret' }, { token: '' });
        expect(r.status).toBe(200);
        expect(r.body.auth).toMatchObject({
          policies: ['default', 'dev'],
          token_policies: ['default', 'dev'],
          metadata: { username: 'alice' },
          lease_duration: 3600,
          renewable: true,
          orphan: true,
          token_type: 'service',
        });
        const me = await v.get('auth/token/lookup-self', { token: r.body.auth.client_token });
        expect(me.body.data).toMatchObject({
          path: 'auth/userpass/login/alice',
          display_name: 'userpass-alice',
          meta: { username: 'alice' },
        });
        expect((await v.post('auth/token/renew-self', {}, { token: r.body.auth.client_token })).status).toBe(200);
      });

      it('wrong password or unknown user → 400 invalid username or password', async () => {
        const wrong = await v.post('auth/userpass/login/alice', { password: 'nope' }, { token: '' });
        expect(wrong.status).toBe(400);
        expect(wrong.body.errors).toEqual(['invalid username or password']);
        const unknown = await v.post('auth/userpass/login/nobody', { password: 'x' }, { token: '' });
        expect(unknown.status).toBe(400);
        expect(unknown.body.errors).toEqual(['invalid username or password']);
      });

      it('a user can be read (no password), listed and deleted; a deleted user cannot renew', async () => {
        await v.post('auth/userpass/users/bob', { password: 'pw', token_policies: ['dev'] });
        const login = await v.post('auth/userpass/login/bob', { password: 'pw' }, { token: '' });
        const read = await v.get('auth/userpass/users/bob');
        expect(read.body.data.token_policies).toEqual(['dev']);
        expect(read.body.data).not.toHaveProperty('password');
        expect((await v.list('auth/userpass/users')).body.data.keys).toEqual(expect.arrayContaining(['alice', 'bob']));
        expect((await v.del('auth/userpass/users/bob')).status).toBe(204);
        const renew = await v.post('auth/token/renew-self', {}, { token: login.body.auth.client_token });
        expect(renew.status).toBeGreaterThanOrEqual(400);
      });
    });

    describe('approle', () => {
      it('role → role-id + secret-id → login with role_name metadata', async () => {
        expect(
          (await v.post('auth/approle/role/ci', { token_policies: ['dev'], token_ttl: '20m', secret_id_num_uses: 2 }))
            .status,
        ).toBe(204);
        const roleId = (await v.get('auth/approle/role/ci/role-id')).body.data.role_id as string;
        const sid = await v.post('auth/approle/role/ci/secret-id', { metadata: JSON.stringify({ pipeline: '42' }) });
        expect(sid.status).toBe(200);
        expect(sid.body.data).toMatchObject({ secret_id_num_uses: 2, secret_id_ttl: 0 });
        const secretId = sid.body.data.secret_id as string;
        const r = await v.post('auth/approle/login', { role_id: roleId, secret_id: secretId }, { token: '' });
        expect(r.status).toBe(200);
        expect(r.body.auth).toMatchObject({
          policies: ['default', 'dev'],
          lease_duration: 1200,
          metadata: { role_name: 'ci', pipeline: '42' },
        });
        const lookup = await v.post('auth/approle/role/ci/secret-id/lookup', { secret_id: secretId });
        expect(lookup.body.data).toMatchObject({ secret_id_num_uses: 1, metadata: { pipeline: '42' } });
        expect(
          (await v.post('auth/approle/login', { role_id: roleId, secret_id: secretId }, { token: '' })).status,
        ).toBe(200);
        const used = await v.post('auth/approle/login', { role_id: roleId, secret_id: secretId }, { token: '' });
        expect(used.status).toBe(400);
        expect(used.body.errors[0]).toMatch(/invalid role or secret ID/);
      });

      it('bad logins → 400', async () => {
        const roleId = (await v.get('auth/approle/role/ci/role-id')).body.data.role_id as string;
        expect(
          (await v.post('auth/approle/login', { role_id: roleId, secret_id: 'wrong' }, { token: '' })).status,
        ).toBe(400);
        expect((await v.post('auth/approle/login', { role_id: 'unknown', secret_id: 'x' }, { token: '' })).status).toBe(
          400,
        );
        expect((await v.post('auth/approle/login', {}, { token: '' })).status).toBe(400);
        expect((await v.post('auth/approle/login', { role_id: roleId }, { token: '' })).status).toBe(400);
      });

      it('a destroyed secret-id no longer logs in; an unknown role → 400 or 404', async () => {
        const roleId = (await v.get('auth/approle/role/ci/role-id')).body.data.role_id as string;
        const secretId = (await v.post('auth/approle/role/ci/secret-id')).body.data.secret_id as string;
        expect((await v.post('auth/approle/role/ci/secret-id/destroy', { secret_id: secretId })).status).toBe(204);
        expect(
          (await v.post('auth/approle/login', { role_id: roleId, secret_id: secretId }, { token: '' })).status,
        ).toBe(400);
        expect((await v.get('auth/approle/role/none')).status).toBe(404);
        expect((await v.get('auth/approle/role/none/role-id')).status).toBe(400);
      });
    });

    describe('jwt', () => {
      beforeAll(async () => {
        expect(
          (await v.post('auth/jwt/config', { jwks_url: jwks.url, bound_issuer: 'https://issuer.test' })).status,
        ).toBe(204);
        const role = {
          role_type: 'jwt',
          bound_audiences: ['sesame'],
          user_claim: 'email',
          bound_claims: { groups: ['dev'] },
          claim_mappings: { team: 'team' },
          token_policies: ['dev'],
          token_ttl: '10m',
        };
        expect((await v.post('auth/jwt/role/dev', role)).status).toBe(204);
      });

      it('login with a JWT signed by the JWKS key maps claims to policies and metadata', async () => {
        const jwt = await jwks.sign({
          aud: 'sesame',
          sub: 'u1',
          email: 'ann@example.com',
          groups: ['dev', 'x'],
          team: 'blue',
        });
        const r = await v.post('auth/jwt/login', { role: 'dev', jwt }, { token: '' });
        expect(r.status).toBe(200);
        expect(r.body.auth).toMatchObject({
          policies: ['default', 'dev'],
          lease_duration: 600,
          metadata: { role: 'dev', team: 'blue' },
          orphan: true,
        });
      });

      it('refuses a wrong audience, a foreign signature, an unbound claim, an expired token', async () => {
        const cases = [
          await jwks.sign({ aud: 'other', email: 'a@b', groups: ['dev'] }),
          await jwks.sign({ aud: 'sesame', email: 'a@b', groups: ['dev'] }, { other: true }),
          await jwks.sign({ aud: 'sesame', email: 'a@b', groups: ['ops'] }),
          await jwks.sign(
            { aud: 'sesame', email: 'a@b', groups: ['dev'] },
            { expiresIn: Math.floor(Date.now() / 1000) - 3600 },
          ),
          'not-a-jwt',
        ];
        for (const jwt of cases) {
          const r = await v.post('auth/jwt/login', { role: 'dev', jwt }, { token: '' });
          expect(r.status).toBe(400);
          expect(r.body.errors.length).toBe(1);
        }
      });

      it('a missing user claim, an unknown role, a missing role → 400', async () => {
        const noEmail = await jwks.sign({ aud: 'sesame', groups: ['dev'] });
        expect((await v.post('auth/jwt/login', { role: 'dev', jwt: noEmail }, { token: '' })).status).toBe(400);
        const ok = await jwks.sign({ aud: 'sesame', email: 'a@b', groups: ['dev'] });
        expect((await v.post('auth/jwt/login', { role: 'nope', jwt: ok }, { token: '' })).status).toBe(400);
        expect((await v.post('auth/jwt/login', { jwt: ok }, { token: '' })).status).toBe(400);
      });

      it('roles need a user claim and a bound constraint; config needs one key source', async () => {
        expect((await v.post('auth/jwt/role/bad', { role_type: 'jwt', bound_audiences: ['x'] })).status).toBe(400);
        expect((await v.post('auth/jwt/role/bad', { role_type: 'jwt', user_claim: 'sub' })).status).toBe(400);
        expect((await v.post('auth/jwt/config', {})).status).toBe(400);
        expect((await v.post('sys/auth/jwt-down', { type: 'jwt' })).status).toBe(204);
        expect((await v.post('auth/jwt-down/config', { jwks_url: 'http://127.0.0.1:1/jwks' })).status).toBe(400);
      });

      it('PEM keys work as well (jwt_validation_pubkeys)', async () => {
        expect((await v.post('sys/auth/jwt-pem', { type: 'jwt' })).status).toBe(204);
        expect((await v.post('auth/jwt-pem/config', { jwt_validation_pubkeys: [jwks.pem] })).status).toBe(204);
        expect(
          (
            await v.post('auth/jwt-pem/role/r', {
              role_type: 'jwt',
              bound_audiences: 'sesame',
              user_claim: 'sub',
              token_policies: 'dev',
            })
          ).status,
        ).toBe(204);
        const jwt = await jwks.sign({ aud: 'sesame', sub: 'svc-1' });
        const r = await v.post('auth/jwt-pem/login', { role: 'r', jwt }, { token: '' });
        expect(r.status).toBe(200);
        const me = await v.get('auth/token/lookup-self', { token: r.body.auth.client_token });
        expect(me.body.data.display_name).toBe('jwt-pem-svc-1');
      });
    });
  });
}
