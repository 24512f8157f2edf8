// Importing Secretless's secretless.yml (version 2): realistic files modeled on Secretless's own
// docs and fixtures become valid Sesame configs; what Sesame cannot express is refused with
// the file, line, service and field.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, importSecretless, parseConfig } from '.';

const FIXTURES = path.join(import.meta.dirname, 'fixtures', 'secretless');
const env = { VAULT_ADDR: 'https://vault.example.com:8200' };
const importFixture = (name: string, options = {}) => {
  const file = path.join(FIXTURES, name);
  return importSecretless(readFileSync(file, 'utf8'), file, { env, ...options });
};
function problemsOf(run: () => unknown) {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected the import to be refused');
}

describe('secretless.yml import', () => {
  it('pg with a fixed user and the password from the environment; TLS verified with the CA file', () => {
    const { config, notes, text } = importFixture('pg-env-password.yml');
    expect(config.vault.address).toBe('https://vault.example.com:8200');
    expect(config.connections).toEqual([
      expect.objectContaining({
        name: 'pg-db',
        protocol: 'postgres',
        listen: '127.0.0.1:5432',
        target: {
          host: 'postgres.my-service.internal',
          port: 5432,
          sslmode: 'verify-full',
          caCert: '/etc/secretless/pg-ca.pem',
        },
        credentials: { from: 'env', fields: { password: 'PG_PASSWORD' }, values: { username: 'my-service' } },
      }),
    ]);
    expect(notes.join('\n')).toMatch(/pg-db: listens on 127\.0\.0\.1:5432 instead of tcp:\/\/0\.0\.0\.0:5432/);
    // The written text is the same config, with the notes as comments.
    expect(parseConfig(text, 'imported.yaml')).toEqual(config);
    expect(text).toMatch(/^# Imported by Sesame from .*pg-env-password\.yml\.\n# note: /);
  });

  it('pg on a unix socket with both credentials from one Vault KV v2 secret', () => {
    const { config } = importFixture('pg-socket-vault.yml');
    expect(config.connections[0]).toMatchObject({
      name: 'orders_pg',
      listen: 'unix:/sock/.s.PGSQL.5432',
      target: { host: 'orders-db.internal', port: 6432, database: 'orders', sslmode: 'require' },
      credentials: { from: 'vault-kv', path: 'secret/orders-db', version: 2 },
    });
    expect(config.connections[0]?.credentials).not.toHaveProperty('fields');
  });

  it('mysql with a KV v1 secret whose keys have other names, and verify-full → verify-identity', () => {
    const { config, notes } = importFixture('mysql-kv1.yml');
    expect(config.connections[0]).toMatchObject({
      name: 'inventory-mysql',
      protocol: 'mysql',
      listen: '127.0.0.1:3306',
      target: {
        host: 'mysql.my-service.internal',
        port: 3306,
        sslmode: 'verify-identity',
        caCert: '/etc/ssl/mysql-ca.pem',
      },
      credentials: {
        from: 'vault-kv',
        path: 'kv/inventory/mysql',
        version: 1,
        fields: { username: 'user', password: 'pass' },
      },
    });
    expect(notes).toContain(
      'inventory-mysql: kv/inventory/mysql is read as a KV version 1 secret (its id has no data/ segment)',
    );
  });

  it('ssh with a pinned host key, and one without: root and known_hosts, both said in notes', () => {
    const { config, notes } = importFixture('ssh.yml');
    expect(config.connections).toEqual([
      expect.objectContaining({
        name: 'bastion',
        protocol: 'ssh',
        listen: '127.0.0.1:2222',
        target: {
          host: 'bastion.myorg.com',
          port: 22,
          user: 'deploy',
          hostKey: expect.stringMatching(/^ssh-ed25519 AAAA/),
        },
        credentials: { from: 'file', fields: { private_key: '/secrets/id_ed25519' } },
        clientAuth: { method: 'none' },
      }),
      expect.objectContaining({
        name: 'legacy-box',
        target: { host: 'legacy.myorg.com', port: 22, user: 'root', knownHosts: '~/.ssh/known_hosts' },
        credentials: { from: 'env', fields: { private_key: 'LEGACY_SSH_KEY' } },
      }),
    ]);
    expect(notes).toContain("legacy-box: logs in as root (Secretless's default user)");
    expect(notes.join('\n')).toMatch(
      /legacy-box: Secretless accepted any host key; Sesame checks legacy\.myorg\.com against ~\/\.ssh\/known_hosts/,
    );
  });

  it('ssh-agent on a unix socket with the key from a file and its options', () => {
    const { config } = importFixture('ssh-agent.yml');
    expect(config.connections[0]).toMatchObject({
      name: 'sshagent',
      protocol: 'ssh-agent',
      listen: 'unix:/sock/.agent',
      key: { comment: 'deploy key', lifetime: 3_600_000, confirm: true },
      credentials: { from: 'file', fields: { private_key: '/id_insecure' } },
    });
  });

  it('the dev fixtures: literal providers, empty TLS settings, protocol "" and config: null', () => {
    const { config, notes } = importFixture('dev-services.yml');
    expect(config.connections.map((c) => [c.name, c.protocol, c.listen])).toEqual([
      ['health-check', 'mysql', 'unix:/sock/mysql.sock'],
      ['pg_no_tls', 'postgres', '127.0.0.1:6666'],
    ]);
    expect(config.connections[1]).toMatchObject({
      target: { host: 'pg_no_tls', port: 5432, sslmode: 'disable' },
      credentials: { from: 'literal', values: { username: 'test', password: 'test' } },
    });
    expect(config.connections[0]).toMatchObject({ target: { host: 'mysql', port: 3306, sslmode: 'required' } });
    expect(notes.filter((n) => /literal values in the file/.test(n))).toHaveLength(2);
  });

  it('refuses what Sesame cannot express, each with file, line, service and field', () => {
    const problems = problemsOf(() => importFixture('unsupported.yml'));
    const byField = Object.fromEntries(problems.map((p) => [p.field, p]));
    expect(byField['services.http_basic_auth.connector']).toMatchObject({
      line: 5,
      message: expect.stringMatching(/'basic_auth' connector is not supported/),
    });
    expect(byField['services.conjur-pg.credentials.password.from']).toMatchObject({
      line: 19,
      message: expect.stringMatching(/'conjur' provider is not supported/),
    });
    expect(byField['services.mixed-pg.credentials']?.message).toMatch(
      /several providers \(username from env, password from vault\)/,
    );
    expect(byField['services.client-cert-mysql.credentials.sslcert']?.message).toMatch(/sslcert is not supported/);
    expect(byField['services.dynamic-pg.credentials.username.get']?.message).toMatch(/dynamic secret/);
    expect(problems).toHaveLength(5);
  });

  it('with skipUnsupported, imports the rest and lists what was left out', () => {
    const file = path.join(FIXTURES, 'mixed.yml');
    const text = `${readFileSync(path.join(FIXTURES, 'pg-env-password.yml'), 'utf8')}  web:\n    connector: generic_http\n    listenOn: tcp://0.0.0.0:8080\n`;
    expect(() => importSecretless(text, file, { env })).toThrow(
      /services\.web\.connector: the 'generic_http' connector is not supported/,
    );
    const result = importSecretless(text, file, { env, skipUnsupported: true });
    expect(result.config.connections.map((c) => c.name)).toEqual(['pg-db']);
    expect(result.skipped).toEqual([{ service: 'web', reason: expect.stringMatching(/generic_http/) }]);
    expect(result.text).toContain('# skipped: web:');
  });

  it.each([
    ['a version 1 file', 'listeners:\n  - name: pg\n    protocol: pg\n', /version 1 file/],
    ['a missing version', 'services: {}\n', /version: expected version: 2/],
    ['no services', 'version: 2\n', /services: expected a map of services/],
    [
      'a bad listenOn',
      'version: 2\nservices:\n  pg:\n    connector: pg\n    listenOn: 5432\n    credentials: { host: h, username: u, password: p }\n',
      /:5:15: services\.pg\.listenOn: expected tcp:\/\/HOST:PORT/,
    ],
    [
      'an unknown credential',
      'version: 2\nservices:\n  pg:\n    connector: pg\n    listenOn: tcp://:5432\n    credentials: { host: h, username: u, password: p, colour: blue }\n',
      /services\.pg\.credentials\.colour: unknown credential for the pg connector/,
    ],
    [
      'a password missing',
      'version: 2\nservices:\n  pg:\n    connector: pg\n    listenOn: tcp://:5432\n    credentials: { host: h, username: u }\n',
      /services\.pg\.credentials\.password: is required/,
    ],
    [
      'a host from a provider',
      'version: 2\nservices:\n  pg:\n    connector: pg\n    listenOn: tcp://:5432\n    credentials: { host: { from: env, get: PG_HOST }, username: u, password: p }\n',
      /services\.pg\.credentials\.host: comes from env \(PG_HOST\)/,
    ],
    ['YAML syntax', 'version: 2\nservices: [\n', /YAML syntax/],
  ])('refuses %s clearly', (_kind, text, message) => {
    expect(() => importSecretless(text, '/tmp/secretless.yml', { env })).toThrow(message);
  });
});
