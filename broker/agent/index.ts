export { createVaultSession, renewDelayMs } from './session';
export type { VaultSession, SessionSnapshot, SessionState, LoginRequest, LoginMethod } from './session';
