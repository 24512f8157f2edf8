// Settings a user changes from the UI, against real Vault dev servers and the real config file:
// the first run saves a Vault address (checked live) and the host starts from the new file;
// a new Vault address restarts the host (the login for the old one comes back when switching
// back); the agent listener and token sink are checked, written and applied; GUI choices and
// start at login apply without a restart. Refusals name the field and change nothing.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../broker/log';
import { freePort } from '../../sandbox/servers';
import { startVaultDev, type VaultDevServer } from '../../sandbox/vault';
import { ApiError, parseCommandInput, type AppEvent, type AppReset, type VaultHealthView } from '../api';
import type { StartAtLogin } from '../platform';
import { createAppHost, type AppHost } from '.';
import { recordingPlatform } from './testing';

let vaultA: VaultDevServer;
let vaultB: VaultDevServer;
let dir: string;
const hosts: AppHost[] = [];

beforeAll(async () => {
  [vaultA, vaultB] = await Promise.all([startVaultDev(), startVaultDev()]);
  dir = await mkdtemp(path.join(os.tmpdir(), 'sesame-settings-'));
});

afterAll(async () => {
  for (const host of hosts) await host.close();
  await Promise.all([vaultA?.stop(), vaultB?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

async function open(configPath: string, platform = recordingPlatform()) {
  const host = await createAppHost({
    configPath,
    platform,
    mode: 'browser',
    log: silentLogger,
    vaultHealthIntervalMs: 200,
  });
  hosts.push(host);
  const events: AppEvent[] = [];
  host.subscribe((event) => events.push(event));
  return {
    host,
    events,
    resets: () => events.filter((e) => e.event === 'app.reset').map((e) => (e.payload as AppReset).reason),
  };
}

async function refusal(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

async function writeConfig(name: string, body: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, body, { mode: 0o600 });
  return file;
}

describe('first run', () => {
  it('shows the setup form until a reachable Vault is saved; then the host runs from the new file', async () => {
    const configPath = path.join(dir, 'first-run', 'sesame', 'config.yaml');
    const { host, resets } = await open(configPath);
    expect(await host.call('app.info', {})).toMatchObject({ setup: true, configPath });
    expect(await host.call('session.get', {})).toMatchObject({ state: 'logged-out', vaultAddress: '' });
    expect(await host.call('connections.list', {})).toEqual([]);
    expect((await refusal(host.call('settings.get', {}))).message).toContain('enter the address of your Vault');

    const closed = `http://127.0.0.1:${await freePort()}`;
    expect(await host.call('vault.check', { address: closed })).toMatchObject({ status: 'unreachable' });
    const unreachable = await refusal(host.call('settings.update', { vault: { address: closed } }));
    expect(unreachable).toMatchObject({ code: 'vault-unreachable', field: 'vault.address' });
    await expect(stat(configPath)).rejects.toThrow(/ENOENT/);

    const saved = await host.call('settings.update', { vault: { address: vaultA.address } });
    expect(saved).toMatchObject({
      restarted: true,
      settings: { vault: { address: vaultA.address, authMethod: 'oidc' } },
    });
    expect(resets()).toHaveLength(1);
    expect((await stat(configPath)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(configPath))).mode & 0o777).toBe(0o700);
    expect(await readFile(configPath, 'utf8')).toMatch(/^# Sesame: where Vault is/);

    expect(await host.call('app.info', {})).toMatchObject({ setup: false });
    expect(await host.call('session.get', {})).toMatchObject({ state: 'logged-out', vaultAddress: vaultA.address });
    const session = await host.call('session.login', { method: 'token', token: vaultA.rootToken });
    expect(session.state).toBe('authenticated');
  });
});

describe('settings.update on a running host', () => {
  let configPath: string;
  let host: AppHost;
  let events: AppEvent[];
  let resets: () => string[];
  const notified: string[] = [];
  const startAtLogin: StartAtLogin & { on: boolean } = {
    available: true,
    on: false,
    isEnabled() {
      return this.on;
    },
    setEnabled(enabled) {
      this.on = enabled;
    },
  };

  beforeAll(async () => {
    const port = await freePort();
    configPath = await writeConfig(
      'running.yaml',
      [
        '# my settings',
        'vault:',
        `  address: ${vaultA.address}`,
        '  auth: { method: token }',
        'connections:',
        '  - name: orders # the orders database',
        '    protocol: postgres',
        `    listen: 127.0.0.1:${port}`,
        '    autoStart: true',
        '    target: { host: 127.0.0.1, port: 1, sslmode: disable }',
        '    credentials: { from: literal, values: { user: u, password: p } }',
        '',
      ].join('\n'),
    );
    ({ host, events, resets } = await open(configPath, {
      ...recordingPlatform(),
      notify: (title) => void notified.push(title),
      startAtLogin,
    }));
    await host.call('session.login', { method: 'token', token: vaultA.rootToken });
  });

  it('a new Vault address restarts the host; switching back brings the old login back', async () => {
    const moved = await host.call('settings.update', { vault: { address: vaultB.address } });
    expect(moved.restarted).toBe(true);
    expect(moved.settings.vault.address).toBe(vaultB.address);
    expect(await host.call('session.get', {})).toMatchObject({ vaultAddress: vaultB.address, state: 'logged-out' });
    const text = await readFile(configPath, 'utf8');
    expect(text).toContain(`address: ${vaultB.address}`);
    expect(text).toContain('# the orders database');

    await host.call('settings.update', { vault: { address: vaultA.address } });
    expect(await host.call('session.get', {})).toMatchObject({ vaultAddress: vaultA.address, state: 'authenticated' });
    expect(resets()).toHaveLength(2);
    // The connection came back with the host.
    expect((await host.call('connections.list', {})).map((c) => `${c.name}:${c.state}`)).toEqual(['orders:ready']);
    // There is no keychain here (a memory store): the activity says where the session really came from.
    const restored = (await host.call('activity.list', {})).filter((a) => a.kind === 'restored').map((a) => a.message);
    expect(restored.at(-1)).toMatch(/^restored the Vault session \(\w+\) kept in memory since Sesame started/);
  });

  it('refuses a URL that is not Vault and an unreadable CA file, naming the field; the file is unchanged', async () => {
    const before = await readFile(configPath, 'utf8');
    const notVault = await refusal(
      host.call('settings.update', { vault: { address: `http://127.0.0.1:${await freePort()}` } }),
    );
    expect(notVault).toMatchObject({ code: 'vault-unreachable', field: 'vault.address' });
    const badCa = await refusal(
      host.call('settings.update', { vault: { address: vaultA.address, caCert: path.join(dir, 'missing-ca.pem') } }),
    );
    expect(badCa).toMatchObject({ code: 'invalid-input', field: 'vault.caCert' });
    expect(await readFile(configPath, 'utf8')).toBe(before);
  });

  it('the agent listener: busy, non-loopback and a connection’s address are refused; a free one serves the proxy; null turns it off', async () => {
    const before = await readFile(configPath, 'utf8');
    const busy = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const busyPort = (busy.address() as net.AddressInfo).port;
    try {
      expect(await refusal(host.call('settings.update', { agent: { listen: `127.0.0.1:${busyPort}` } }))).toMatchObject(
        { code: 'conflict', field: 'agent.listen' },
      );
    } finally {
      busy.close();
    }
    expect(
      await refusal(host.call('settings.update', { agent: { listen: `0.0.0.0:${await freePort()}` } })),
    ).toMatchObject({ code: 'invalid-input', field: 'agent.listen' });
    const orders = (await host.call('connections.list', {}))[0]!.listen;
    expect(await refusal(host.call('settings.update', { agent: { listen: orders } }))).toMatchObject({
      code: 'conflict',
      field: 'agent.listen',
    });
    expect(await readFile(configPath, 'utf8')).toBe(before);

    const listen = `127.0.0.1:${await freePort()}`;
    const on = await host.call('settings.update', { agent: { listen } });
    // In place: no restart (connections, their clients and leases stay), the proxy moved.
    expect(on).toMatchObject({
      restarted: false,
      settings: { agent: { listen } },
      message: `The token agent now listens on ${listen}.`,
    });
    // The proxy answers with the session's token (auto-auth): lookup-self without a token of ours.
    const lookup = await fetch(`http://${listen}/v1/auth/token/lookup-self`, {
      headers: { 'X-Vault-Request': 'true' },
    });
    expect(lookup.status).toBe(200);
    expect(((await lookup.json()) as { data: { policies: string[] } }).data.policies).toContain('root');

    // The private choice the form offers: a unix socket beside the config, 0600 in a 0700 folder.
    const suggested = on.settings.agent.suggestedListen!;
    expect(suggested).toBe(`unix:${path.join(path.dirname(configPath), 'agent.sock')}`);
    const onSocket = await host.call('settings.update', { agent: { listen: suggested } });
    expect(onSocket.settings.agent.listen).toBe(suggested);
    expect((await stat(suggested.slice(5))).mode & 0o777).toBe(0o600);
    const viaSocket = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        { socketPath: suggested.slice(5), path: '/v1/auth/token/lookup-self', headers: { 'X-Vault-Request': 'true' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(viaSocket).toBe(200);

    const off = await host.call('settings.update', { agent: { listen: null } });
    expect(off.settings.agent.listen).toBeUndefined();
    await expect(fetch(`http://${listen}/v1/sys/health`)).rejects.toThrow();
    expect(await readFile(configPath, 'utf8')).not.toContain('agent:');
  });

  it('the token sink: a missing folder is refused; a set sink gets the token with mode 0600', async () => {
    const missing = await refusal(
      host.call('settings.update', { agent: { tokenSink: path.join(dir, 'no-such-dir', 'token') } }),
    );
    expect(missing).toMatchObject({ code: 'invalid-input', field: 'agent.tokenSink' });
    const sink = path.join(dir, 'vault-token-sink');
    const saved = await host.call('settings.update', { agent: { tokenSink: sink } });
    expect(saved.settings.agent.tokenSink).toBe(sink);
    await expect.poll(async () => (await stat(sink).catch(() => undefined))?.mode, { timeout: 5_000 }).toBeDefined();
    expect((await stat(sink)).mode & 0o777).toBe(0o600);
    expect((await readFile(sink, 'utf8')).trim()).toBe(vaultA.rootToken);
    await host.call('settings.update', { agent: { tokenSink: null } });
  });

  it('GUI choice and start at login apply without a restart; the UI cannot name a program to run', async () => {
    const resetsBefore = resets().length;
    // Command templates come from the config file only: the bridges' contract and the host refuse them.
    expect(() => parseCommandInput('settings.update', { gui: { connection: 'orders', gui: 'psql {url}' } })).toThrow(
      expect.objectContaining({ field: 'gui.gui' }),
    );
    const template = await refusal(
      host.call('settings.update', { gui: { connection: 'orders', gui: 'psql {url}' } } as never),
    );
    expect(template).toMatchObject({ code: 'invalid-input', field: 'gui' });
    expect(
      await refusal(host.call('settings.update', { gui: { connection: 'nobody', gui: 'dbeaver' } })),
    ).toMatchObject({ code: 'not-found' });
    // Only the GUIs that speak the connection's protocol are offered, by the names people know.
    const offered = (await host.call('settings.get', {})).guis.find((g) => g.connection === 'orders')!.choices;
    expect(offered.map((c) => c.label)).toEqual(['DBeaver', 'pgAdmin 4', 'DataGrip', 'TablePlus', 'Beekeeper Studio']);
    const wrongKind = await refusal(
      host.call('settings.update', { gui: { connection: 'orders', gui: 'mysql-workbench' } }),
    );
    expect(wrongKind).toMatchObject({ code: 'invalid-input', field: 'gui' });
    expect(wrongKind.message).toMatch(
      /^MySQL Workbench does not open PostgreSQL databases; orders is one\. Choose DBeaver, /,
    );
    expect(await readFile(configPath, 'utf8')).not.toContain('gui:');

    const changed = await host.call('settings.update', {
      gui: { connection: 'orders', gui: 'dbeaver' },
      startAtLogin: true,
    });
    expect(changed).toMatchObject({
      restarted: false,
      settings: { startAtLogin: true, guis: [{ connection: 'orders', gui: 'dbeaver' }] },
    });
    expect(changed.message).toBe('"Open in GUI" for orders now starts DBeaver; start at login is on.');
    expect(startAtLogin.on).toBe(true);
    expect(await readFile(configPath, 'utf8')).toMatch(/gui: dbeaver/);
    expect(resets()).toHaveLength(resetsBefore);
    const activity = await host.call('activity.list', {});
    expect(
      activity.some((a) =>
        a.message.startsWith('"Open in …" for orders changed: no connection changed; 1 kept running (orders)'),
      ),
    ).toBe(true);
    await host.call('settings.update', { gui: { connection: 'orders', gui: null } });
    expect(await readFile(configPath, 'utf8')).not.toContain('gui:');
  });

  it('start at login is refused where the shell has none', async () => {
    const other = await writeConfig('plain.yaml', `vault:\n  address: ${vaultA.address}\n`);
    const { host: plain } = await open(other);
    expect((await plain.call('settings.get', {})).startAtLogin).toBeUndefined();
    expect(await refusal(plain.call('settings.update', { startAtLogin: true }))).toMatchObject({
      code: 'conflict',
      field: 'startAtLogin',
    });
  });

  it('Vault health: sealing is an event and an activity line; unsealing brings it back', async () => {
    const healthOf = () =>
      events.filter((e) => e.event === 'vault.health').map((e) => (e.payload as VaultHealthView).status);
    expect((await host.call('vault.health', {})).status).toBe('ok');
    vaultA.seal();
    try {
      await expect.poll(() => healthOf().at(-1), { timeout: 5_000 }).toBe('sealed');
      expect((await host.call('vault.health', {})).message).toContain('sealed');
    } finally {
      vaultA.unseal();
    }
    await expect.poll(() => healthOf().at(-1), { timeout: 5_000 }).toBe('ok');
    const kinds = (await host.call('activity.list', {})).map((a) => a.kind);
    expect(kinds).toContain('vault-sealed');
    expect(kinds).toContain('vault-up');
    expect(notified).toEqual(['Vault is sealed', 'Vault is back']);
  });
});
