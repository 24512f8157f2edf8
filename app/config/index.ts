export { SesameConfig, ConnectionConfig, CredentialsConfig, AuthConfig, isLoopbackHost } from './schema';
export type { ConnectionProtocol } from './schema';
export { parseConfig, loadConfig, saveConfig, writeConfigText, defaultConfigPath, ConfigError, formatFieldPath } from './load';
export type { ConfigProblem } from './load';
export { editConfigFile, setConnectionListen } from './edit';
export { importSecretless } from './secretless';
export type { SecretlessImport, SecretlessImportOptions } from './secretless';
export { parseDurationMs } from './duration';
