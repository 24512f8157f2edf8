export type { Platform, SecretStore } from './platform';
export { createMemorySecretStore } from './platform';
export { createKeychainSecretStore } from './keytar-store';
