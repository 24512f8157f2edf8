// Credentials from a Vault KV secret (v1 or v2). The value is cached briefly so that opening a
// connection costs no Vault round trip; `refresh` (the backend refused it: rotation) and the
// cache age bound how stale it can be.
import type { Credential, CredentialFetcher } from '../connector';
import { VaultError, type VaultClient } from '../vault';
import { CredentialError } from './errors';
import { createHoldFanout, withSessionToken, type HoldOptions, type SessionTokenSource } from './session-token';

export interface VaultKvSource {
  /** KV mount, e.g. `secret`. */
  mount: string;
  /** Secret path inside the mount, e.g. `orders-db`. */
  path: string;
  version: 1 | 2;
  /** Credential field → key in the secret, e.g. { username: 'user', password: 'pass' }. */
  fields: Record<string, string>;
  /** Fields that must be present (after mapping). */
  required: string[];
  /** How long a fetched value may be reused for new connections. */
  maxAgeMs: number;
}

/** Vault failures during which a KV value read earlier is still served. */
const STALE_OK = new Set(['unreachable', 'sealed', 'timeout', 'server', 'rate-limited']);

export function vaultKvApiPath(source: Pick<VaultKvSource, 'mount' | 'path' | 'version'>): string {
  const mount = source.mount.replace(/^\/+|\/+$/g, '');
  const path = source.path.replace(/^\/+/, '');
  return source.version === 2 ? `${mount}/data/${path}` : `${mount}/${path}`;
}

export function createVaultKvFetcher(
  vault: VaultClient,
  session: SessionTokenSource,
  source: VaultKvSource,
): CredentialFetcher {
  const apiPath = vaultKvApiPath(source);
  let cached: { credential: Credential; at: number } | undefined;
  let inflight: Promise<Credential> | undefined;
  const holds = createHoldFanout();

  async function fetchOnce(hold: HoldOptions): Promise<Credential> {
    let raw: Record<string, unknown> | undefined;
    try {
      const response = await withSessionToken(session, hold, (token) =>
        vault.request<Record<string, unknown>>({ method: 'GET', path: apiPath, token }),
      );
      const data = response?.data ?? undefined;
      raw = source.version === 2 ? ((data?.data as Record<string, unknown> | null) ?? undefined) : data;
    } catch (error) {
      if (error instanceof VaultError) {
        if (error.kind === 'not-found')
          throw new CredentialError('not-found', `there is no Vault secret at ${apiPath}`);
        throw new CredentialError('vault', error.message, error.kind);
      }
      throw error;
    }
    if (!raw) throw new CredentialError('not-found', `there is no Vault secret at ${apiPath} (deleted or destroyed)`);
    const values: Record<string, string> = {};
    for (const [field, key] of Object.entries(source.fields)) {
      const value = raw[key];
      if (typeof value === 'string' && value !== '') values[field] = value;
      else if (typeof value === 'number') values[field] = String(value);
    }
    for (const field of source.required) {
      if (!(field in values)) {
        const key = source.fields[field] ?? field;
        throw new CredentialError('missing-field', `the Vault secret at ${apiPath} has no '${key}' field`);
      }
    }
    return { values, path: apiPath };
  }

  return {
    description: `vault-kv ${apiPath}`,
    // Like Vault Agent: the last value read keeps serving while Vault is down or sealed.
    offlineOutlook: () =>
      cached
        ? { keepsWorking: true, detail: 'the last value read from Vault keeps serving' }
        : { keepsWorking: false, detail: 'no value has been read yet, so new clients fail until Vault answers' },
    async get(options) {
      if (options?.refresh) cached = undefined;
      if (cached && Date.now() - cached.at < source.maxAgeMs) return cached.credential;
      // Concurrent connections share one Vault read, and its wait for a login; a check
      // (noWait) reads on its own rather than join a read that waits for one.
      const read =
        options?.noWait && (!inflight || holds.holding)
          ? fetchOnce({ noWait: true })
          : (inflight ??= fetchOnce(holds).finally(() => (inflight = undefined)));
      const leave = holds.join(options?.onHold);
      try {
        const credential = await read.finally(leave);
        cached = { credential, at: Date.now() };
        return credential;
      } catch (error) {
        // Like Vault Agent: while Vault cannot answer (down, sealed, overloaded), the last value
        // read keeps serving. A refusal (403, 404, a missing field) is not papered over.
        if (cached && error instanceof CredentialError && error.kind === 'vault' && STALE_OK.has(error.vaultKind ?? ''))
          return cached.credential;
        throw error;
      }
    },
  };
}
