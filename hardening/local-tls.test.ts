// Issue 17, item 9: clients that insist on TLS (psql sslmode=require/verify-full, JDBC ssl=true,
// mysql --ssl-mode=REQUIRED) were refused by the brokers. The host now keeps a local CA (key and
// certificate in the app's SecretStore), serves the brokers' local leg with a certificate for
// 127.0.0.1/::1/localhost signed by it, and writes the CA's certificate to a file the connection
// view names. Real clients verify it: psql with sslmode=verify-full and sslrootcert, the mariadb
// CLI with --ssl-verify-server-cert, node-postgres and mysql2 with the CA — and get the user Vault
// made for them; plain clients keep working. Through the sandbox (Vault dynamic credentials,
// PostgreSQL, MariaDB) and the real host.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionView } from '../app/api';
import { run } from '../app/host/testing';
import { createMemorySecretStore, type SecretStore } from '../app/platform';
import { startSandbox, type Sandbox } from '../sandbox';
import { createTempDir, createTestCa, freePort, removeTempDir } from '../sandbox/servers';
import { startHostWorld, type HostWorld } from './testing/host-world';

/** Stands in for the OS keychain (kind 'keychain'): it outlives a host, as the real one does. */
function keychainLike(): SecretStore & { values: Map<string, string> } {
  const values = new Map<string, string>();
  return {
    kind: 'keychain',
    values,
    get: async (account) => values.get(account) ?? null,
    set: async (account, secret) => void values.set(account, secret),
    delete: async (account) => values.delete(account),
  };
}

describe('TLS on the local leg of the brokers', () => {
  let sandbox: Sandbox;
  let keychain: ReturnType<typeof keychainLike>;
  let world: HostWorld;
  let pgView: ConnectionView;
  let myView: ConnectionView;
  let otherCaDir: string;
  const worlds: HostWorld[] = [];

  /** The sandbox's two Vault-dynamic connections (PostgreSQL per connection, MariaDB shared), on new ports. */
  async function connections() {
    const config = parse(readFileSync(sandbox.configPath, 'utf8')) as { connections: Record<string, unknown>[] };
    const pick = async (name: string) => ({
      ...config.connections.find((c) => c.name === name)!,
      listen: `127.0.0.1:${await freePort()}`,
      autoStart: true,
    });
    return [await pick('sandbox-postgres-dynamic'), await pick('sandbox-mariadb')];
  }

  async function host(secrets: SecretStore, dir?: string): Promise<HostWorld> {
    const started = await startHostWorld({
      vaultAddr: sandbox.vaultAddr,
      token: sandbox.rootToken,
      connections: await connections(),
      secrets,
      ...(dir ? { dir } : {}),
    });
    worlds.push(started);
    return started;
  }

  async function views(of: HostWorld) {
    const list = await of.host.call('connections.list', {});
    return {
      pg: list.find((c) => c.name === 'sandbox-postgres-dynamic')!,
      my: list.find((c) => c.name === 'sandbox-mariadb')!,
    };
  }

  const portOf = (view: ConnectionView) => view.listen.slice(view.listen.lastIndexOf(':') + 1);

  /** psql with a libpq connection string, no password anywhere. */
  const psql = (conninfo: string, sql: string) => run('psql', ['-X', '-w', '-At', '-d', conninfo, '-c', sql]);
  const mariadb = (view: ConnectionView, args: string[]) =>
    run('mariadb', [
      '--no-defaults',
      '--protocol=tcp',
      '-h',
      '127.0.0.1',
      '-P',
      portOf(view),
      '-u',
      'whoever',
      ...args,
    ]);

  beforeAll(async () => {
    sandbox = await startSandbox();
    keychain = keychainLike();
    world = await host(keychain);
    ({ pg: pgView, my: myView } = await views(world));
    otherCaDir = createTempDir('other-ca');
  });

  afterAll(async () => {
    for (const w of worlds) await w.close();
    await sandbox?.stop();
    if (otherCaDir) removeTempDir(otherCaDir);
  });

  it('psql with sslmode=require is served (it was refused: "server does not support SSL")', async () => {
    const result = await psql(
      `host=127.0.0.1 port=${portOf(pgView)} dbname=sandbox user=whoever sslmode=require`,
      'select current_user',
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^v-/);
  });

  it('the connection view names the CA file, which holds only the CA certificate', () => {
    expect(pgView.tlsCaFile).toBe(myView.tlsCaFile);
    expect(pgView.tlsCaFile).toBe(path.join(world.dir, 'local-ca.pem'));
    const pem = readFileSync(pgView.tlsCaFile!, 'utf8');
    expect(pem).not.toMatch(/PRIVATE KEY/);
    const ca = new X509Certificate(pem);
    expect(ca.ca).toBe(true);
    // The CA's private key is in the SecretStore, in no file of the host.
    for (const file of readdirSync(world.dir))
      if (statSync(path.join(world.dir, file)).isFile())
        expect(readFileSync(path.join(world.dir, file), 'utf8'), file).not.toMatch(/PRIVATE KEY/);
    expect([...keychain.values.values()].join('\n')).toMatch(/PRIVATE KEY/);
  });

  it('psql with sslmode=verify-full and the exported CA logs in as the Vault user, for 127.0.0.1 and localhost', async () => {
    for (const hostName of ['127.0.0.1', 'localhost']) {
      const result = await psql(
        `host=${hostName} port=${portOf(pgView)} dbname=sandbox user=whoever sslmode=verify-full sslrootcert=${pgView.tlsCaFile}`,
        'select current_user',
      );
      expect(result.stderr, hostName).toBe('');
      expect(result.stdout, hostName).toMatch(/^v-/);
    }
  });

  it('the mariadb CLI with --ssl --ssl-ca --ssl-verify-server-cert logs in as the Vault user over TLS', async () => {
    const result = await mariadb(myView, [
      '--ssl',
      `--ssl-ca=${myView.tlsCaFile}`,
      '--ssl-verify-server-cert',
      '-e',
      'select current_user(); \\s',
    ]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^v-/m);
    expect(result.stdout).toMatch(/SSL:\s+Cipher in use is \S+/);
  });

  it('node-postgres and mysql2 verify the CA too; plain clients keep working', async () => {
    const ca = readFileSync(pgView.tlsCaFile!, 'utf8');
    const secure = new pg.Client({
      host: '127.0.0.1',
      port: Number(portOf(pgView)),
      user: 'whoever',
      database: 'sandbox',
      ssl: { ca },
    });
    await secure.connect();
    expect((await secure.query('select current_user as who')).rows[0].who).toMatch(/^v-/);
    await secure.end();
    const plain = new pg.Client({ host: '127.0.0.1', port: Number(portOf(pgView)), user: 'x', database: 'sandbox' });
    await plain.connect();
    expect((await plain.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    await plain.end();

    for (const ssl of [{ ca }, undefined]) {
      const c = await mysql.createConnection({
        host: '127.0.0.1',
        port: Number(portOf(myView)),
        user: 'whoever',
        ...(ssl ? { ssl } : {}),
      });
      const [rows] = await c.query('select current_user() as who');
      expect((rows as { who: string }[])[0]!.who).toMatch(/^v-/);
      await c.end();
    }
    const plainPsql = await psql(`host=127.0.0.1 port=${portOf(pgView)} dbname=sandbox sslmode=disable`, 'select 1');
    expect(plainPsql.stdout).toBe('1');
    const plainCli = await mariadb(myView, ['--skip-ssl', '-e', 'select 1 as one']);
    expect(plainCli.stdout).toMatch(/one\s+1/);
  });

  it('a client verifying against another CA refuses the broker (the check is real)', async () => {
    const other = await createTestCa(otherCaDir);
    const result = await psql(
      `host=127.0.0.1 port=${portOf(pgView)} dbname=sandbox sslmode=verify-full sslrootcert=${other.certFile}`,
      'select 1',
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/certificate verify failed/);
  });

  it('the CA outlives a restart with the keychain, and without one (a 0600 file in the private key folder)', async () => {
    const first = readFileSync(pgView.tlsCaFile!, 'utf8');
    const again = await host(keychain);
    const { pg: view } = await views(again);
    expect(readFileSync(view.tlsCaFile!, 'utf8')).toBe(first);

    const memoryRuns: string[] = [];
    const install = mkdtempSync(path.join(tmpdir(), 'sesame-no-keychain-'));
    for (let i = 0; i < 2; i++) {
      // A new process each time (a fresh memory-only store), the same install folder.
      const memory = await host(createMemorySecretStore('no keychain in this test'), install);
      const { pg: memoryView } = await views(memory);
      memoryRuns.push(readFileSync(memoryView.tlsCaFile!, 'utf8'));
      const activity = await memory.host.call('activity.list', {});
      expect(activity.map((a) => a.message).join('\n')).not.toMatch(/local TLS CA/);
      const result = await psql(
        `host=127.0.0.1 port=${portOf(memoryView)} dbname=sandbox sslmode=verify-full sslrootcert=${memoryView.tlsCaFile}`,
        'select current_user',
      );
      expect(result.stdout).toMatch(/^v-/);
      await memory.close();
    }
    expect(statSync(path.join(install, 'keys', 'local-tls-ca.key')).mode & 0o777).toBe(0o600);
    rmSync(install, { recursive: true, force: true });
    // Kept across runs without a keychain, as a client's sslrootcert / truststore needs.
    expect(memoryRuns[0]).toBe(memoryRuns[1]);
    expect(memoryRuns[0]).not.toBe(first);
  });
});
