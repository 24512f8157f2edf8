// Bad input never yields a 500 or a crash: malformed JSON, wrong types for every field,
// odd methods and paths, across every endpoint family. Each answer is a 2xx/4xx with Vault's
// `{"errors": [...]}` body when it is an error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVaultDev, type VaultDevServer } from './index';
import { vaultClient, type VaultClient } from './testing';

const PATHS = [
  'auth/token/create',
  'auth/token/create-orphan',
  'auth/token/renew-self',
  'auth/token/renew',
  'auth/token/lookup',
  'auth/token/lookup-accessor',
  'auth/token/revoke',
  'auth/token/revoke-accessor',
  'sys/policies/acl/p',
  'sys/policy/p',
  'sys/capabilities-self',
  'sys/capabilities',
  'sys/leases/lookup',
  'sys/leases/renew',
  'sys/leases/revoke',
  'sys/leases/revoke-prefix/x',
  'sys/wrapping/wrap',
  'sys/wrapping/unwrap',
  'sys/wrapping/lookup',
  'sys/wrapping/rewrap',
  'sys/mounts/m',
  'sys/mounts/secret/tune',
  'sys/auth/a',
  'sys/namespaces/n',
  'secret/data/x',
  'secret/metadata/x',
  'secret/delete/x',
  'secret/undelete/x',
  'secret/destroy/x',
  'secret/config',
  'kv/x',
  'cubbyhole/x',
  'auth/userpass/users/u',
  'auth/userpass/users/u/password',
  'auth/userpass/login/u',
  'auth/approle/role/r',
  'auth/approle/role/r/secret-id',
  'auth/approle/role/r/secret-id/lookup',
  'auth/approle/login',
  'auth/jwt/config',
  'auth/jwt/role/r',
  'auth/jwt/login',
  'database/config/c',
  'database/roles/r',
  'database/static-roles/s',
  'database/rotate-role/s',
  'database/rotate-root/c',
  'ssh/config/ca',
  'ssh/roles/r',
  'ssh/sign/r',
];

const FIELDS = [
  'ttl',
  'max_ttl',
  'explicit_max_ttl',
  'period',
  'num_uses',
  'policies',
  'token_policies',
  'meta',
  'metadata',
  'no_parent',
  'renewable',
  'display_name',
  'type',
  'id',
  'token',
  'accessor',
  'increment',
  'lease_id',
  'paths',
  'path',
  'policy',
  'rules',
  'data',
  'options',
  'versions',
  'max_versions',
  'cas_required',
  'delete_version_after',
  'custom_metadata',
  'config',
  'description',
  'password',
  'role_id',
  'secret_id',
  'bind_secret_id',
  'secret_id_ttl',
  'secret_id_num_uses',
  'cidr_list',
  'jwt',
  'role',
  'jwks_url',
  'jwt_validation_pubkeys',
  'bound_audiences',
  'bound_claims',
  'user_claim',
  'claim_mappings',
  'role_type',
  'plugin_name',
  'connection_url',
  'username',
  'allowed_roles',
  'db_name',
  'creation_statements',
  'revocation_statements',
  'default_ttl',
  'rotation_period',
  'generate_signing_key',
  'key_type',
  'key_bits',
  'private_key',
  'public_key',
  'allowed_users',
  'default_extensions',
  'valid_principals',
  'cert_type',
  'extensions',
  'critical_options',
  'key',
  'reset',
];

const WEIRD: unknown[] = [
  {},
  [],
  [{}],
  1.5,
  -1,
  true,
  'x',
  '',
  null,
  { a: { b: [1] } },
  'ten minutes',
  Number.MAX_SAFE_INTEGER + 2,
];
/** The values tried one field at a time (the full list is tried for all fields at once). */
const WEIRD_PER_FIELD: unknown[] = [{ a: [1] }, [{}], -1.5];

const RAW_BODIES = ['{', '[]', '"str"', '123', 'null', '{"a":', '\u0000', '{"data": {"a": 1}', 'true'];

describe('bad input never yields a 500', () => {
  let dev: VaultDevServer;
  let v: VaultClient;
  beforeAll(async () => {
    dev = await startVaultDev({ rootToken: 'root' });
    v = vaultClient(dev.address, dev.rootToken);
    for (const [path, type] of [
      ['userpass', 'userpass'],
      ['approle', 'approle'],
      ['jwt', 'jwt'],
    ])
      await v.post(`sys/auth/${path}`, { type });
    for (const [path, type] of [
      ['kv', 'kv'],
      ['database', 'database'],
      ['ssh', 'ssh'],
    ])
      await v.post(`sys/mounts/${path}`, { type });
  });
  afterAll(async () => {
    await dev?.stop();
  });

  const assertSane = (where: string, r: { status: number; body: unknown; text: string }) => {
    expect(r.status, `${where} → ${r.status} ${r.text.slice(0, 200)}`).toBeLessThan(500);
    // Errors carry `errors`; KV v2 answers some 404s as an envelope with `warnings`, like Vault.
    const b = r.body as { errors?: unknown; warnings?: unknown };
    if (r.status >= 400)
      expect(Array.isArray(b.errors) || Array.isArray(b.warnings), `${where} body ${r.text.slice(0, 200)}`).toBe(true);
  };

  it('malformed JSON bodies → 400 on every endpoint', async () => {
    for (const path of PATHS) {
      for (const raw of RAW_BODIES) {
        const r = await v.call('POST', path, { raw });
        assertSane(`POST ${path} ${JSON.stringify(raw)}`, r);
      }
    }
  });

  it('every field with every wrong type → 2xx/4xx on every endpoint', async () => {
    for (const path of PATHS) {
      for (const weird of WEIRD) {
        const body = Object.fromEntries(FIELDS.map((f) => [f, weird]));
        assertSane(`POST ${path} all=${JSON.stringify(weird)}`, await v.post(path, body));
      }
      for (const weird of WEIRD_PER_FIELD) {
        for (const f of FIELDS) {
          assertSane(`POST ${path} ${f}=${JSON.stringify(weird)}`, await v.post(path, { [f]: weird }));
        }
      }
    }
  }, 240_000);

  it('every method on every endpoint, with and without a token', async () => {
    for (const path of PATHS) {
      for (const method of ['GET', 'LIST', 'DELETE', 'PATCH', 'PUT', 'OPTIONS']) {
        assertSane(`${method} ${path}`, await v.call(method, path));
        assertSane(`${method} ${path} (no token)`, await v.call(method, path, { token: '' }));
        assertSane(`${method} ${path} (bad token)`, await v.call(method, path, { token: 'hvs.bad' }));
      }
    }
  });

  it('odd paths and query strings', async () => {
    for (const path of [
      '',
      '/',
      '//',
      'sys',
      'sys/',
      'auth',
      'auth/',
      'secret',
      'secret/',
      'secret/data',
      'secret/data/',
      '%zz',
      'secret/data/%2F..%2F',
      'sys/health?standbycode=abc',
      'secret/data/x?version=abc',
      'secret/data/x?version=-1',
      `${'a/'.repeat(500)}x`,
    ]) {
      assertSane(`GET ${path}`, await v.get(path));
    }
    const headers = { 'X-Vault-Wrap-TTL': '-5s' };
    assertSane('negative wrap ttl', await v.get('secret/data/x', { headers }));
    assertSane('unknown namespace', await v.get('secret/data/x', { headers: { 'X-Vault-Namespace': 'no/such' } }));
  });
});
