// KV static-secret caching through the proxy against the Vault dev server: hits only for tokens
// that may read the secret, eviction on writes through the proxy, and the periodic re-check
// that notices new versions, deletions and lost access.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVaultDev, type VaultDevServer } from '../../sandbox/vault';
import { createLogger } from '../log';
import { startAgentProxy, type AgentProxy } from './index';
import { awaitLease, raw } from './testing';

let vault: VaultDevServer;
let proxy: AgentProxy;
const log = createLogger('test', () => {}, 'error');
const tokens: Record<'reader' | 'other' | 'outsider', string> = { reader: '', other: '', outsider: '' };

const read = (path: string, token: string) => raw(proxy.address, 'GET', `/v1/${path}`, { token });
const root = () => ({ token: vault.rootToken });

beforeAll(async () => {
  vault = await startVaultDev();
  const policies = {
    team: 'path "secret/data/team/*" { capabilities = ["read", "create", "update"] }\npath "kv/*" { capabilities = ["read", "create", "update"] }',
    nothing: 'path "secret/data/elsewhere/*" { capabilities = ["read"] }',
  };
  for (const [name, policy] of Object.entries(policies))
    await raw(vault.address, 'PUT', `/v1/sys/policies/acl/${name}`, { ...root(), body: { policy } });
  const make = async (policy: string) =>
    (await raw(vault.address, 'POST', '/v1/auth/token/create', { ...root(), body: { policies: [policy], ttl: '1h' } }))
      .json.auth.client_token as string;
  tokens.reader = await make('team');
  tokens.other = await make('team');
  tokens.outsider = await make('nothing');
  await raw(vault.address, 'POST', '/v1/sys/mounts/kv', { ...root(), body: { type: 'kv', options: { version: '1' } } });
  await raw(vault.address, 'POST', '/v1/secret/data/team/db', { ...root(), body: { data: { password: 'first' } } });
  await raw(vault.address, 'POST', '/v1/kv/team/api', { ...root(), body: { key: 'one' } });
  proxy = await startAgentProxy({
    vaultAddress: vault.address,
    listen: '127.0.0.1:0',
    log,
    staticSecretRefreshMs: 300,
  });
});

afterAll(async () => {
  await proxy?.close();
  await vault?.stop();
});

describe('KV static secrets through the proxy', () => {
  it('answers the second read from the cache, and only to tokens Vault let read it', async () => {
    const first = await read('secret/data/team/db', tokens.reader);
    expect(first.headers['x-cache']).toBe('MISS');
    const second = await read('secret/data/team/db', tokens.reader);
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.json.data.data).toEqual({ password: 'first' });

    const outsider = await read('secret/data/team/db', tokens.outsider);
    expect(outsider.status).toBe(403);
    expect(outsider.text).not.toContain('first');
    expect((await read('secret/data/team/db', '')).status).toBe(403);

    // Another token with access proves it once through Vault, then shares the cached answer.
    expect((await read('secret/data/team/db', tokens.other)).headers['x-cache']).toBe('MISS');
    expect((await read('secret/data/team/db', tokens.other)).headers['x-cache']).toBe('HIT');
    expect(proxy.registry.get('kv:root/|secret/data/team/db')).toMatchObject({
      kind: 'kv-secret',
      version: 1,
      hits: 2,
      renewable: false,
    });
  });

  it('a write through the proxy evicts the cached secret at once', async () => {
    await read('secret/data/team/db', tokens.reader);
    const write = await raw(proxy.address, 'POST', '/v1/secret/data/team/db', {
      token: tokens.reader,
      body: { data: { password: 'second' } },
    });
    expect(write.status).toBe(200);
    const after = await read('secret/data/team/db', tokens.reader);
    expect(after.headers['x-cache']).toBe('MISS');
    expect(after.json.data).toMatchObject({ data: { password: 'second' }, metadata: { version: 2 } });
  });

  it('notices a new version written straight to Vault (version check)', async () => {
    await read('secret/data/team/db', tokens.reader);
    await raw(vault.address, 'POST', '/v1/secret/data/team/db', { ...root(), body: { data: { password: 'third' } } });
    await awaitLease(proxy.registry, 'kv:root/|secret/data/team/db', (r) => r.version === 3);
    const hit = await read('secret/data/team/db', tokens.reader);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.json.data.data).toEqual({ password: 'third' });
  });

  it('caches KV v1 and notices a change of content', async () => {
    await read('kv/team/api', tokens.reader);
    expect((await read('kv/team/api', tokens.reader)).headers['x-cache']).toBe('HIT');
    await raw(vault.address, 'POST', '/v1/kv/team/api', { ...root(), body: { key: 'two' } });
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error('the cached KV v1 secret never changed')), 10_000);
      const poll = async () => {
        const answer = await read('kv/team/api', tokens.reader);
        if (answer.json.data?.key === 'two') return (clearTimeout(deadline), resolve());
        setTimeout(() => void poll(), 100);
      };
      void poll();
    });
  });

  it('stops serving a token whose access was taken away, and evicts a deleted secret', async () => {
    await raw(vault.address, 'POST', '/v1/secret/data/team/gone', { ...root(), body: { data: { v: 1 } } });
    await read('secret/data/team/gone', tokens.reader);
    await read('secret/data/team/gone', tokens.other);
    await raw(vault.address, 'POST', '/v1/auth/token/revoke', { ...root(), body: { token: tokens.other } });
    await raw(vault.address, 'DELETE', '/v1/secret/data/team/gone', root());
    const ended = await awaitLease(proxy.registry, 'kv:root/|secret/data/team/gone', (r) => r.state === 'evicted');
    expect(ended.endReason).toMatch(/deleted/);
    const revoked = await read('secret/data/team/db', tokens.other);
    expect(revoked.status).toBe(403);
  });
});
