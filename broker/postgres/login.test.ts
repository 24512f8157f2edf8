import { describe, expect, it } from 'vitest';
import { CredentialError } from '../connector-kit';
import { SqlState } from './errors';
import { buildBackendLogin } from './login';
import { resolvePostgresTarget, type PostgresTarget } from './target';

const credential = (values: Record<string, string>) => ({ path: 'secret/data/orders-db', values });
const client = (entries: Record<string, string>) => new Map(Object.entries(entries));
const login = (
  target: Partial<PostgresTarget>,
  params: Record<string, string>,
  values: Record<string, string>,
  source = 'vault-kv secret/data/orders-db',
) =>
  buildBackendLogin(
    resolvePostgresTarget({ host: 'db', port: 5432, ...target }),
    client(params),
    credential(values),
    source,
  );

describe('backend login', () => {
  it("uses the credential's username and password and relays the other startup parameters", () => {
    const result = login(
      {},
      { user: 'me', database: 'shop', application_name: 'psql', options: '-c x=1' },
      { username: 'app', password: 'pw' },
    );
    expect(result).toEqual({
      user: 'app',
      password: 'pw',
      database: 'shop',
      parameters: client({ application_name: 'psql', options: '-c x=1' }),
    });
  });

  it("accepts 'user' as the username key, lets target.user override, or takes the client's user", () => {
    expect(login({}, { user: 'me' }, { user: 'legacy', password: 'pw' }).user).toBe('legacy');
    expect(login({ user: 'fixed' }, { user: 'me' }, { username: 'app', password: 'pw' }).user).toBe('fixed');
    expect(login({ userFrom: 'client' }, { user: 'me' }, { password: 'pw' }).user).toBe('me');
  });

  it('chooses the database per databaseFrom', () => {
    const values = { username: 'app', password: 'pw' };
    // Unset: the client's explicit database wins; libpq's implied default (= user) yields to config.
    expect(login({ database: 'orders' }, { user: 'me', database: 'shop' }, values).database).toBe('shop');
    expect(login({ database: 'orders' }, { user: 'me', database: 'me' }, values).database).toBe('orders');
    expect(login({}, { user: 'me', database: 'me' }, values).database).toBe('me');
    expect(
      login({ database: 'orders', databaseFrom: 'config' }, { user: 'me', database: 'shop' }, values).database,
    ).toBe('orders');
    expect(login({ database: 'orders', databaseFrom: 'client' }, { user: 'me', database: 'me' }, values).database).toBe(
      'me',
    );
    expect(login({ database: 'orders', databaseFrom: 'client' }, { user: 'me' }, values).database).toBe('orders');
    expect(login({}, { user: 'me' }, values).database).toBeUndefined();
  });

  it('names the secret path and the missing field, never a value', () => {
    expect(() => login({}, { user: 'me' }, { username: 'app' })).toThrow(
      new CredentialError('unusable', "the Vault secret at secret/data/orders-db has no 'password' field", undefined, {
        code: SqlState.invalidAuthorization,
      }),
    );
    expect(() => login({}, { user: 'me' }, { username: 'app', password: '' })).toThrow(/has an empty 'password' field/);
    expect(() => login({}, { user: 'me' }, { password: 'hunter2' })).toThrow(
      /secret\/data\/orders-db has no 'username' field/,
    );
    expect(() => login({}, { user: 'me' }, { password: 'hunter2' }, 'env SESAME_PG')).toThrow(
      /^the credential at secret\/data\/orders-db/,
    );
    expect(() => login({ userFrom: 'client' }, {}, { password: 'hunter2' })).toThrow(/names no user/);
  });
});
