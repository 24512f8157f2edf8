export { createVaultKvFetcher, vaultKvApiPath } from './vault-kv';
export type { VaultKvSource } from './vault-kv';
export { createHoldFanout, withSessionToken } from './session-token';
export type { HoldOptions, SessionTokenSource } from './session-token';
export { createLiteralFetcher, createEnvFetcher } from './literal';
export { CredentialError } from './errors';
export type { CredentialErrorKind } from './errors';
export { createVaultDynamicFetcher } from './vault-dynamic';
export type { VaultDynamicFetcher, VaultDynamicSource, DynamicLeaseEvent, DynamicLeaseMode } from './vault-dynamic';
