// The keychain path against a real OS keychain: the sandbox's private D-Bus session bus with an
// unlocked gnome-keyring, started here and stopped afterwards.
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKeytar } from '../app/platform';
import { startKeychain, type Keychain } from '../sandbox/servers';
import { createSecretStore, KEYCHAIN_SERVICE, type SafeStorageLike } from './secrets';

const TOKEN = 'hvs.CAESIJ-keychain-test-token-9876543210';
let keychain: Keychain | undefined;
let userData = '';
let savedBus: string | undefined;

/** safeStorage must not be reached when the keychain answers: it fails loudly if it is. */
const unusedSafeStorage: SafeStorageLike = {
  isAsyncEncryptionAvailable: async () => {
    throw new Error('safeStorage was consulted although the keychain answered');
  },
  encryptStringAsync: async () => {
    throw new Error('safeStorage used');
  },
  decryptStringAsync: async () => {
    throw new Error('safeStorage used');
  },
};

const loaded = await loadKeytar();
const skipped = 'missing' in loaded ? ` — skipped: ${loaded.missing}` : '';

describe.skipIf(skipped)(`secret store with the OS keychain${skipped}`, () => {
  beforeAll(async () => {
    keychain = await startKeychain();
    userData = await mkdtemp(path.join(os.tmpdir(), 'sesame-userdata-'));
    // keytar (libsecret) in this worker finds the bus through the environment.
    savedBus = process.env.DBUS_SESSION_BUS_ADDRESS;
    process.env.DBUS_SESSION_BUS_ADDRESS = keychain.env.DBUS_SESSION_BUS_ADDRESS;
  });

  afterAll(async () => {
    if (savedBus === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
    else process.env.DBUS_SESSION_BUS_ADDRESS = savedBus;
    await keychain?.stop();
    if (userData) await rm(userData, { recursive: true, force: true });
  });

  it('keeps the token in the keychain under the service "sesame", and nothing in userData', async () => {
    if ('missing' in loaded) throw new Error(loaded.missing);
    const { keytar } = loaded;
    const store = await createSecretStore({ safeStorage: unusedSafeStorage, userDataDir: userData, platform: 'linux' });
    expect(store.kind).toBe('keychain');
    expect(store.unavailableReason).toBeUndefined();

    await store.set('vault-token', TOKEN);
    expect(await keytar.getPassword(KEYCHAIN_SERVICE, 'vault-token')).toBe(TOKEN);
    expect(await store.get('vault-token')).toBe(TOKEN);
    expect(await store.get('never-set')).toBeNull();
    expect(readdirSync(userData)).toEqual([]);
    expect(await store.delete('vault-token')).toBe(true);
    expect(await keytar.getPassword(KEYCHAIN_SERVICE, 'vault-token')).toBeNull();
  });
});
