// A Vault HTTP client on node-vault: one per address + namespace. It adds what node-vault does
// not: typed errors that carry no token, per-request timeouts, a namespace per request, and
// retries with exponential backoff and jitter on network errors, 429 and 5xx.
import { readFileSync } from 'node:fs';
import nodeVault from 'node-vault';
import { VaultError, errorForStatus, networkWords } from './errors';

export interface VaultClientOptions {
  address: string;
  namespace?: string;
  /** PEM file of the CA that signed Vault's TLS certificate. */
  caCertFile?: string;
  /** The same CA as PEM text (wins over caCertFile). */
  caCert?: string | Buffer;
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
  mount_type?: string;
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
  /** Path under /v1/, no leading slash: `secret/data/orders-db`; may carry a `?query`. */
  path: string;
  body?: Record<string, unknown>;
  token?: string;
  /** Namespace for this request only ('' = root); the client's namespace otherwise. */
  namespace?: string;
  /** Extra headers (e.g. `X-Vault-Wrap-TTL`). */
  headers?: Record<string, string>;
  /** Attempts for this request (1 = no retry): one-shot calls such as an OIDC callback. */
  attempts?: number;
  /** A deadline for each attempt, shorter than the client's (revocations at shutdown). */
  timeoutMs?: number;
}

export interface VaultClient {
  readonly address: string;
  readonly namespace?: string;
  /** One request with retries. 204 answers resolve to null. */
  request<D = Record<string, unknown>>(req: VaultRequest): Promise<VaultResponse<D> | null>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createVaultClient(options: VaultClientOptions): VaultClient {
  const address = validateAddress(options.address);
  const timeout = options.timeoutMs ?? 10_000;
  const attempts = Math.max(1, options.attempts ?? 3);
  const minBackoff = options.minBackoffMs ?? 100;
  const maxBackoff = options.maxBackoffMs ?? 2_000;
  const ca = options.caCert ?? (options.caCertFile ? readCa(options.caCertFile) : undefined);
  const vault = nodeVault({
    endpoint: address,
    // The namespace is set per request below, so one request can name another namespace.
    // node-vault's debug output prints request bodies (secrets): never enable it.
    debug: () => {},
    requestOptions: ca ? { ca } : {},
    rpDefaults: { timeout },
  } as nodeVault.VaultOptions);
  // node-vault falls back to VAULT_TOKEN / VAULT_NAMESPACE from the environment; both are
  // always explicit here.
  vault.token = '';
  (vault as { namespace?: string }).namespace = '';

  async function once<D>(req: VaultRequest): Promise<VaultResponse<D> | null> {
    const headers: Record<string, string> = { ...req.headers };
    if (req.token) headers['X-Vault-Token'] = req.token;
    const namespace = req.namespace ?? options.namespace;
    if (namespace) headers['X-Vault-Namespace'] = namespace;
    let path = `/${req.path.replace(/^\/+/, '')}`;
    let method: string = req.method;
    // LIST is not an HTTP method every stack accepts; Vault takes GET ?list=true as the same.
    if (method === 'LIST') {
      method = 'GET';
      path += `${path.includes('?') ? '&' : '?'}list=true`;
    }
    try {
      const body = await vault.request({
        path,
        method,
        json: req.body ?? (method === 'GET' ? undefined : {}),
        headers,
      });
      return body && typeof body === 'object' ? (body as VaultResponse<D>) : null;
    } catch (error) {
      throw translate(error, req.path.replace(/\?.*$/, ''));
    }
  }

  function translate(error: unknown, path: string): VaultError {
    const e = error as {
      response?: { statusCode?: number; body?: { errors?: string[] } };
      code?: string;
      message?: string;
    };
    if (e.response?.statusCode) {
      const errors = Array.isArray(e.response.body?.errors)
        ? e.response.body.errors.filter((m) => typeof m === 'string')
        : [];
      return errorForStatus(e.response.statusCode, path, errors, address);
    }
    // axios errors carry the request config (and so the token): keep only the code.
    if (e.code === 'ECONNABORTED' || e.code === 'ETIMEDOUT') {
      return new VaultError('timeout', `Vault at ${address} did not answer within ${timeout} ms (${path})`, path);
    }
    const code = e.code ?? 'network error';
    return new VaultError(
      'unreachable',
      `Vault at ${address} is unreachable: ${networkWords(code)}`,
      path,
      undefined,
      [],
      code,
    );
  }

  return {
    address,
    namespace: options.namespace,
    async request<D>(req: VaultRequest) {
      const tries = Math.max(1, req.attempts ?? attempts);
      let lastError: VaultError | undefined;
      for (let attempt = 0; attempt < tries; attempt++) {
        try {
          return await (req.timeoutMs === undefined ? once<D>(req) : withDeadline(once<D>(req), req));
        } catch (error) {
          lastError = error as VaultError;
          if (!lastError.retryable || attempt === tries - 1) break;
          const backoff = Math.min(maxBackoff, minBackoff * 2 ** attempt);
          await sleep(backoff / 2 + Math.random() * (backoff / 2));
        }
      }
      throw lastError;
    },
  };
}

/** The attempt, or a timeout error after `req.timeoutMs` (the request itself is left to end). */
function withDeadline<T>(attempt: Promise<T>, req: VaultRequest): Promise<T> {
  const path = req.path.replace(/\?.*$/, '');
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new VaultError('timeout', `Vault did not answer within ${req.timeoutMs} ms (${path})`, path)),
      req.timeoutMs,
    );
    timer.unref();
    attempt.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

function validateAddress(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`Vault address '${text}' is not a URL (expected e.g. https://vault.example.com:8200)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`Vault address '${text}' must start with http:// or https://`);
  }
  return text.replace(/\/+$/, '');
}

function readCa(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new Error(
      `cannot read Vault's CA certificate ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}
