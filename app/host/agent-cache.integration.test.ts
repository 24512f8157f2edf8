// The token agent's cache settings from the UI (settings.update) and the config file, against
// the Vault dev server and the real config file: each toggle changes only what it names and
// restarts only the proxy's listener (the connection stays on); KV caching and the
// X-Vault-Request requirement turn on and off; the persistent cache is restored by the next
// run of the host for the same session, and without an OS keychain it is refused in Settings,
// said in the view and the Activity, and nothing is written.
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../broker/log';
import { raw } from '../../broker/proxy/testing';
import type { SecretStoreLike } from '../../broker/vault-session';
import { freePort } from '../../sandbox/servers';
import { startVaultDev, type VaultDevServer } from '../../sandbox/vault';
import { ApiError } from '../api';
import type { Platform } from '../platform';
import { createAppHost, type AppHost } from '.';
import { recordingPlatform } from './testing';

let vault: VaultDevServer;
let dir: string;
const hosts: AppHost[] = [];

beforeAll(async () => {
  vault = await startVaultDev();
  dir = await mkdtemp(path.join(os.tmpdir(), 'sesame-agent-cache-'));
  await raw(vault.address, 'POST', '/v1/secret/data/team/db', {
    token: vault.rootToken,
    body: { data: { password: 'kv-value' } },
  });
});

afterAll(async () => {
  for (const host of hosts) await host.close();
  await vault?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A config in its own folder: the token file logs in at start (as the sandbox's does). */
async function writeConfig(name: string, agentLines: string[]): Promise<{ configPath: string; listen: string }> {
  const folder = path.join(dir, name);
  await mkdir(folder, { mode: 0o700 });
  await writeFile(path.join(folder, 'token'), `${vault.rootToken}\n`, { mode: 0o600 });
  const listen = `127.0.0.1:${await freePort()}`;
  const configPath = path.join(folder, 'config.yaml');
  await writeFile(
    configPath,
    [
      'vault:',
      `  address: ${vault.address}`,
      '  auth: { method: token, tokenFile: token }',
      'agent:',
      `  listen: ${listen} # for the vault CLI`,
      ...agentLines,
      'connections:',
      '  - name: orders',
      '    protocol: postgres',
      `    listen: 127.0.0.1:${await freePort()}`,
      '    autoStart: true',
      '    target: { host: 127.0.0.1, port: 1, sslmode: disable }',
      '    credentials: { from: literal, values: { user: u, password: p } }',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return { configPath, listen };
}

async function open(configPath: string, platform: Platform = recordingPlatform()): Promise<AppHost> {
  const host = await createAppHost({ configPath, platform, mode: 'browser', log: silentLogger });
  hosts.push(host);
  return host;
}

async function closeHost(host: AppHost) {
  await host.close();
  hosts.splice(hosts.indexOf(host), 1);
}

/** A stand-in for the OS keychain that outlives a host (the cache key lives there). */
function keychainStandIn(): SecretStoreLike & Platform['secrets'] {
  const items = new Map<string, string>();
  return {
    kind: 'keychain',
    get: async (account) => items.get(account) ?? null,
    set: async (account, secret) => void items.set(account, secret),
    delete: async (account) => items.delete(account),
  };
}

/** What the vault CLI sends to VAULT_AGENT_ADDR: X-Vault-Request: true (raw adds it) and no token. */
const viaProxy = (listen: string, method: string, apiPath: string, body?: Record<string, unknown>) =>
  raw(`http://${listen}`, method, apiPath, body ? { body } : {});

describe('the token agent cache settings', () => {
  it('KV caching and X-Vault-Request turn off and on in place; each changes only its own key; the connection stays on', async () => {
    const { configPath, listen } = await writeConfig('toggles', []);
    const host = await open(configPath);
    expect((await host.call('connections.list', {}))[0]).toMatchObject({ name: 'orders', state: 'ready' });
    const settings = await host.call('settings.get', {});
    expect(settings.agent).toMatchObject({
      requireRequestHeader: true,
      cache: { staticSecrets: true, staticSecretRefreshSeconds: 30, persist: false },
    });
    expect(settings.agent.cache.persistence).toBeUndefined();

    // On by default: the second read is a hit.
    await viaProxy(listen, 'GET', '/v1/secret/data/team/db');
    expect((await viaProxy(listen, 'GET', '/v1/secret/data/team/db')).headers['x-cache']).toBe('HIT');

    const before = await readFile(configPath, 'utf8');
    const off = await host.call('settings.update', { agent: { cache: { staticSecrets: false } } });
    expect(off).toMatchObject({
      restarted: false,
      message: 'The token agent no longer caches KV secrets.',
      settings: { agent: { listen, cache: { staticSecrets: false, persist: false } } },
    });
    expect(await readFile(configPath, 'utf8')).toBe(
      `${before.replace('connections:', '  cache:\n    staticSecrets: false\nconnections:')}`,
    );
    const first = await viaProxy(listen, 'GET', '/v1/secret/data/team/db');
    const second = await viaProxy(listen, 'GET', '/v1/secret/data/team/db');
    expect([first.status, first.headers['x-cache'], second.headers['x-cache']]).toEqual([200, 'MISS', 'MISS']);
    expect((await host.call('connections.list', {}))[0]).toMatchObject({ name: 'orders', state: 'ready' });

    // The X-Vault-Request requirement: a bare request is refused, then accepted once it is off.
    const bare = () =>
      new Promise<{ status: number }>((resolve, reject) => {
        const [host, port] = listen.split(':') as [string, string];
        const req = http.get({ host, port: Number(port), path: '/v1/auth/token/lookup-self', agent: false }, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0 });
        });
        req.on('error', reject);
      });
    expect((await bare()).status).toBe(412);
    const relaxed = await host.call('settings.update', { agent: { requireRequestHeader: false } });
    expect(relaxed).toMatchObject({
      restarted: false,
      message: 'The token agent accepts requests without X-Vault-Request.',
      settings: { agent: { requireRequestHeader: false, cache: { staticSecrets: false } } },
    });
    expect((await bare()).status).toBe(200);
    await host.call('settings.update', { agent: { requireRequestHeader: true, cache: { staticSecrets: true } } });
    expect((await bare()).status).toBe(412);
    await viaProxy(listen, 'GET', '/v1/secret/data/team/db');
    expect((await viaProxy(listen, 'GET', '/v1/secret/data/team/db')).headers['x-cache']).toBe('HIT');
    expect(await readFile(configPath, 'utf8')).toContain(`listen: ${listen} # for the vault CLI`);
    expect((await host.call('connections.list', {}))[0]).toMatchObject({ name: 'orders', state: 'ready' });
    await closeHost(host);
  });

  it('without an OS keychain: turning persistence on is refused; set in the file, it is said to be off and nothing is written', async () => {
    const refused = await writeConfig('no-keychain-settings', []);
    const host = await open(refused.configPath);
    const before = await readFile(refused.configPath, 'utf8');
    const error = await host.call('settings.update', { agent: { cache: { persist: true } } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'conflict', field: 'agent.cache.persist' });
    expect((error as ApiError).message).toMatch(/no OS keychain .*tests keep nothing.*nothing is written/);
    expect(await readFile(refused.configPath, 'utf8')).toBe(before);
    await closeHost(host);

    const { configPath, listen } = await writeConfig('no-keychain-file', ['  cache: { persist: true }']);
    const running = await open(configPath);
    const persistence = (await running.call('settings.get', {})).agent.cache.persistence;
    expect(persistence).toMatchObject({
      state: 'unavailable',
      file: path.join(path.dirname(configPath), 'agent-cache'),
    });
    expect(persistence?.reason).toMatch(/no OS keychain .*nothing is written/);
    const said = (await running.call('activity.list', {})).filter((a) => a.kind === 'agent-cache');
    expect(said.map((a) => [a.level, a.message])).toEqual([
      ['warn', expect.stringMatching(/^the token agent's persistent cache is off: there is no OS keychain/)],
    ]);
    // A cacheable answer (a child token of the session), then a clean stop: no file at all.
    const created = await viaProxy(listen, 'POST', '/v1/auth/token/create', { policies: ['default'], ttl: '1h' });
    expect(created.status).toBe(200);
    expect(
      (await viaProxy(listen, 'POST', '/v1/auth/token/create', { policies: ['default'], ttl: '1h' })).headers[
        'x-cache'
      ],
    ).toBe('HIT');
    await closeHost(running);
    await expect(access(persistence!.file)).rejects.toThrow(/ENOENT/);
  });

  it('persistence turned on in Settings: the next run of the host restores the cache for the same session', async () => {
    const { configPath, listen } = await writeConfig('persist', []);
    const secrets = keychainStandIn();
    const platform = () => ({ ...recordingPlatform(), secrets });
    const first = await open(configPath, platform());
    const on = await first.call('settings.update', { agent: { cache: { persist: true } } });
    expect(on).toMatchObject({
      restarted: false,
      message:
        'The token agent keeps its cached tokens and leases across restarts (encrypted, key in the OS keychain).',
      settings: { agent: { cache: { persist: true, persistence: { state: 'active', restored: 0 } } } },
    });
    const body = { policies: ['default'], ttl: '1h', meta: { run: 'persist' } };
    const created = await viaProxy(listen, 'POST', '/v1/auth/token/create', body);
    expect(created.headers['x-cache']).toBe('MISS');
    const accessor = created.json.auth.accessor as string;
    await closeHost(first);
    const file = on.settings.agent.cache.persistence!.file;
    expect(await readFile(file, 'utf8')).not.toContain(accessor);

    const second = await open(configPath, platform());
    expect((await second.call('settings.get', {})).agent.cache.persistence).toEqual({
      state: 'active',
      file,
      restored: 1,
    });
    const again = await viaProxy(listen, 'POST', '/v1/auth/token/create', body);
    expect([again.headers['x-cache'], again.json.auth.accessor]).toEqual(['HIT', accessor]);
    expect((await second.call('leases.list', {})).map((l) => [l.kind, l.origin, l.state])).toContainEqual([
      'token',
      'proxy',
      'active',
    ]);
    expect((await second.call('activity.list', {})).map((a) => a.message)).toContain(
      `the token agent restored 1 cached entry from ${file}`,
    );
    await closeHost(second);
  });
});
