export { createVaultSession, renewDelayMs } from './session';
export type {
  VaultSession,
  SessionSnapshot,
  SessionState,
  SessionEvent,
  SessionOptions,
  TokenOptions,
  LoginRequest,
  LoginMethod,
} from './session';
export { parseLoginRequest, canReauthenticate, InvalidLoginError } from './login-request';
export type { OidcLoginRequest } from './login-request';
export { OidcLoginError, OIDC_DEFAULTS } from './oidc';
export type { OidcFailure } from './oidc';
export { LoginFileError } from './login';
export { tokenAccount } from './token-store';
export type { SecretStoreLike, StoredToken } from './token-store';
