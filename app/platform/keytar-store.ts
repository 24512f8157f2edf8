// The OS keychain through keytar (libsecret on Linux, Keychain on macOS, Credential Vault on
// Windows). When no keychain answers, the store says so and keeps secrets in memory only:
// a token is never written to disk in plain text.
import { createMemorySecretStore, type SecretStore } from './platform';
import type * as KeytarModule from 'keytar';

type Keytar = typeof KeytarModule;

export async function createKeychainSecretStore(service = 'sesame'): Promise<SecretStore> {
  let keytar: Keytar;
  try {
    const imported = (await import('keytar')) as Keytar & { default?: Keytar };
    keytar = imported.default ?? imported;
  } catch (error) {
    return createMemorySecretStore(`the OS keychain module is not installed (${(error as Error).message.split('\n')[0]}); the Vault session lasts until Sesame quits`);
  }
  try {
    // Any call proves the secret service answers (on Linux: a D-Bus session with a keyring).
    await keytar.findCredentials(service);
  } catch (error) {
    return createMemorySecretStore(`the OS keychain is not available (${(error as Error).message.split('\n')[0]}); the Vault session lasts until Sesame quits`);
  }
  return {
    kind: 'keychain',
    get: (account) => keytar.getPassword(service, account),
    set: (account, secret) => keytar.setPassword(service, account, secret),
    delete: (account) => keytar.deletePassword(service, account),
  };
}
