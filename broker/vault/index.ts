export { createVaultClient } from './client';
export type { VaultClient, VaultClientOptions, VaultRequest, VaultResponse, VaultAuth } from './client';
export { VaultError } from './errors';
export type { VaultErrorKind } from './errors';
export { checkVaultAddress, readVaultHealth } from './health';
export type { VaultHealth, VaultHealthStatus } from './health';
