// MariaDB failing under an active MySQL broker whose credential is a Vault-issued database user
// (vault-dynamic, one shared lease): mariadbd SIGKILLed (its process group) and restarted on the
// same port and data dir. The open session ends with an error, new clients get an ERR packet
// naming the connection while it is down (no hang), and after the restart a real query runs as
// the user Vault issued. Nothing is left behind: no session, descriptor, socket or timer.
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVaultDynamicFetcher, type DynamicLeaseEvent, type VaultDynamicFetcher } from '../broker/credentials';
import { createMysqlConnector } from '../broker/mysql';
import { runMariadbCli } from '../broker/mysql/testing';
import { createVaultClient } from '../broker/vault';
import { seedDatabase, VaultSeeder } from '../sandbox/seed';
import { isPortOpen, startMariaDb, type MariaDbServer } from '../sandbox/servers';
import { startVaultDev, type VaultDevServer } from '../sandbox/vault';
import { countResources, expectReleased, type ResourceCounts } from './testing/leaks';
import { serveConnector, type ServedConnector } from './testing/serve-connector';

const ROLE_PATH = 'database/creds/orders';

describe('MariaDB failing under an active MySQL broker', () => {
  let vaultServer: VaultDevServer;
  let server: MariaDbServer;
  let fetcher: VaultDynamicFetcher;
  let broker: ServedConnector;
  let baseline: ResourceCounts;
  const leaseEvents: DynamicLeaseEvent[] = [];
  /** What the real mariadb CLI printed while the backend was down. */
  let cliWhileDown = '';

  beforeAll(async () => {
    [vaultServer, server] = await Promise.all([startVaultDev(), startMariaDb()]);
    const seeder = new VaultSeeder(vaultServer.address, vaultServer.rootToken);
    await seeder.write('sys/mounts/database', { type: 'database' });
    await seedDatabase(seeder, {
      plugin: 'mysql-database-plugin',
      name: 'orders',
      connectionUrl: `{{username}}:{{password}}@tcp(${server.host}:${server.port})/`,
      username: server.adminUser,
      password: server.adminPassword,
      role: 'orders',
      creation: [`CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';`, `GRANT SELECT ON *.* TO '{{name}}'@'%';`],
      revocation: [`DROP USER IF EXISTS '{{name}}'@'%';`],
    });
    baseline = countResources();
    const vault = createVaultClient({ address: vaultServer.address, attempts: 1 });
    fetcher = createVaultDynamicFetcher(
      vault,
      { token: async () => vaultServer.rootToken },
      { path: ROLE_PATH, lease: 'shared', onLease: (e) => void leaseEvents.push(e) },
    );
    const connector = createMysqlConnector({
      host: server.host,
      port: server.port,
      sslmode: 'disable',
      timeouts: { handshakeMs: 3_000 },
    });
    broker = await serveConnector(connector, fetcher, 'orders-mysql');
  });

  afterAll(async () => {
    await broker?.close();
    await fetcher?.close();
    await server?.stop();
    await vaultServer?.stop();
  });

  const connect = () =>
    mysql.createConnection({ host: '127.0.0.1', port: broker.port, user: 'whoever', connectTimeout: 30_000 });

  async function whoAmI(): Promise<string> {
    const connection = await connect();
    try {
      const [rows] = await connection.query('SELECT SUBSTRING_INDEX(CURRENT_USER(), "@", 1) AS who');
      return (rows as { who: string }[])[0]!.who;
    } finally {
      await connection.end();
    }
  }

  /** The user of the lease the broker hands out now, straight from the fetcher. */
  async function vaultIssuedUser(): Promise<string> {
    const credential = await fetcher.get();
    await fetcher.release?.(credential);
    return credential.values.username!;
  }

  it('mariadbd killed: the open session ends, new clients get ERR 1429 naming the connection; after the restart they run as the Vault-issued user', async () => {
    const held = await connect();
    const [before] = await held.query('SELECT SUBSTRING_INDEX(CURRENT_USER(), "@", 1) AS who');
    const issued = (before as { who: string }[])[0]!.who;
    expect(issued).toMatch(/^v-/);
    expect(issued).toBe(await vaultIssuedUser());
    const heldEnded = new Promise<void>((resolve) => held.once('end', () => resolve()));
    const heldError = new Promise<{ code?: string; message: string }>((resolve) => held.once('error', resolve));
    held.on('error', () => {}); // any later one too: the connection is gone

    await server.crash(); // SIGKILL to mariadbd's process group
    await expect.poll(() => isPortOpen(server.port), { timeout: 15_000 }).toBe(false);
    await heldEnded;
    const lost = await heldError;
    expect(lost.code).toBe('PROTOCOL_CONNECTION_LOST');
    expect(lost.message).toMatch(/Connection lost: The server closed the connection/);
    await expect(held.query('SELECT 1')).rejects.toMatchObject({ fatal: true });
    held.destroy();

    // While it is down: an ERR packet from the broker (not a hang, not a bare reset) naming the
    // connection and no secret.
    const refused = await connect().then(
      async (c) => (await c.end(), undefined),
      (error: { errno?: number; sqlState?: string; message: string }) => error,
    );
    expect(refused?.errno).toBe(1429);
    expect(refused?.sqlState).toBe('HY000');
    expect(refused?.message).toContain("connection 'orders-mysql'");
    expect(refused?.message).not.toContain(server.adminPassword);
    const cli = await runMariadbCli(broker.port, ['-u', 'whoever', '-N', '-B', '-e', 'SELECT 1']);
    expect(cli.code).not.toBe(0); // answered, not hung (the helper's guard is 60 s)
    expect(cli.stderr).toMatch(/^ERROR \d+ /);
    cliWhileDown = cli.stderr;
    await expect.poll(() => broker.active(), { timeout: 15_000 }).toBe(0);

    // Same port, same data dir: InnoDB's crash recovery, as a real restart does.
    const firstPid = server.pid;
    await server.restart();
    expect(server.pid).not.toBe(firstPid);
    const after = await whoAmI();
    expect(after).toMatch(/^v-/);
    expect(after).toBe(await vaultIssuedUser());
    console.info(
      `[hardening] mariadb restart: user before ${issued}, after ${after} (${after === issued ? 'same lease kept serving' : 'replaced'}); lease events ${leaseEvents.map((e) => e.type).join(', ')}`,
    );
    expect(broker.serveErrors).toEqual([]);
  });

  // libmariadb (the mariadb CLI, and clients built on it) treats an ERR packet with a
  // client-range code (2000-2999) before the greeting as malformed ("ERROR 2027 … Received
  // malformed packet"); the broker sends the server-range 1429, which the CLI shows.
  it('the real mariadb CLI shows the reason while the backend is down', () => {
    expect(cliWhileDown).toMatch(/connection 'orders-mysql'/);
  });

  it('leaves no sockets, descriptors or timers behind once the broker and its lease close', async () => {
    await broker.close();
    await fetcher.close();
    expect(leaseEvents.at(-1)).toMatchObject({ type: 'revoked', reason: 'closed' });
    const after = await expectReleased(baseline, { fds: 4, handles: 4 });
    console.info(
      `[hardening] mariadb faults resources: fds ${baseline.fds} → ${after.fds}, handles ${baseline.handles} → ${after.handles}`,
    );
  });
});
