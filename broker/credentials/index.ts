export { createVaultKvFetcher, vaultKvApiPath } from './vault-kv';
export type { VaultKvSource, SessionTokenSource } from './vault-kv';
export { createLiteralFetcher, createEnvFetcher } from './literal';
export { CredentialError } from './errors';
export type { CredentialErrorKind } from './errors';
export { createVaultDynamicFetcher } from './vault-dynamic';
export type { VaultDynamicFetcher, VaultDynamicSource, DynamicLeaseEvent, DynamicLeaseMode } from './vault-dynamic';
