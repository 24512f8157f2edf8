// Secret-leak canaries: unique secrets seeded into the sandbox's Vault (a KV database
// password that really works, one that is wrong, and the Vault tokens), then a scripted session
// through the real host and the browser bridge: login, toggles, psql (success and failure),
// leases, renew, a listen-port edit that rewrites the config file. Every AppApi event and
// result, every WebSocket frame the bridge sent, every log record (debug level), every
// client-facing error, notification and file under the test's directories is scanned: no
// canary may appear anywhere.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrowserBridge, type BrowserBridge } from '../app/bridge';
import { signIn, type ApiClient } from '../app/bridge/testing/clients';
import { kvPut, psql } from '../app/host/testing';
import { startSandbox, type Sandbox } from '../sandbox';
import { freePort } from '../sandbox/servers';
import { createPeriodicToken, startHostWorld, type HostWorld } from './testing/host-world';
import { createCanaryScan } from './testing/scan';

const canary = (label: string) => `canary-${label}-${randomBytes(12).toString('hex')}`;

describe('secret-leak canaries through the host and the browser bridge', () => {
  let sandbox: Sandbox;
  let world: HostWorld;
  let bridge: BrowserBridge;
  let staticDir: string;
  let client: ApiClient;
  const frames: string[] = [];
  const results: unknown[] = [];
  const clientOutputs: string[] = [];
  const canaries = {
    kvPassword: canary('kv-password'),
    wrongPassword: canary('wrong-password'),
    sessionToken: '',
    loginToken: '',
  };

  beforeAll(async () => {
    sandbox = await startSandbox();
    const admin = new pg.Client({
      host: sandbox.postgres.host,
      port: sandbox.postgres.port,
      user: sandbox.postgres.adminUser,
      password: sandbox.postgres.adminPassword,
      database: 'postgres',
    });
    await admin.connect();
    await admin.query(`ALTER ROLE ${sandbox.postgresAppUser} PASSWORD '${canaries.kvPassword}'`);
    await admin.end();
    await kvPut(sandbox, 'canary/postgres', { username: sandbox.postgresAppUser, password: canaries.kvPassword });
    await kvPut(sandbox, 'canary/wrong', { username: sandbox.postgresAppUser, password: canaries.wrongPassword });
    canaries.sessionToken = await createPeriodicToken(sandbox.vaultAddr, sandbox.rootToken);
    canaries.loginToken = await createPeriodicToken(sandbox.vaultAddr, sandbox.rootToken);
    const target = {
      host: sandbox.postgres.host,
      port: sandbox.postgres.port,
      database: 'sandbox',
      sslmode: 'disable',
    };
    world = await startHostWorld({
      vaultAddr: sandbox.vaultAddr,
      token: canaries.sessionToken,
      agent: { listen: `127.0.0.1:${await freePort()}` },
      connections: [
        {
          name: 'orders',
          protocol: 'postgres',
          listen: `127.0.0.1:${await freePort()}`,
          target,
          credentials: { from: 'vault-kv', path: 'secret/canary/postgres' },
        },
        {
          name: 'wrong',
          protocol: 'postgres',
          listen: `127.0.0.1:${await freePort()}`,
          target,
          credentials: { from: 'vault-kv', path: 'secret/canary/wrong' },
        },
      ],
    });
    staticDir = await mkdtemp(path.join(tmpdir(), 'sesame-hardening-static-'));
    await mkdir(path.join(staticDir, 'assets'));
    await writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>Sesame</title>');
    bridge = await createBrowserBridge({ api: world.host, staticDir });
    client = await signIn(bridge.url);
    client.ws.on('message', (data) => void frames.push(String(data)));
  });

  afterAll(async () => {
    await client?.close();
    await bridge?.close();
    await world?.close();
    await rm(staticDir, { recursive: true, force: true });
    await sandbox?.stop();
  });

  async function call(command: string, input: unknown = {}): Promise<unknown> {
    const result = await client.call(command, input);
    results.push(result);
    return result;
  }

  it('a scripted session through the bridge leaks no canary anywhere', async () => {
    expect(await call('session.get')).toMatchObject({ ok: true, value: { state: 'authenticated' } });
    expect(await call('connections.setEnabled', { name: 'orders', enabled: true })).toMatchObject({
      ok: true,
      value: { state: 'ready' },
    });
    const listen = (await world.host.call('connections.list', {})).find((c) => c.name === 'orders')!.listen;
    const ok = await psql(listen, 'select current_user');
    clientOutputs.push(ok.stdout, ok.stderr);
    expect(ok.stdout).toBe(sandbox.postgresAppUser);

    await call('connections.setEnabled', { name: 'wrong', enabled: true });
    const wrongListen = (await world.host.call('connections.list', {})).find((c) => c.name === 'wrong')!.listen;
    const refused = await psql(wrongListen, 'select 1');
    clientOutputs.push(refused.stdout, refused.stderr);
    expect(refused.stderr).toContain("connection 'wrong'");

    await call('leases.list');
    await call('session.renew');
    await call('connections.setListen', { name: 'orders', listen: `127.0.0.1:${await freePort()}` });
    await call('settings.get');
    await call('activity.list');
    await call('connections.openGui', { name: 'orders' });
    // A login typed into the UI: the token travels client → host (input), never back.
    expect(await call('session.login', { method: 'token', token: canaries.loginToken })).toMatchObject({
      ok: true,
      value: { state: 'authenticated' },
    });
    await call('leases.list');
    await call('session.logout');
    await call('connections.setEnabled', { name: 'orders', enabled: false });
    await call('leases.list');

    const scan = createCanaryScan(canaries);
    frames.forEach((f, i) => scan.text('websocket frames (host → browser)', `frame ${i}`, f));
    results.forEach((r, i) => scan.text('AppApi results', `result ${i}`, JSON.stringify(r)));
    world.events.forEach((e, i) => scan.text('AppApi events', `event ${i} ${e.event}`, JSON.stringify(e)));
    world.logs.forEach((r, i) => scan.text('log records', `log ${i} ${r.scope}: ${r.message}`, JSON.stringify(r)));
    world.notifications.forEach((n, i) => scan.text('notifications', `notification ${i}`, JSON.stringify(n)));
    clientOutputs.forEach((o, i) => scan.text('client-facing output', `psql output ${i}`, o));
    // The token file is the config's input; everything else there was written by Sesame.
    await scan.dir('files', world.dir, (file) => path.basename(file) === 'vault-token');
    await scan.dir('files', sandbox.dir);
    await scan.dir('files', staticDir);
    console.info(
      `[hardening] canaries: ${Object.keys(canaries).length} canaries, scanned ${JSON.stringify(scan.scanned)}, hits ${scan.hits.length}`,
    );
    expect(frames.length).toBeGreaterThan(20);
    expect(world.logs.length).toBeGreaterThan(10);
    expect(scan.scanned.files).toBeGreaterThanOrEqual(2);
    expect(scan.hits).toEqual([]);
  });
});
