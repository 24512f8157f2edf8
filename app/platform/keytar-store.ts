// The OS keychain through keytar (libsecret on Linux, Keychain on macOS, Credential Vault on
// Windows). When no keychain answers, the store says so and keeps secrets in memory only:
// a token is never written to disk in plain text.
import { firstLine, keytarSecretStore, loadKeytar } from '../../broker/keychain';
import { createMemorySecretStore, type SecretStore } from './platform';

export async function createKeychainSecretStore(service = 'sesame'): Promise<SecretStore> {
  const loaded = await loadKeytar();
  if ('missing' in loaded)
    return createMemorySecretStore(`${loaded.missing}; the Vault session lasts until Sesame quits`);
  try {
    // Any call proves the secret service answers (on Linux: a D-Bus session with a keyring).
    await loaded.keytar.findCredentials(service);
  } catch (error) {
    return createMemorySecretStore(
      `the OS keychain is not available (${firstLine(error)}); the Vault session lasts until Sesame quits`,
    );
  }
  return keytarSecretStore(loaded.keytar, service);
}
