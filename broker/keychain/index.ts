// The OS keychain module (keytar: libsecret on Linux, Keychain on macOS, Credential Vault on
// Windows), loaded only when it is installed and built. keytar is an optional native module:
// its types are declared here, so nothing fails to compile when it is missing, and every user
// of it goes through `loadKeytar()`, which says why it is missing instead of throwing.
import type { SecretStoreLike } from '../vault-session/token-store';

/** The part of keytar's API Sesame uses. */
export interface Keytar {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<Array<{ account: string; password: string }>>;
}

export type KeytarLoad = { keytar: Keytar } | { missing: string };

// A specifier the compiler does not resolve: the module may be absent at build time.
const KEYTAR = 'keytar';

/** keytar, or why it cannot be used (not installed, native build missing, fails to load). */
export async function loadKeytar(): Promise<KeytarLoad> {
  try {
    const imported = (await import(/* @vite-ignore */ KEYTAR)) as Keytar & { default?: Keytar };
    const keytar = imported.default ?? imported;
    if (typeof keytar.getPassword !== 'function') return { missing: 'the keytar module does not export getPassword' };
    return { keytar };
  } catch (error) {
    return { missing: `the OS keychain module is not installed (${firstLine(error)})` };
  }
}

/** A secret store over keytar under one service name. */
export function keytarSecretStore(keytar: Keytar, service: string): SecretStoreLike & { kind: 'keychain' } {
  return {
    kind: 'keychain',
    get: (account) => keytar.getPassword(service, account),
    set: (account, secret) => keytar.setPassword(service, account, secret),
    delete: (account) => keytar.deletePassword(service, account),
  };
}

export function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0] ?? '';
}
