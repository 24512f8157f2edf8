export { SesameConfig, ConnectionConfig, CredentialsConfig, AuthConfig } from './schema';
export { parseConfig, loadConfig, saveConfig, defaultConfigPath, ConfigError, formatFieldPath } from './load';
export type { ConfigProblem } from './load';
export { parseDurationMs } from './duration';
