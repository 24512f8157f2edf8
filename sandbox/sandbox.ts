// The sandbox: a working Sesame world on loopback — the Vault dev server, an OIDC identity
// provider, real PostgreSQL, MariaDB and sshd, Vault seeded as an operator would, and a Sesame
// config that uses them — for tests, benchmarks, e2e and `sesame sandbox`.
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import { startOidcProvider, type OidcProvider } from './oidc';
import { seedAuth, seedDatabase, seedSshCa, VaultSeeder } from './seed';
import {
  createTempDir,
  freePort,
  onCleanup,
  randomPassword,
  removeTempDir,
  startMariaDb,
  startPostgres,
  startSshd,
  type MariaDbServer,
  type PostgresServer,
  type SshdServer,
} from './servers';
import { startVaultDev, type VaultDevServer } from './vault';

export interface SandboxConnection {
  name: string;
  protocol: string;
  listen: string;
}

export interface Sandbox {
  dir: string;
  vaultAddr: string;
  rootToken: string;
  configPath: string;
  connections: SandboxConnection[];
  postgres: PostgresServer;
  mariadb: MariaDbServer;
  sshd: SshdServer;
  vault: VaultDevServer;
  idp: OidcProvider;
  /** The application user whose credentials live in Vault KV (for assertions in tests). */
  postgresAppUser: string;
  logins: Awaited<ReturnType<typeof seedAuth>>;
  /** Everything a script needs, as `sesame sandbox --json` prints it. */
  describe(): Record<string, unknown>;
  stop(): Promise<void>;
}

export interface SandboxOptions {
  log?: { info(message: string, fields?: Record<string, unknown>): void };
}

const APP_USER = 'sandbox_app';

async function createPostgresAppUser(postgres: PostgresServer, password: string) {
  const admin = new pg.Client({
    host: postgres.host,
    port: postgres.port,
    user: postgres.adminUser,
    password: postgres.adminPassword,
    database: 'postgres',
  });
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE ${APP_USER} LOGIN PASSWORD '${password}'`);
    await admin.query(`CREATE DATABASE sandbox OWNER ${APP_USER}`);
  } finally {
    await admin.end();
  }
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const dir = createTempDir('sandbox');
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const fn of stops.splice(0).reverse()) await fn().catch(() => {});
    removeTempDir(dir);
  };
  const unregister = onCleanup(() => void stop());
  const started = <T extends { stop(): Promise<void> }>(server: T) => (stops.push(() => server.stop()), server);
  try {
    const [postgres, mariadb, vault, idp] = await Promise.all([
      startPostgres().then(started),
      startMariaDb().then(started),
      startVaultDev().then(started),
      startOidcProvider().then(started),
    ]);
    options.log?.info('servers ready', {
      vault: vault.address,
      postgres: postgres.port,
      mariadb: mariadb.port,
      idp: idp.issuer,
    });
    const seeder = new VaultSeeder(vault.address, vault.rootToken);

    const appPassword = randomPassword();
    await createPostgresAppUser(postgres, appPassword);
    await seeder.write('secret/data/sandbox/postgres', { data: { username: APP_USER, password: appPassword } });

    const client = idp.clients[0]!;
    const logins = await seedAuth(seeder, {
      issuer: idp.issuer,
      clientId: client.clientId,
      clientSecret: client.clientSecret,
    });

    await seeder.write('sys/mounts/database', { type: 'database' });
    await seedDatabase(seeder, {
      plugin: 'postgresql-database-plugin',
      name: 'sandbox-postgres',
      connectionUrl: `postgresql://{{username}}:{{password}}@${postgres.host}:${postgres.port}/sandbox`,
      username: postgres.adminUser,
      password: postgres.adminPassword,
      role: 'sandbox-postgres',
      creation: [
        `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE ${APP_USER};`,
      ],
      revocation: [`DROP ROLE IF EXISTS "{{name}}";`],
    });
    await seedDatabase(seeder, {
      plugin: 'mysql-database-plugin',
      name: 'sandbox-mariadb',
      connectionUrl: `{{username}}:{{password}}@tcp(${mariadb.host}:${mariadb.port})/`,
      username: mariadb.adminUser,
      password: mariadb.adminPassword,
      role: 'sandbox-mariadb',
      creation: [`CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';`, `GRANT SELECT ON *.* TO '{{name}}'@'%';`],
      revocation: [`DROP USER IF EXISTS '{{name}}'@'%';`],
    });

    const sshd = await startSshd({
      trustedUserCaKeys: [await seedSshCa(seeder, (await import('node:os')).userInfo().username)],
    }).then(started);

    const tokenFile = path.join(dir, 'vault-token');
    await writeFile(tokenFile, `${vault.rootToken}\n`, { mode: 0o600 });
    const connections: SandboxConnection[] = [
      { name: 'sandbox-postgres', protocol: 'postgres', listen: `127.0.0.1:${await freePort()}` },
      { name: 'sandbox-postgres-dynamic', protocol: 'postgres', listen: `127.0.0.1:${await freePort()}` },
      { name: 'sandbox-mariadb', protocol: 'mysql', listen: `127.0.0.1:${await freePort()}` },
      { name: 'sandbox-ssh', protocol: 'ssh', listen: `127.0.0.1:${await freePort()}` },
    ];
    const agentAddr = `127.0.0.1:${await freePort()}`;
    const config = {
      vault: { address: vault.address, auth: { method: 'token', tokenFile } },
      // The Vault-Agent-compatible caching proxy: VAULT_AGENT_ADDR=http://<this> for the vault CLI.
      agent: { listen: agentAddr },
      connections: [
        {
          name: 'sandbox-postgres',
          protocol: 'postgres',
          listen: connections[0]!.listen,
          target: { host: postgres.host, port: postgres.port, database: 'sandbox', sslmode: 'disable' },
          credentials: { from: 'vault-kv', path: 'secret/sandbox/postgres' },
        },
        {
          // A fresh database user for every client, dropped when it disconnects.
          name: 'sandbox-postgres-dynamic',
          protocol: 'postgres',
          listen: connections[1]!.listen,
          target: { host: postgres.host, port: postgres.port, database: 'sandbox', sslmode: 'disable' },
          credentials: { from: 'vault-dynamic', path: 'database/creds/sandbox-postgres', lease: 'per-connection' },
        },
        {
          name: 'sandbox-mariadb',
          protocol: 'mysql',
          listen: connections[2]!.listen,
          target: { host: mariadb.host, port: mariadb.port, sslmode: 'disable' },
          credentials: { from: 'vault-dynamic', path: 'database/creds/sandbox-mariadb', lease: 'shared' },
        },
        {
          // A short-lived certificate from Vault's SSH CA for every session; sshd trusts the CA.
          name: 'sandbox-ssh',
          protocol: 'ssh',
          listen: connections[3]!.listen,
          target: { host: sshd.host, port: sshd.port, user: sshd.user, hostKey: sshd.hostPublicKey },
          credentials: {
            from: 'vault-ssh-sign',
            mount: 'ssh-client-signer',
            role: 'dev',
            principals: [sshd.user],
            ttl: '5m',
          },
        },
      ],
    };
    const configPath = path.join(dir, 'sesame.yaml');
    await writeFile(configPath, `# Written by the Sesame sandbox; removed when it stops.\n${stringify(config)}`, {
      mode: 0o600,
    });
    await chmod(dir, 0o700);

    const user = idp.users[0]!;
    return {
      dir,
      vaultAddr: vault.address,
      rootToken: vault.rootToken,
      configPath,
      connections,
      postgres,
      mariadb,
      sshd,
      vault,
      idp,
      postgresAppUser: APP_USER,
      logins,
      describe: () => ({
        vaultAddr: vault.address,
        agentAddr: `http://${agentAddr}`,
        rootToken: vault.rootToken,
        configPath,
        connections,
        postgres: {
          host: postgres.host,
          port: postgres.port,
          adminUser: postgres.adminUser,
          adminPassword: postgres.adminPassword,
          database: 'sandbox',
        },
        mariadb: {
          host: mariadb.host,
          port: mariadb.port,
          adminUser: mariadb.adminUser,
          adminPassword: mariadb.adminPassword,
        },
        sshd: { host: sshd.host, port: sshd.port, user: sshd.user, knownHostsLine: sshd.knownHostsLine },
        oidc: {
          issuer: idp.issuer,
          username: user.username,
          password: user.password,
          role: logins.oidcRole,
          mount: 'oidc',
        },
        userpass: { mount: 'userpass', ...logins.userpass },
        approle: logins.approle,
        database: { mount: 'database', roles: ['sandbox-postgres', 'sandbox-mariadb'] },
        ssh: { mount: 'ssh-client-signer', role: 'dev' },
      }),
      async stop() {
        unregister();
        await stop();
      },
    };
  } catch (error) {
    unregister();
    await stop();
    throw error;
  }
}
