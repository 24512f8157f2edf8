// What the persistent cache file holds, read back the way only the keychain's owner can: it is
// AES-256-GCM under the key kept in the (stand-in) keychain, and once decrypted it holds the
// cached token's answer, the token it was requested with and the session token's hash — never
// a KV secret the proxy cached, and no token in plain text on disk.
import { createDecipheriv, createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVaultDev, type VaultDevServer } from '../../sandbox/vault';
import { createLogger } from '../log';
import { createVaultClient } from '../vault';
import { createVaultSession, type SecretStoreLike } from '../vault-session';
import { startAgentProxy } from './index';
import { raw } from './testing';

const log = createLogger('test', () => {}, 'error');
let vault: VaultDevServer;
let dir: string;

/** A stand-in for the OS keychain (only the kind matters to the cache: 'keychain'). */
function keychainStandIn(): SecretStoreLike & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    kind: 'keychain',
    items,
    get: async (account) => items.get(account) ?? null,
    set: async (account, secret) => void items.set(account, secret),
    delete: async (account) => items.delete(account),
  };
}

beforeAll(async () => {
  vault = await startVaultDev();
  dir = await mkdtemp(path.join(os.tmpdir(), 'sesame-persist-contents-'));
  await raw(vault.address, 'POST', '/v1/secret/data/team/db', {
    token: vault.rootToken,
    body: { data: { password: 'kv-canary-Zq81' } },
  });
});

afterAll(async () => {
  await vault?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the persistent cache file', () => {
  it('holds cached tokens and leases, encrypted under the keychain key; never KV secrets or a plain token', async () => {
    const file = path.join(dir, 'agent-cache');
    const store = keychainStandIn();
    const token = (
      await raw(vault.address, 'POST', '/v1/auth/token/create', {
        token: vault.rootToken,
        body: { policies: ['root'], ttl: '1h' },
      })
    ).json.auth.client_token as string;
    const session = createVaultSession(createVaultClient({ address: vault.address }), log);
    await session.login({ method: 'token', token });
    const proxy = await startAgentProxy({
      vaultAddress: vault.address,
      listen: '127.0.0.1:0',
      session,
      log,
      cacheStaticSecrets: true,
      persist: { file, store, writeDelayMs: 10 },
    });
    await raw(proxy.address, 'GET', '/v1/secret/data/team/db');
    expect((await raw(proxy.address, 'GET', '/v1/secret/data/team/db')).headers['x-cache']).toBe('HIT');
    const child = await raw(proxy.address, 'POST', '/v1/auth/token/create', {
      body: { policies: ['default'], ttl: '1h' },
    });
    const childToken = child.json.auth.client_token as string;
    await proxy.close();
    session.close();

    // On disk: 0600, nothing readable.
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const onDisk = await readFile(file, 'utf8');
    for (const secret of [token, childToken, 'kv-canary-Zq81']) expect(onDisk).not.toContain(secret);

    // With the key from the keychain (and only with it): AES-256-GCM, 16-byte tag.
    expect([...store.items.keys()]).toEqual([`sesame-agent-cache|${file}`]);
    const key = Buffer.from(store.items.get(`sesame-agent-cache|${file}`)!, 'base64');
    expect(key).toHaveLength(32);
    expect(onDisk).not.toContain(store.items.get(`sesame-agent-cache|${file}`)!);
    const box = JSON.parse(onDisk) as { v: number; iv: string; tag: string; data: string };
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(box.iv, 'base64'), { authTagLength: 16 });
    decipher.setAuthTag(Buffer.from(box.tag, 'base64'));
    const plain = Buffer.concat([decipher.update(Buffer.from(box.data, 'base64')), decipher.final()]).toString('utf8');
    const saved = JSON.parse(plain) as {
      sessionToken: string;
      entries: Array<{ kind: string; requestPath: string; response: { body: string } }>;
    };
    // Tied to the session by a hash of its token; the entries are the cached token only.
    expect(saved.sessionToken).toBe(createHash('sha256').update(token).digest('base64url'));
    expect(saved.entries.map((e) => [e.kind, e.requestPath])).toEqual([['token', 'auth/token/create']]);
    const bodies = saved.entries.map((e) => Buffer.from(e.response.body, 'base64').toString('utf8')).join('\n');
    expect(bodies).toContain(childToken); // the cached answer itself, so it can be served again
    // Each entry names the token it was requested with (the session's), to match requests again.
    expect(plain).toContain(token);
    expect(plain).not.toContain('kv-canary-Zq81');
    expect(plain).not.toContain('secret/data/team/db');
  });

  it('is kept, not discarded, when the proxy starts before there is a session; the next start with it restores', async () => {
    const file = path.join(dir, 'no-session', 'agent-cache');
    const store = keychainStandIn();
    const token = (
      await raw(vault.address, 'POST', '/v1/auth/token/create', {
        token: vault.rootToken,
        body: { policies: ['root'], ttl: '1h' },
      })
    ).json.auth.client_token as string;
    const run = async (loggedIn: boolean) => {
      const session = createVaultSession(createVaultClient({ address: vault.address }), log);
      if (loggedIn) await session.login({ method: 'token', token });
      const proxy = await startAgentProxy({
        vaultAddress: vault.address,
        listen: '127.0.0.1:0',
        session,
        log,
        persist: { file, store, writeDelayMs: 10 },
      });
      const restored = proxy.restoredEntries;
      const answer = loggedIn
        ? await raw(proxy.address, 'POST', '/v1/auth/token/create', { body: { policies: ['default'], ttl: '1h' } })
        : undefined;
      await proxy.close();
      session.close();
      return { restored, cache: answer?.headers['x-cache'], accessor: answer?.json.auth.accessor as string };
    };
    const first = await run(true);
    expect(first).toMatchObject({ restored: 0, cache: 'MISS' });
    const written = await readFile(file, 'utf8');
    expect(await run(false)).toMatchObject({ restored: 0 });
    expect(await readFile(file, 'utf8')).toBe(written);
    expect(await run(true)).toEqual({ restored: 1, cache: 'HIT', accessor: first.accessor });
  });
});
