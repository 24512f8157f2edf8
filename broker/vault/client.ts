// A Vault HTTP client on node-vault: one per address + namespace. It adds what node-vault does
// not: typed errors that carry no token, per-request timeouts, and retries with exponential
// backoff and jitter on network errors, 429 and 5xx.
import { readFileSync } from 'node:fs';
import nodeVault from 'node-vault';
import { VaultError, errorForStatus } from './errors';

export interface VaultClientOptions {
  address: string;
  namespace?: string;
  /** PEM file of the CA that signed Vault's TLS certificate. */
  caCertFile?: string;
  timeoutMs?: number;
  /** Attempts for retryable failures, the first included. */
  attempts?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/** Vault's response envelope (VAULT-API.md). */
export interface VaultResponse<D = Record<string, unknown>> {
  request_id?: string;
  lease_id: string;
  renewable: boolean;
  lease_duration: number;
  data: D | null;
  wrap_info: Record<string, unknown> | null;
  warnings: string[] | null;
  auth: VaultAuth | null;
}

export interface VaultAuth {
  client_token: string;
  accessor: string;
  policies: string[];
  token_policies?: string[];
  metadata: Record<string, string> | null;
  lease_duration: number;
  renewable: boolean;
  entity_id?: string;
  token_type?: string;
  orphan?: boolean;
}

export interface VaultRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'LIST';
  /** Path under /v1/, no leading slash: `secret/data/orders-db`. */
  path: string;
  body?: Record<string, unknown>;
  token?: string;
}

export interface VaultClient {
  readonly address: string;
  readonly namespace?: string;
  /** One request with retries. 204 answers resolve to null. */
  request<D = Record<string, unknown>>(req: VaultRequest): Promise<VaultResponse<D> | null>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createVaultClient(options: VaultClientOptions): VaultClient {
  const address = options.address.replace(/\/+$/, '');
  const timeout = options.timeoutMs ?? 10_000;
  const attempts = Math.max(1, options.attempts ?? 3);
  const minBackoff = options.minBackoffMs ?? 100;
  const maxBackoff = options.maxBackoffMs ?? 2_000;
  const vault = nodeVault({
    endpoint: address,
    namespace: options.namespace,
    // node-vault's debug output prints request bodies (secrets): never enable it.
    debug: () => {},
    requestOptions: options.caCertFile ? { ca: readFileSync(options.caCertFile) } : {},
    rpDefaults: { timeout },
  } as nodeVault.VaultOptions);
  // node-vault falls back to VAULT_TOKEN from the environment; tokens are always explicit here.
  vault.token = '';

  async function once<D>(req: VaultRequest): Promise<VaultResponse<D> | null> {
    const headers: Record<string, string> = {};
    if (req.token) headers['X-Vault-Token'] = req.token;
    try {
      const body = await vault.request({
        path: `/${req.path.replace(/^\/+/, '')}`,
        method: req.method,
        json: req.body ?? (req.method === 'GET' || req.method === 'LIST' ? undefined : {}),
        headers,
      });
      return (body ?? null) as VaultResponse<D> | null;
    } catch (error) {
      throw translate(error, req.path);
    }
  }

  function translate(error: unknown, path: string): VaultError {
    const e = error as { response?: { statusCode?: number; body?: { errors?: string[] } }; code?: string; message?: string };
    if (e.response?.statusCode) {
      return errorForStatus(e.response.statusCode, path, e.response.body?.errors ?? [], address);
    }
    // axios errors carry the request config (and so the token): keep only the code.
    if (e.code === 'ECONNABORTED' || e.code === 'ETIMEDOUT') {
      return new VaultError('timeout', `Vault at ${address} did not answer within ${timeout} ms (${path})`, path);
    }
    const code = e.code ?? 'network error';
    return new VaultError('unreachable', `Vault at ${address} is unreachable (${code})`, path);
  }

  return {
    address,
    namespace: options.namespace,
    async request<D>(req: VaultRequest) {
      let lastError: VaultError | undefined;
      for (let attempt = 0; attempt < attempts; attempt++) {
        try {
          return await once<D>(req);
        } catch (error) {
          lastError = error as VaultError;
          if (!lastError.retryable || attempt === attempts - 1) break;
          const backoff = Math.min(maxBackoff, minBackoff * 2 ** attempt);
          await sleep(backoff / 2 + Math.random() * (backoff / 2));
        }
      }
      throw lastError;
    },
  };
}
