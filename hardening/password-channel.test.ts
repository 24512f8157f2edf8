// Issue 17, item 5: a network attacker who can answer where the broker expects its database (DNS,
// ARP, a hostile Wi-Fi) collects the database password, because PostgreSQL defaulted to sslmode
// prefer and answered cleartext/md5 requests over whatever it reached, and MySQL defaulted to
// preferred, sent the password in clear over unverified TLS and fetched the server's RSA key
// unpinned. The attacker here is a small fake server (./testing/attacker-servers.ts); the
// database "on another host" is a name that resolves to it (./testing/fake-dns.ts). The
// credential comes from a real Vault KV secret through the real host; the clients are psql,
// node-postgres, the mariadb CLI and mysql2.
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kvPut, run } from '../app/host/testing';
import { createLocalhostCertificate, createTempDir, freePort, removeTempDir, type TlsFiles } from '../sandbox/servers';
import { startVaultDev, type VaultDevServer } from '../sandbox/vault';
import { startAttackerMysql, startAttackerPostgres, type AttackerServer } from './testing/attacker-servers';
import { resolveToLoopback } from './testing/fake-dns';
import { startHostWorld, type HostWorld } from './testing/host-world';

/** The database's name on the network; here it leads to the attacker. */
const REMOTE = 'orders-db.corp.example';
const SETTING = 'target.insecureAllowPasswordWithoutVerifiedTls';
const PASSWORD = `attack-canary-${randomBytes(12).toString('hex')}`;

let vault: VaultDevServer;
let certDir: string;
let attackerTls: TlsFiles;
let restoreDns: () => void;
const attackers: AttackerServer[] = [];
const worlds: HostWorld[] = [];

beforeAll(async () => {
  vault = await startVaultDev();
  await kvPut({ vaultAddr: vault.address, rootToken: vault.rootToken }, 'attack/orders', {
    username: 'app',
    password: PASSWORD,
  });
  certDir = createTempDir('attacker-tls');
  // A certificate for localhost from a CA of the attacker's own: nobody has reason to trust it.
  attackerTls = await createLocalhostCertificate(certDir);
  restoreDns = resolveToLoopback(REMOTE);
});

afterAll(async () => {
  restoreDns?.();
  for (const world of worlds) await world.close();
  for (const attacker of attackers) await attacker.close();
  await vault?.stop();
  if (certDir) removeTempDir(certDir);
});

async function attacker<T extends AttackerServer>(started: Promise<T>): Promise<T> {
  const server = await started;
  attackers.push(server);
  return server;
}

interface Case {
  name: string;
  protocol: 'postgres' | 'mysql';
  host: string;
  port: number;
  target?: Record<string, unknown>;
}

/** One host serving `cases` as connections (autoStart), credentials from Vault KV; returns their ports. */
async function hostFor(cases: Case[]): Promise<Record<string, number>> {
  const ports: Record<string, number> = {};
  const connections = [];
  for (const c of cases) {
    ports[c.name] = await freePort();
    connections.push({
      name: c.name,
      protocol: c.protocol,
      listen: `127.0.0.1:${ports[c.name]}`,
      autoStart: true,
      target: { host: c.host, port: c.port, database: 'orders', ...c.target },
      credentials: { from: 'vault-kv', path: 'secret/attack/orders' },
    });
  }
  const world = await startHostWorld({ vaultAddr: vault.address, token: vault.rootToken, connections });
  worlds.push(world);
  return ports;
}

const psql = (port: number) =>
  run('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'x', '-d', 'orders', '-w', '-At', '-c', 'select 1']);
const mariadbCli = (port: number) =>
  run('mariadb', [
    '--no-defaults',
    '--protocol=tcp',
    '-h',
    '127.0.0.1',
    '-P',
    String(port),
    '-u',
    'x',
    '-e',
    'select 1',
  ]);

async function nodePostgresError(port: number): Promise<{ code?: string; message: string }> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'x', database: 'orders' });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.end();
    return { message: 'connected' };
  } catch (error) {
    return error as { code?: string; message: string };
  }
}

async function mysql2Error(port: number): Promise<{ errno?: number; message: string }> {
  try {
    const connection = await mysql.createConnection({ host: '127.0.0.1', port, user: 'x', connectTimeout: 20_000 });
    await connection.end();
    return { message: 'connected' };
  } catch (error) {
    return error as { errno?: number; message: string };
  }
}

/** The attacker got no password, nor anything sent in answer to its password request. */
function expectNothingLeaked(server: AttackerServer): void {
  expect(server.passwords).toEqual([]);
  expect(server.afterPasswordRequest).toEqual([]);
}

describe('a PostgreSQL target answered by an attacker', () => {
  let remote: AttackerServer;
  let plain: AttackerServer;
  let plainMd5: AttackerServer;
  let withTls: AttackerServer;
  let ports: Record<string, number>;

  beforeAll(async () => {
    remote = await attacker(startAttackerPostgres({ ask: 'cleartext' }));
    plain = await attacker(startAttackerPostgres({ ask: 'cleartext' }));
    plainMd5 = await attacker(startAttackerPostgres({ ask: 'md5' }));
    withTls = await attacker(startAttackerPostgres({ ask: 'md5', tls: attackerTls }));
    ports = await hostFor([
      { name: 'pg-remote-default', protocol: 'postgres', host: REMOTE, port: remote.port },
      { name: 'pg-prefer', protocol: 'postgres', host: REMOTE, port: plain.port, target: { sslmode: 'prefer' } },
      { name: 'pg-md5-prefer', protocol: 'postgres', host: REMOTE, port: plainMd5.port, target: { sslmode: 'prefer' } },
      { name: 'pg-require', protocol: 'postgres', host: REMOTE, port: withTls.port, target: { sslmode: 'require' } },
    ]);
  });

  it('config names no sslmode for another host: TLS is verified, the attacker declining TLS gets nothing', async () => {
    const result = await psql(ports['pg-remote-default']!);
    const viaNode = await nodePostgresError(ports['pg-remote-default']!);
    expectNothingLeaked(remote);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      `sesame: connection 'pg-remote-default': the backend ${REMOTE}:${remote.port} does not accept TLS, and sslmode is verify-full`,
    );
    // The message says what to change for a server that really has no TLS.
    expect(result.stderr).toContain('target.sslmode');
    expect(viaNode.code).toBe('08006');
  });

  it('sslmode prefer: a cleartext password request without TLS is refused, naming the setting', async () => {
    const result = await psql(ports['pg-prefer']!);
    const viaNode = await nodePostgresError(ports['pg-prefer']!);
    expectNothingLeaked(plain);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(SETTING);
    expect(viaNode).toMatchObject({ code: '28000' });
    expect(viaNode.message).toContain(SETTING);
  });

  it('sslmode prefer: an md5 request without TLS is refused', async () => {
    const viaNode = await nodePostgresError(ports['pg-md5-prefer']!);
    expectNothingLeaked(plainMd5);
    expect(viaNode).toMatchObject({ code: '28000' });
    expect(viaNode.message).toContain(SETTING);
  });

  it('sslmode require: an md5 request over TLS that verified nobody is refused', async () => {
    const result = await psql(ports['pg-require']!);
    expectNothingLeaked(withTls);
    expect(withTls.connections).toBeGreaterThan(0);
    expect(result.stderr).toContain(SETTING);
  });
});

describe('the insecure opt-in', () => {
  it('sends the password where the config says so, and only there (the setting does what its name says)', async () => {
    const pgAttacker = await attacker(startAttackerPostgres({ ask: 'cleartext' }));
    const myAttacker = await attacker(startAttackerMysql());
    const insecure = { insecureAllowPasswordWithoutVerifiedTls: true };
    const ports = await hostFor([
      {
        name: 'pg-opt-in',
        protocol: 'postgres',
        host: REMOTE,
        port: pgAttacker.port,
        target: { sslmode: 'prefer', ...insecure },
      },
      {
        name: 'my-opt-in',
        protocol: 'mysql',
        host: REMOTE,
        port: myAttacker.port,
        target: { sslmode: 'preferred', ...insecure },
      },
    ]);
    await nodePostgresError(ports['pg-opt-in']!);
    await mysql2Error(ports['my-opt-in']!);
    expect(pgAttacker.passwords).toContain(PASSWORD);
    expect(myAttacker.passwords).toContain(PASSWORD);
  });
});

describe('a MySQL target answered by an attacker', () => {
  let remote: AttackerServer;
  let plain: AttackerServer;
  let withTls: AttackerServer;
  let clearSwitch: AttackerServer;
  let ports: Record<string, number>;

  beforeAll(async () => {
    remote = await attacker(startAttackerMysql());
    plain = await attacker(startAttackerMysql());
    withTls = await attacker(startAttackerMysql({ tls: attackerTls }));
    clearSwitch = await attacker(startAttackerMysql({ switchTo: 'mysql_clear_password' }));
    ports = await hostFor([
      { name: 'my-remote-default', protocol: 'mysql', host: REMOTE, port: remote.port },
      { name: 'my-preferred', protocol: 'mysql', host: REMOTE, port: plain.port, target: { sslmode: 'preferred' } },
      { name: 'my-required', protocol: 'mysql', host: REMOTE, port: withTls.port, target: { sslmode: 'required' } },
      { name: 'my-clear', protocol: 'mysql', host: REMOTE, port: clearSwitch.port, target: { sslmode: 'preferred' } },
    ]);
  });

  it('config names no sslmode for another host: TLS is verified, a server without TLS gets nothing', async () => {
    const result = await mariadbCli(ports['my-remote-default']!);
    const viaMysql2 = await mysql2Error(ports['my-remote-default']!);
    expectNothingLeaked(remote);
    expect(result.stderr).toContain(
      `sesame: connection 'my-remote-default': the backend ${REMOTE}:${remote.port} does not offer TLS, and sslmode is verify-identity`,
    );
    expect(result.stderr).toContain('target.sslmode');
    expect(viaMysql2.errno).toBe(1429);
  });

  it('sslmode preferred without TLS: no RSA key is fetched from the server, nothing is sent, the setting is named', async () => {
    const result = await mariadbCli(ports['my-preferred']!);
    const viaMysql2 = await mysql2Error(ports['my-preferred']!);
    expectNothingLeaked(plain);
    expect(result.stderr).toContain(SETTING);
    expect(viaMysql2).toMatchObject({ errno: 1045 });
    expect(viaMysql2.message).toContain(SETTING);
  });

  it('sslmode required: full authentication over TLS that verified nobody is refused', async () => {
    const viaMysql2 = await mysql2Error(ports['my-required']!);
    expectNothingLeaked(withTls);
    expect(withTls.connections).toBeGreaterThan(0);
    expect(viaMysql2).toMatchObject({ errno: 1045 });
    expect(viaMysql2.message).toContain(SETTING);
  });

  it('an AuthSwitchRequest to mysql_clear_password gets nothing', async () => {
    const viaMysql2 = await mysql2Error(ports['my-clear']!);
    expectNothingLeaked(clearSwitch);
    expect(viaMysql2.errno).toBe(1251);
  });
});
