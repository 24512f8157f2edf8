// Issue 17, item 8: the persistent cache file is AES-256-GCM; a tag cut short must be refused.
// Node's decipher accepts any tag length from 4 bytes unless told the length, which turns a
// 2^128 forgery into a 2^32 one. The file with its tag cut to 4 bytes must restore nothing.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../broker/log';
import { startAgentProxy } from '../broker/proxy';
import { raw } from '../broker/proxy/testing';
import { createVaultClient } from '../broker/vault';
import { createVaultSession, type SecretStoreLike } from '../broker/vault-session';
import { startVaultDev, type VaultDevServer } from '../sandbox/vault';
import { createPeriodicToken } from './testing/host-world';

const log = createLogger('hardening', () => {}, 'error');

/** An in-memory stand-in for the OS keychain (the cache key lives there). */
function memoryKeychain(): SecretStoreLike {
  const items = new Map<string, string>();
  return {
    kind: 'keychain',
    get: async (account) => items.get(account) ?? null,
    set: async (account, secret) => void items.set(account, secret),
    delete: async (account) => items.delete(account),
  };
}

describe('the persistent cache file', () => {
  let vault: VaultDevServer;
  let dir: string;

  beforeAll(async () => {
    vault = await startVaultDev();
    dir = await mkdtemp(path.join(tmpdir(), 'sesame-persist-tamper-'));
  });

  afterAll(async () => {
    await vault?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is refused when its authentication tag was cut short', async () => {
    const file = path.join(dir, 'cache', 'agent-cache');
    const store = memoryKeychain();
    const token = await createPeriodicToken(vault.address, vault.rootToken);
    const run = async (act: (address: string) => Promise<void>) => {
      const session = createVaultSession(createVaultClient({ address: vault.address }), log);
      await session.login({ method: 'token', token });
      const proxy = await startAgentProxy({
        vaultAddress: vault.address,
        listen: '127.0.0.1:0',
        session,
        log,
        persist: { file, store, writeDelayMs: 10 },
      });
      await act(proxy.address);
      const restored = proxy.restoredEntries;
      await proxy.close();
      session.close();
      return restored;
    };
    // A first run caches a token and writes the file.
    await run(async (address) => {
      const created = await raw(address, 'POST', '/v1/auth/token/create', {
        body: { policies: ['default'], ttl: '1h' },
      });
      expect(created.status).toBe(200);
    });
    const box = JSON.parse(await readFile(file, 'utf8')) as { tag: string };
    // Sanity: the untouched file restores.
    expect(await run(async () => {})).toBeGreaterThanOrEqual(1);
    // The same file with its tag cut to its first 4 bytes.
    const original = await readFile(file, 'utf8');
    await writeFile(
      file,
      JSON.stringify({
        ...JSON.parse(original),
        tag: Buffer.from(box.tag, 'base64').subarray(0, 4).toString('base64'),
      }),
    );
    expect(await run(async () => {}), 'a 4-byte GCM tag was accepted').toBe(0);
  });
});
