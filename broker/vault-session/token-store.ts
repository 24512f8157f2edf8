// Keeping the session token between runs: the OS keychain through the app's secret store (the
// store is passed in; broker/ never imports app/). One account per Vault address + namespace;
// the value is JSON {token, accessor, expiresAt, method}. A store that cannot persist (kind
// 'memory') is said so plainly; nothing here ever writes a token to a plain file.
import type { Logger } from '../log';
import type { LoginMethod } from './login-request';

/** Structurally the app's `SecretStore` (app/platform/platform.ts). */
export interface SecretStoreLike {
  readonly kind: 'keychain' | 'safe-storage' | 'memory';
  readonly unavailableReason?: string;
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  delete(account: string): Promise<boolean>;
}

export interface StoredToken {
  token: string;
  accessor: string;
  /** ISO time; null for a token that does not expire. */
  expiresAt: string | null;
  method: LoginMethod;
}

export interface TokenStore {
  readonly kind: SecretStoreLike['kind'];
  /** Why the token will not outlive this process, when it will not. */
  readonly unavailableReason?: string;
  readonly account: string;
  load(): Promise<StoredToken | undefined>;
  save(token: StoredToken): Promise<void>;
  remove(): Promise<void>;
}

const METHODS = new Set<LoginMethod>(['token', 'userpass', 'approle', 'jwt', 'oidc']);

/** The keychain account of a Vault address + namespace: `https://vault:8200|team-a`. */
export function tokenAccount(address: string, namespace?: string): string {
  return `${address.replace(/\/+$/, '')}|${namespace ?? ''}`;
}

export function parseStoredToken(text: string): StoredToken | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const v = value as Partial<StoredToken> | null;
  if (!v || typeof v !== 'object') return undefined;
  if (typeof v.token !== 'string' || !v.token || typeof v.accessor !== 'string') return undefined;
  if (v.expiresAt !== null && (typeof v.expiresAt !== 'string' || Number.isNaN(Date.parse(v.expiresAt))))
    return undefined;
  if (typeof v.method !== 'string' || !METHODS.has(v.method)) return undefined;
  return { token: v.token, accessor: v.accessor, expiresAt: v.expiresAt, method: v.method };
}

export function createTokenStore(store: SecretStoreLike, account: string, log: Logger): TokenStore {
  return {
    kind: store.kind,
    ...(store.kind === 'memory' ? { unavailableReason: store.unavailableReason ?? 'no OS keychain is available' } : {}),
    account,
    async load() {
      const text = await store.get(account);
      if (text === null) return undefined;
      const parsed = parseStoredToken(text);
      if (!parsed) {
        log.warn('the stored Vault session is unreadable; forgetting it', { account });
        await store.delete(account).catch(() => false);
      }
      return parsed;
    },
    save: (token) => store.set(account, JSON.stringify(token)),
    async remove() {
      await store.delete(account);
    },
  };
}
