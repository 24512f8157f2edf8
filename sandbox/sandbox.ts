// The sandbox: a working Sesame world on loopback — a Vault dev server, a real PostgreSQL and
// a Sesame config that connects them — for tests, benchmarks, e2e and `sesame sandbox`.
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import { createTempDir, freePort, onCleanup, randomPassword, removeTempDir, startPostgres, type PostgresServer } from './servers';
import { startVaultDev, type VaultDevServer } from './vault';

export interface SandboxConnection {
  name: string;
  protocol: 'postgres';
  listen: string;
}

export interface Sandbox {
  dir: string;
  vaultAddr: string;
  rootToken: string;
  configPath: string;
  connections: SandboxConnection[];
  postgres: PostgresServer;
  vault: VaultDevServer;
  /** The application user whose credentials live in Vault KV (for assertions in tests). */
  postgresAppUser: string;
  /** Everything a script needs, as `sesame sandbox --json` prints it. */
  describe(): Record<string, unknown>;
  stop(): Promise<void>;
}

export interface SandboxOptions {
  log?: { info(message: string, fields?: Record<string, unknown>): void };
}

/** Vault request as the root token; the sandbox seeds through Vault's own HTTP API. */
async function vaultWrite(vault: VaultDevServer, apiPath: string, body: unknown): Promise<void> {
  const response = await fetch(`${vault.address}/v1/${apiPath}`, {
    method: 'POST',
    headers: { 'X-Vault-Token': vault.rootToken, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`seeding Vault at ${apiPath} failed: ${response.status} ${await response.text()}`);
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const dir = createTempDir('sandbox');
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const fn of stops.splice(0).reverse()) await fn().catch(() => {});
    removeTempDir(dir);
  };
  const unregister = onCleanup(() => void stop());
  try {
    const [postgres, vault] = await Promise.all([startPostgres(), startVaultDev()]);
    stops.push(() => postgres.stop(), () => vault.stop());
    options.log?.info('servers ready', { vault: vault.address, postgres: `${postgres.host}:${postgres.port}` });

    // A database and an application role whose password only Vault knows.
    const appUser = 'sandbox_app';
    const appPassword = randomPassword();
    const admin = new pg.Client({ host: postgres.host, port: postgres.port, user: postgres.adminUser, password: postgres.adminPassword, database: 'postgres' });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ${appUser} LOGIN PASSWORD '${appPassword}'`);
      await admin.query(`CREATE DATABASE sandbox OWNER ${appUser}`);
    } finally {
      await admin.end();
    }
    await vaultWrite(vault, 'secret/data/sandbox/postgres', { data: { username: appUser, password: appPassword } });

    const tokenFile = path.join(dir, 'vault-token');
    await writeFile(tokenFile, `${vault.rootToken}\n`, { mode: 0o600 });
    const connections: SandboxConnection[] = [{ name: 'sandbox-postgres', protocol: 'postgres', listen: `127.0.0.1:${await freePort()}` }];
    const config = {
      vault: { address: vault.address, auth: { method: 'token', tokenFile } },
      connections: [
        {
          name: 'sandbox-postgres',
          protocol: 'postgres',
          listen: connections[0]!.listen,
          target: { host: postgres.host, port: postgres.port, database: 'sandbox', sslmode: 'disable' },
          credentials: { from: 'vault-kv', path: 'secret/sandbox/postgres' },
        },
      ],
    };
    const configPath = path.join(dir, 'sesame.yaml');
    await writeFile(configPath, `# Written by the Sesame sandbox; removed when it stops.\n${stringify(config)}`, { mode: 0o600 });
    await chmod(dir, 0o700);

    return {
      dir,
      vaultAddr: vault.address,
      rootToken: vault.rootToken,
      configPath,
      connections,
      postgres,
      vault,
      postgresAppUser: appUser,
      describe: () => ({
        vaultAddr: vault.address,
        rootToken: vault.rootToken,
        configPath,
        connections,
        postgres: { host: postgres.host, port: postgres.port, adminUser: postgres.adminUser, adminPassword: postgres.adminPassword, database: 'sandbox' },
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
