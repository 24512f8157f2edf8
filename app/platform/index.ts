export type { Platform, SecretStore, StartAtLogin } from './platform';
export { createMemorySecretStore } from './platform';
export { createKeychainSecretStore } from './keytar-store';
export { loadKeytar, type Keytar, type KeytarLoad } from '../../broker/keychain';
export { checkArgv, findOnPath, shellQuote, startDetached, terminalLaunch, type TerminalLaunch } from './launch';
