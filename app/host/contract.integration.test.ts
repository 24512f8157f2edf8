// The AppApi contract against the REAL host on the sandbox, through both bridges: the shared
// dispatcher over an in-memory transport (what Electron's IPC handlers run) and the real
// WebSocket bridge of browser mode. Bad payloads get typed errors and change nothing; and a
// scripted session proves that no secret value appears in any result or event.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../broker/log';
import { startSandbox, type Sandbox } from '../../sandbox';
import { freePort } from '../../sandbox/servers';
import {
  createApiDispatcher,
  createBrowserBridge,
  type BrowserBridge,
  type EventMessage,
  type ResultMessage,
} from '../bridge';
import { signIn, type ApiClient } from '../bridge/testing/clients';
import { createAppHost, type AppHost } from '.';
import { kvPut, postgresConnection, psql, recordingPlatform } from './testing';

interface Transport {
  call(command: string, input?: unknown): Promise<ResultMessage>;
  events: EventMessage[];
}

/** JSON both ways, as a real wire would: nothing but plain data crosses. */
const overTheWire = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe('the AppApi contract over the real host', () => {
  let sandbox: Sandbox;
  let host: AppHost;
  let bridge: BrowserBridge;
  let socket: ApiClient;
  let staticDir: string;
  let configPath: string;
  let childToken: string;
  const secrets: Record<string, string> = {};
  const transports: Record<string, Transport> = {};
  const stopDispatcher: Array<() => void> = [];

  beforeAll(async () => {
    sandbox = await startSandbox();
    await kvPut(sandbox, 'sandbox/no-password', { username: sandbox.postgresAppUser });
    const created = await fetch(`${sandbox.vaultAddr}/v1/auth/token/create`, {
      method: 'POST',
      headers: { 'X-Vault-Token': sandbox.rootToken },
      body: JSON.stringify({ policies: ['sandbox-developer'], ttl: '1h' }),
    });
    childToken = ((await created.json()) as { auth: { client_token: string } }).auth.client_token;
    const kv = await fetch(`${sandbox.vaultAddr}/v1/secret/data/sandbox/postgres`, {
      headers: { 'X-Vault-Token': sandbox.rootToken },
    });
    Object.assign(secrets, {
      rootToken: sandbox.rootToken,
      childToken,
      kvPassword: ((await kv.json()) as { data: { data: { password: string } } }).data.data.password,
      userpassPassword: sandbox.logins.userpass.password,
      wrongToken: 'hvs.ThisIsNotAValidTokenButLooksLikeOne',
    });

    // No token file: the session starts logged out and the script logs in through the API.
    configPath = path.join(sandbox.dir, 'contract.yaml');
    const pg = { host: sandbox.postgres.host, port: sandbox.postgres.port };
    const { stringify } = await import('yaml');
    await writeFile(
      configPath,
      stringify({
        vault: { address: sandbox.vaultAddr, auth: { method: 'token' } },
        connections: [
          postgresConnection('orders', await freePort(), pg, 'sandbox/postgres'),
          postgresConnection('nopass', await freePort(), pg, 'sandbox/no-password'),
          // A key offered for 5 s would have Vault asked every few seconds: refused with the reason.
          {
            name: 'agent',
            protocol: 'ssh-agent',
            listen: `unix:${sandbox.dir}/agent.sock`,
            key: { lifetime: '5s' },
            credentials: { from: 'vault-kv', path: 'secret/sandbox/agent-key' },
          },
        ],
      }),
    );
    host = await createAppHost({ configPath, platform: recordingPlatform(), mode: 'browser', log: silentLogger });

    // The dispatcher as Electron's ipcMain.handle uses it, behind a JSON "wire".
    const dispatcher = createApiDispatcher(host, { log: silentLogger });
    const memoryEvents: EventMessage[] = [];
    stopDispatcher.push(dispatcher.subscribe((message) => memoryEvents.push(overTheWire(message))));
    let nextId = 1;
    transports['dispatcher over an in-memory transport'] = {
      call: async (command, input) =>
        overTheWire(await dispatcher.handleMessage(overTheWire({ type: 'call', id: nextId++, command, input }))),
      events: memoryEvents,
    };

    // The real browser-mode bridge and a WebSocket client that logged in with the one-time URL.
    staticDir = await mkdtemp(path.join(os.tmpdir(), 'sesame-contract-ui-'));
    await writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>Sesame</title>');
    bridge = await createBrowserBridge({ api: host, staticDir, log: silentLogger });
    socket = await signIn(bridge.url);
    transports['the real WebSocket bridge'] = {
      call: (command, input) => socket.call(command, input),
      events: socket.events,
    };
  });

  afterAll(async () => {
    for (const stop of stopDispatcher) stop();
    await socket?.close();
    await bridge?.close();
    await host?.close();
    await sandbox?.stop();
    if (staticDir) await rm(staticDir, { recursive: true, force: true });
  });

  const viaEach = ['dispatcher over an in-memory transport', 'the real WebSocket bridge'];

  describe.each(viaEach)('through %s', (via) => {
    const t = () => transports[via]!;
    const ok = async (command: string, input?: unknown) => {
      const result = await t().call(command, input ?? {});
      if (!result.ok) throw new Error(`${command} failed: ${JSON.stringify(result.error)}`);
      return result.value as Record<string, unknown> & Record<string, never>;
    };

    it('logs in, turns a connection on, brokers psql, and pushes the change as events', async () => {
      expect(await ok('app.info')).toMatchObject({ mode: 'browser', configPath });
      const session = await ok('session.login', { method: 'token', token: childToken });
      expect(session).toMatchObject({
        state: 'authenticated',
        policies: expect.arrayContaining(['sandbox-developer']),
      });
      const on = await ok('connections.setEnabled', { name: 'orders', enabled: true });
      expect(on).toMatchObject({ state: 'ready' });
      expect((await psql(on.listen as unknown as string, 'select current_user')).stdout).toBe(sandbox.postgresAppUser);
      await expect
        .poll(() =>
          t().events.some(
            (e) => e.event === 'connection.changed' && (e.payload as { name: string; state: string }).name === 'orders',
          ),
        )
        .toBe(true);
      const list = (await ok('connections.list')) as unknown as { name: string; state: string; error?: string }[];
      expect(list.find((c) => c.name === 'agent')).toMatchObject({
        state: 'error',
        error: expect.stringMatching(/^key\.lifetime must be at least 10s/),
      });
      await ok('connections.setEnabled', { name: 'orders', enabled: false });
    });

    const oversized = 'x'.repeat(20_000);
    it.each([
      ['wrong types', 'connections.setEnabled', { name: 5, enabled: 'yes' }, 'invalid-input', 'name'],
      ['a missing field', 'connections.setEnabled', { name: 'orders' }, 'invalid-input', 'enabled'],
      [
        'an unknown field',
        'connections.setEnabled',
        { name: 'orders', enabled: true, force: true },
        'invalid-input',
        undefined,
      ],
      ['an unknown connection', 'connections.setEnabled', { name: 'nope', enabled: true }, 'not-found', 'name'],
      [
        'an unknown connection to move',
        'connections.setListen',
        { name: 'nope', listen: '127.0.0.1:2' },
        'not-found',
        'name',
      ],
      ['an oversized name', 'connections.setEnabled', { name: oversized, enabled: true }, 'invalid-input', 'name'],
      ['an oversized token', 'session.login', { method: 'token', token: oversized }, 'invalid-input', 'token'],
      [
        'an oversized listen address',
        'connections.setListen',
        { name: 'orders', listen: `127.0.0.1:1${oversized}` },
        'invalid-input',
        'listen',
      ],
      [
        'a listen address of the wrong form',
        'connections.setListen',
        { name: 'orders', listen: 'localhost' },
        'invalid-input',
        'listen',
      ],
      [
        'a GUI that is not a known one',
        'connections.openGui',
        { name: 'orders', gui: 'sh -c "rm -rf ~"' },
        'invalid-input',
        'gui',
      ],
      [
        'a template smuggled in',
        'connections.openTerminal',
        { name: 'orders', command: 'xterm' },
        'invalid-input',
        undefined,
      ],
      ['an unknown command', 'connections.delete', { name: 'orders' }, 'unknown-command', 'command'],
      ['input that is not an object', 'connections.list', 'all', 'invalid-input', undefined],
    ])('answers %s with a typed error and changes nothing', async (_what, command, input, code, field) => {
      // Counters may still settle from earlier sessions; the state is what must not change.
      const states = async () =>
        ((await ok('connections.list')) as unknown as { stats?: unknown }[]).map(({ stats: _stats, ...view }) => view);
      const before = {
        session: await ok('session.get'),
        connections: await states(),
        file: await readFile(configPath, 'utf8'),
      };
      const result = await t().call(command, input);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error.code).toBe(code);
      if (field) expect(result.error.field).toBe(field);
      expect(result.error.message.length).toBeLessThan(500);
      expect(await ok('session.get')).toEqual(before.session);
      expect(await states()).toEqual(before.connections);
      expect(await readFile(configPath, 'utf8')).toBe(before.file);
    });
  });

  it('a scripted session (logins, toggles, errors, moves, reloads, launches) never shows a secret in any result or event', async () => {
    const t = transports['the real WebSocket bridge']!;
    const memory = transports['dispatcher over an in-memory transport']!;
    const results: ResultMessage[] = [];
    const step = async (command: string, input: unknown = {}) => {
      const result = await t.call(command, input);
      results.push(result);
      return result;
    };
    await step('session.logout');
    await step('session.login', { method: 'token', token: secrets.wrongToken });
    await step('session.login', {
      method: 'userpass',
      username: sandbox.logins.userpass.username,
      password: `${secrets.userpassPassword}-wrong`,
    });
    await step('session.login', {
      method: 'userpass',
      username: sandbox.logins.userpass.username,
      password: secrets.userpassPassword,
    });
    await step('connections.setEnabled', { name: 'orders', enabled: true });
    await step('connections.setEnabled', { name: 'nopass', enabled: true });
    await step('connections.setEnabled', { name: 'agent', enabled: true });
    const orders = (await step('connections.list')) as { ok: true; value: { name: string; listen: string }[] };
    await psql(orders.value.find((c) => c.name === 'orders')!.listen, 'select 1');
    await psql(orders.value.find((c) => c.name === 'nopass')!.listen, 'select 1');
    await step('connections.setListen', { name: 'orders', listen: `127.0.0.1:${await freePort()}` });
    await step('connections.openGui', { name: 'orders' });
    await step('connections.openGui', { name: 'orders', gui: 'dbeaver' });
    await step('connections.openTerminal', { name: 'orders' });
    const good = await readFile(configPath, 'utf8');
    await writeFile(configPath, good.replace('protocol: postgres', 'protocol: postgress'));
    await step('config.reload');
    await writeFile(configPath, good.replace('nopass', 'renamed'));
    await step('config.reload');
    await step('session.logout');
    await step('session.login', { method: 'token', token: childToken });
    await step('session.get');
    await step('connections.list');
    await step('activity.list');
    // Every command failed or succeeded as a contract answer; some failed on purpose.
    expect(results.filter((r) => !r.ok).length).toBeGreaterThanOrEqual(3);
    expect(results.some((r) => r.ok && (r.value as { state?: string }).state === 'authenticated')).toBe(true);

    const seen = [...results, ...t.events, ...memory.events];
    const strings: string[] = [];
    const walk = (value: unknown): void => {
      if (typeof value === 'string') strings.push(value);
      else if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === 'object')
        Object.entries(value).forEach(([k, v]) => (strings.push(k), walk(v)));
    };
    walk(seen);
    expect(strings.length).toBeGreaterThan(200);
    for (const [what, secret] of Object.entries(secrets)) {
      const leaks = strings.filter((s) => s.includes(secret));
      expect(leaks, `${what} appeared in ${leaks.length} result/event string(s)`).toEqual([]);
    }
  });
});
