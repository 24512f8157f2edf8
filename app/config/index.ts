export { SesameConfig, ConnectionConfig, CredentialsConfig, AuthConfig, isLoopbackHost } from './schema';
export type { ConnectionProtocol } from './schema';
export {
  parseConfig,
  loadConfig,
  saveConfig,
  writeConfigText,
  defaultConfigPath,
  ConfigError,
  formatFieldPath,
} from './load';
export type { ConfigProblem } from './load';
export { editConfigFile, setAgentSettings, setConnectionGui, setConnectionListen, setVaultSettings } from './edit';
export type { AgentSettingsEdit, VaultSettingsEdit } from './edit';
export { starterConfigText, writeStarterConfig } from './starter';
export type { StarterSettings } from './starter';
export { importSecretless } from './secretless';
export type { SecretlessImport, SecretlessImportOptions } from './secretless';
export { parseDurationMs } from './duration';
