// HTTP calls from the OIDC auth method to the identity provider. node:http(s) rather than fetch
// so `oidc_discovery_ca_pem` can be honoured, as Vault does for IdPs with a private CA.
import http from 'node:http';
import https from 'node:https';

const MAX_BODY_BYTES = 1024 * 1024;

export interface IdpResponse {
  status: number;
  contentType: string;
  body: string;
}

export interface IdpRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Sent as application/x-www-form-urlencoded. */
  form?: URLSearchParams;
  caPem?: string;
  timeoutMs?: number;
}

/** One request; rejects with a message naming the URL (never a header or form value). */
export function requestIdp(url: string, options: IdpRequest = {}): Promise<IdpResponse> {
  const target = URL.parse(url);
  if (!target || (target.protocol !== 'http:' && target.protocol !== 'https:')) {
    return Promise.reject(new Error(`not an http(s) URL: ${JSON.stringify(url)}`));
  }
  const body = options.form?.toString();
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    headers['Content-Length'] = String(Buffer.byteLength(body));
  }
  const transport = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      target,
      {
        method: options.method ?? (body === undefined ? 'GET' : 'POST'),
        headers,
        timeout: options.timeoutMs ?? 10_000,
        ...(target.protocol === 'https:' && options.caPem ? { ca: options.caPem } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            req.destroy(new Error(`response from ${target.origin}${target.pathname} exceeds ${MAX_BODY_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request to ${target.origin}${target.pathname} timed out`)));
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`${req.method} ${target.origin}${target.pathname}: ${err.code ?? err.message}`)),
    );
    req.end(body);
  });
}

/** GET a JSON object; rejects on a non-200 status or a body that is not a JSON object. */
export async function getJsonObject(url: string, caPem?: string, headers?: Record<string, string>) {
  const res = await requestIdp(url, { caPem, headers });
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${res.body.slice(0, 200)}`);
  return parseJsonObject(res.body, url);
}

export function parseJsonObject(text: string, source: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${source} did not answer with JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${source} did not answer with a JSON object`);
  }
  return value as Record<string, unknown>;
}
