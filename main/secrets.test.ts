// The fallbacks, with the real keytar failing for real: this file points D-Bus at a socket that
// does not exist, as on a machine without a secret service. (The keychain itself is proven in
// secrets-keychain.test.ts, against gnome-keyring.)
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemorySecretStore } from '../app/platform';
import { createSecretStore, SECRETS_FILE, type SafeStorageLike } from './secrets';

const TOKEN = 'hvs.CAESIJ-this-is-a-test-token-0123456789';

/** safeStorage as Electron gives it: real encryption (AES-GCM here) under a key it keeps. */
function safeStorageWith(backend: string, options: { available?: boolean; reEncrypt?: boolean } = {}) {
  const key = randomBytes(32);
  let decryptions = 0;
  const storage: SafeStorageLike & { decryptions: () => number } = {
    getSelectedStorageBackend: () => backend,
    isAsyncEncryptionAvailable: async () => options.available ?? true,
    async encryptStringAsync(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    async decryptStringAsync(data) {
      decryptions++;
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
      decipher.setAuthTag(data.subarray(12, 28));
      const result = Buffer.concat([decipher.update(data.subarray(28)), decipher.final()]).toString('utf8');
      return { shouldReEncrypt: options.reEncrypt === true && decryptions === 1, result };
    },
    decryptions: () => decryptions,
  };
  return storage;
}

let savedBus: string | undefined;
const temps: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sesame-secrets-'));
  temps.push(dir);
  return dir;
};

beforeAll(() => {
  savedBus = process.env.DBUS_SESSION_BUS_ADDRESS;
  process.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${path.join(os.tmpdir(), 'sesame-no-such-bus', 'socket')}`;
});
afterAll(() => {
  if (savedBus === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
  else process.env.DBUS_SESSION_BUS_ADDRESS = savedBus;
});
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('secret store without an OS keychain', () => {
  it('refuses to persist when safeStorage would only obfuscate (Linux basic_text), and says why', async () => {
    const userData = tempDir();
    const store = await createSecretStore({
      safeStorage: safeStorageWith('basic_text'),
      userDataDir: userData,
      platform: 'linux',
    });
    expect(store.kind).toBe('memory');
    expect(store.unavailableReason).toMatch(/keeps your Vault login in memory only/);
    expect(store.unavailableReason).toMatch(/the OS keychain (is not available|module is not installed) \(.+\)/);
    expect(store.unavailableReason).toMatch(/basic_text backend only obfuscates/);

    await store.set('vault-token', TOKEN);
    expect(await store.get('vault-token')).toBe(TOKEN); // for this run only
    expect(readdirSync(userData)).toEqual([]); // nothing on disk
  });

  it('keeps the token encrypted in a 0600 file when safeStorage has a real backend', async () => {
    const userData = tempDir();
    const safeStorage = safeStorageWith('gnome_libsecret');
    const reasons: string[][] = [];
    const store = await createSecretStore({
      safeStorage,
      userDataDir: userData,
      platform: 'linux',
      onChoice: (_store, why) => reasons.push(why),
    });
    expect(store.kind).toBe('safe-storage');
    expect(reasons[0]!.join()).toMatch(/the OS keychain (is not available|module is not installed)/);

    await store.set('vault-token', TOKEN);
    const file = path.join(userData, SECRETS_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const onDisk = readFileSync(file, 'utf8');
    expect(onDisk).not.toContain(TOKEN);
    expect(onDisk).not.toContain('CAESIJ');

    // A later run with the same safeStorage key reads it back.
    const again = await createSecretStore({ safeStorage, userDataDir: userData, platform: 'linux' });
    expect(await again.get('vault-token')).toBe(TOKEN);
    expect(await again.get('other')).toBeNull();
    expect(await again.delete('vault-token')).toBe(true);
    expect(await again.delete('vault-token')).toBe(false);
    expect(await store.get('vault-token')).toBeNull();
  });

  it('uses safeStorage on macOS and Windows, where it is backed by Keychain and DPAPI', async () => {
    const store = await createSecretStore({
      safeStorage: safeStorageWith('unknown'),
      userDataDir: tempDir(),
      platform: 'darwin',
    });
    expect(store.kind).toBe('safe-storage');
  });

  it('re-encrypts a value when safeStorage asks for it', async () => {
    const userData = tempDir();
    const store = await createSecretStore({
      safeStorage: safeStorageWith('kwallet5', { reEncrypt: true }),
      userDataDir: userData,
      platform: 'linux',
    });
    await store.set('vault-token', TOKEN);
    const before = readFileSync(path.join(userData, SECRETS_FILE), 'utf8');
    expect(await store.get('vault-token')).toBe(TOKEN);
    expect(readFileSync(path.join(userData, SECRETS_FILE), 'utf8')).not.toBe(before);
    expect(await store.get('vault-token')).toBe(TOKEN);
  });

  it('keeps nothing when keytar is not installed and safeStorage cannot encrypt', async () => {
    const store = await createSecretStore({
      keychain: async () =>
        createMemorySecretStore("the OS keychain module is not installed (Cannot find module 'keytar')"),
      safeStorage: safeStorageWith('gnome_libsecret', { available: false }),
      userDataDir: tempDir(),
      platform: 'linux',
    });
    expect(store.kind).toBe('memory');
    expect(store.unavailableReason).toContain("the OS keychain module is not installed (Cannot find module 'keytar')");
    expect(store.unavailableReason).toContain('safeStorage encryption is not available');
  });

  it('reports a damaged secrets file by its path, never by its content', async () => {
    const userData = tempDir();
    writeFileSync(path.join(userData, SECRETS_FILE), `{"version": 7, "note": "${TOKEN}"}`);
    const store = await createSecretStore({
      safeStorage: safeStorageWith('gnome_libsecret'),
      userDataDir: userData,
      platform: 'linux',
    });
    const failure = await store.get('vault-token').then(
      () => undefined,
      (error: Error) => error.message,
    );
    expect(failure).toContain(path.join(userData, SECRETS_FILE));
    expect(failure).toContain('is not a Sesame secrets file');
    expect(failure).not.toContain(TOKEN);
  });
});
