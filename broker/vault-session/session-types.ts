// The session's public shapes: its states and snapshot (what the UI may see: never the token),
// its events, and its options.
import type { LoginMethod, LoginRequest } from './login-request';
import type { SecretStoreLike } from './token-store';

export type SessionState =
  'logged-out' | 'logging-in' | 'authenticated' | 'renewing' | 'expiring' | 'expired' | 'error';

export interface SessionSnapshot {
  state: SessionState;
  method?: LoginMethod;
  displayName?: string;
  policies: string[];
  accessor?: string;
  expiresAt?: Date;
  renewable?: boolean;
  error?: string;
  /** Vault path the token came from (`auth/approle/login`). */
  loginPath?: string;
  issuedAt?: Date;
  /** The latest the token can live (explicit max TTL), when Vault says. */
  maxExpiresAt?: Date;
  renewals?: number;
  lastRenewedAt?: Date;
  /** True when the session logs in again by itself (AppRole, JWT file, token file). */
  reauthenticates?: boolean;
  /** OIDC: the URL to open in a browser while the login waits for it. */
  loginUrl?: string;
  /** Where the token is kept between runs; 'memory' means it ends with the process. */
  persistence?: SecretStoreLike['kind'];
  /**
   * True when Sesame logged in itself and so created the token (userpass, AppRole, JWT, OIDC):
   * logout revokes it. A token it was handed (typed, a token file, the vault CLI's) is only
   * forgotten — revoking it would end the developer's other logins.
   */
  minted?: boolean;
}

export type SessionEvent =
  | { type: 'login-required'; reason: string; timeoutMs: number }
  | { type: 'login-url'; url: string }
  | { type: 'expiring'; expiresAt: Date }
  | { type: 'renewed'; expiresAt: Date; atMaxTtl: boolean }
  | { type: 'renewal-failed'; error: string; retryInMs?: number }
  | { type: 'reauthenticated'; method: LoginMethod }
  | { type: 'reauth-failed'; error: string; retryInMs?: number }
  | { type: 'expired'; reason: string }
  | { type: 'restored'; method: LoginMethod }
  | { type: 'persistence-unavailable'; reason: string }
  | { type: 'persistence-failed'; error: string };

export interface SessionOptions {
  /** Keeps the token between runs (the app's SecretStore: the OS keychain). */
  store?: SecretStoreLike;
  /** How often a refused token file is checked for a change (default 1 s). */
  tokenFileWatchMs?: number;
  /** Optional token sink file (mode 0600) so the `vault` CLI shares the login. */
  tokenSink?: string;
  /** Opens a URL in the system browser (the app's Platform.openExternal), for OIDC. */
  openBrowser?: (url: string) => Promise<void>;
  /** A non-interactive login used by `start()` and to log in again by itself. */
  autoAuth?: LoginRequest;
  /** How long `token()` holds a caller while a login is needed (default 120 s). */
  loginWaitMs?: number;
  /**
   * Someone can log in (the app has a window): a logged-out session holds callers too, rather
   * than failing them at once. Without it only a login under way or a configured one holds.
   */
  interactive?: boolean;
  /** How often the session looks for a wall-clock jump (sleep, a paused process), and how big one must be. */
  wakeCheck?: { intervalMs?: number; toleranceMs?: number };
  /** Warn this long before an interactive session ends (default 5 min). */
  expiryWarningMs?: number;
  /** Backoff between failed renewals / re-authentications (default 1 s … 5 min). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface TokenOptions {
  /** Hold up to this long for a login when the session needs one (default loginWaitMs; 0 = fail at once). */
  waitMs?: number;
  signal?: AbortSignal;
  /** Told when the caller starts (true) and stops (false) being held for a login. */
  onHold?(held: boolean): void;
}

export interface VaultSession {
  snapshot(): SessionSnapshot;
  login(request: LoginRequest): Promise<SessionSnapshot>;
  /** Abandon a login in progress (an OIDC login waiting for the browser). */
  cancelLogin(): void;
  /**
   * Move the token sink (undefined: none): the old file is removed if it still holds the token
   * Sesame wrote, the new one written now when logged in. The session and its token stay.
   */
  setTokenSink(file: string | undefined): Promise<void>;
  /**
   * Forget the token and delete it from the keychain; revoke it at Vault first when Sesame
   * created it (`minted`) unless `revoke: false`. A token Sesame was handed is never revoked.
   */
  logout(options?: { revoke?: boolean }): Promise<SessionSnapshot>;
  /**
   * The current token. When the session has expired (or a login is in progress) it waits for a
   * login, raising 'login-required', up to `waitMs`; then a CredentialError('no-session').
   */
  token(options?: TokenOptions): Promise<string>;
  /**
   * A request made with `token` was refused (403). When Vault no longer accepts the token
   * (revoked, or expired at Vault: lookup-self is refused too), the session ends as expired — a
   * configured login runs again — and true is returned: ask `token()` again, which holds for the
   * login. False: the token is good (a policy refusal) or could not be checked.
   */
  tokenRefused(token: string): Promise<boolean>;
  /** Renew now (the lease registry's "renew" action). */
  renewNow(): Promise<SessionSnapshot>;
  /** Adopt the token kept in the keychain if lookup-self proves it valid. */
  restore(): Promise<SessionSnapshot>;
  /** restore(), then the configured non-interactive login if still logged out. */
  start(): Promise<SessionSnapshot>;
  onChange(listener: (snapshot: SessionSnapshot) => void): () => void;
  onEvent(listener: (event: SessionEvent) => void): () => void;
  close(): void;
}
