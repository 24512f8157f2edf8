// Vault misbehaving mid-session under a running host with a brokered postgres connection
// whose credential comes from Vault KV: unreachable (the address refuses), sealed, answering
// 5xx, dropping connections, slow. Sessions already open keep working; like Vault Agent, a
// connection that has read its credential keeps serving new clients with it while Vault cannot
// answer; a connection that never could gets the reason in its clients' own protocol and says
// what is wrong; everything recovers by itself when the fault ends; nothing leaks.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionView } from '../app/api';
import { psql } from '../app/host/testing';
import { startSandbox, type Sandbox } from '../sandbox';
import { freePort } from '../sandbox/servers';
import { createPeriodicToken, startHostWorld, type HostWorld } from './testing/host-world';
import { countResources, expectReleased, type ResourceCounts } from './testing/leaks';
import { startTcpGate, type TcpGate } from './testing/tcp-gate';

/** Short enough that new clients must go back to Vault during each fault. */
const MAX_AGE_MS = 500;
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Vault faults under an active host and brokered postgres sessions', () => {
  let sandbox: Sandbox;
  let gate: TcpGate;
  let world: HostWorld;
  let baseline: ResourceCounts;
  let listen: string;
  let held: pg.Client;
  const survived: string[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox();
    gate = await startTcpGate({ host: '127.0.0.1', port: sandbox.vault.port });
    const token = await createPeriodicToken(sandbox.vaultAddr, sandbox.rootToken);
    baseline = countResources();
    listen = `127.0.0.1:${await freePort()}`;
    world = await startHostWorld({
      vaultAddr: `http://${gate.address}`,
      token,
      connections: [
        {
          name: 'orders',
          protocol: 'postgres',
          listen,
          autoStart: true,
          target: { host: sandbox.postgres.host, port: sandbox.postgres.port, database: 'sandbox', sslmode: 'disable' },
          credentials: { from: 'vault-kv', path: 'secret/sandbox/postgres', maxAge: `${MAX_AGE_MS}ms` },
        },
      ],
    });
    const [host, port] = listen.split(':') as [string, string];
    held = new pg.Client({ host, port: Number(port), user: 'whoever', database: 'sandbox' });
    await held.connect();
  });

  afterAll(async () => {
    await held?.end().catch(() => {});
    await world?.close();
    await gate?.close();
    await sandbox?.stop();
    console.info(`[hardening] vault faults survived: ${survived.length} (${survived.join(', ')})`);
  });

  const connection = async (): Promise<ConnectionView> =>
    (await world.host.call('connections.list', {})).find((c) => c.name === 'orders')!;

  async function heldSessionWorks(): Promise<void> {
    const result = await held.query('select current_user as who');
    expect(result.rows).toEqual([{ who: sandbox.postgresAppUser }]);
  }

  /**
   * During the fault: the open session works; a new client of the warm connection still gets in
   * with the credential read before; a connection started now (nothing read yet) is in error
   * with the reason, and so are its clients.
   */
  async function duringFault(reason: RegExp, tag: string): Promise<void> {
    await heldSessionWorks();
    await settle(MAX_AGE_MS + 100); // the cached credential is past its age: Vault is asked again
    const warm = await psql(listen, 'select current_user');
    expect(warm.stderr).toBe('');
    expect(warm.stdout).toBe(sandbox.postgresAppUser);
    expect((await connection()).state).toBe('ready');

    const name = `cold-${tag}`;
    const before = world.host.currentConfig();
    const coldListen = `127.0.0.1:${await freePort()}`;
    const cold = { ...before.connections[0]!, name, listen: coldListen, autoStart: true };
    await world.host.reload({ ...before, connections: [...before.connections, cold] });
    const view = (await world.host.call('connections.list', {})).find((c) => c.name === name)!;
    expect(view.state).toBe('error');
    expect(view.error).toMatch(reason);
    const refused = await psql(coldListen, 'select 1');
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain(`connection '${name}'`);
    expect(refused.stderr).toMatch(reason);
    await world.host.reload(before);
    await heldSessionWorks();
  }

  /** After the fault: new clients work again and the connection is back to ready by itself. */
  async function recovered(): Promise<void> {
    const ok = await psql(listen, 'select current_user');
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toBe(sandbox.postgresAppUser);
    expect((await connection()).state).toBe('ready');
    await heldSessionWorks();
  }

  it('starts ready: logged in with a renewable token, the connection brokers psql', async () => {
    const session = await world.host.call('session.get', {});
    expect(session).toMatchObject({ state: 'authenticated', renewable: true });
    await recovered();
  });

  it('Vault unreachable: open sessions keep working, clients and the session say Vault is unreachable, then it recovers', async () => {
    await gate.shut();
    await duringFault(/unreachable/, 'unreachable');
    const renewing = await world.host.call('session.renew', {});
    expect(renewing.state).toBe('authenticated'); // the token is still good; only Vault is away
    expect(renewing.error).toMatch(/unreachable/);
    const activity = await world.host.call('activity.list', {});
    expect(
      activity.some(
        (a) => a.kind === 'credential-error' && a.connection === 'cold-unreachable' && /unreachable/.test(a.message),
      ),
    ).toBe(true);
    await gate.open();
    await recovered();
    await expect
      .poll(async () => (await world.host.call('session.get', {})).error, { timeout: 30_000 })
      .toBeUndefined();
    survived.push('unreachable');
  });

  it('Vault sealed: the reason is "Vault is sealed" until it is unsealed', async () => {
    sandbox.vault.seal();
    await duringFault(/sealed/, 'sealed');
    sandbox.vault.unseal();
    await recovered();
    survived.push('sealed');
  });

  it('Vault answering 500 and dropping connections mid-session: clear errors, then recovery', async () => {
    const fail = sandbox.vault.faults.fail(500, { pathPrefix: 'secret/' });
    await duringFault(/internal error|500/, '5xx');
    sandbox.vault.faults.remove(fail.id);
    await recovered();
    survived.push('5xx');

    const drop = sandbox.vault.faults.drop({ pathPrefix: 'secret/' });
    await duringFault(/unreachable|socket hang up|ECONNRESET/, 'dropped');
    sandbox.vault.faults.remove(drop.id);
    await recovered();
    survived.push('dropped connections');
  });

  it('Vault slow (2 s per request): new clients still get in, just later; nothing turns to error', async () => {
    const slow = sandbox.vault.faults.latency(2_000);
    try {
      await settle(MAX_AGE_MS + 100);
      const ok = await psql(listen, 'select current_user');
      expect(ok.stderr).toBe('');
      expect(ok.stdout).toBe(sandbox.postgresAppUser);
      expect((await connection()).state).toBe('ready');
      expect((await world.host.call('session.renew', {})).error).toBeUndefined();
    } finally {
      sandbox.vault.faults.remove(slow.id);
    }
    await heldSessionWorks();
    survived.push('slow');
  });

  it('leaves no sockets, descriptors or timers behind once the host closes', async () => {
    await held.end();
    await world.close();
    await expectReleased(baseline, { fds: 4, handles: 4 });
    expect(world.logs.filter((r) => r.level === 'error')).toEqual([]);
  });
});
