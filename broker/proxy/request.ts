// One client request, read and checked at the edge: path, query, namespace, token, headers and
// a size-limited body that must be a JSON object when present. Anything malformed becomes a
// Vault-style 4xx here, before the cache or Vault sees it.
import type { IncomingMessage } from 'node:http';
import { badRequest, ProxyError } from './errors';

export interface ProxyRequest {
  method: string;
  /** Path after /v1/, as sent (percent-encoding kept), no query. */
  path: string;
  /** The raw query string without '?', '' when none. */
  query: string;
  /** Canonical namespace: 'root/' or 'team-a/'. */
  namespace: string;
  /** The client's token ('' when it sent none); replaced by the auto-auth token upstream. */
  token: string;
  /** Headers to forward: Vault's own and content negotiation (see FORWARDED). */
  headers: Record<string, string>;
  body: Buffer;
  /** The body parsed, when there is one. */
  json?: Record<string, unknown>;
  /** X-Vault-Wrap-TTL was sent: the answer is a wrapping token, never cached. */
  wrapped: boolean;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/**
 * The client headers forwarded to Vault: Vault's own (X-Vault-*, but the token, which is set
 * from the request's token) and content negotiation. Everything else — Cookie,
 * Proxy-Authorization, X-Forwarded-*, Forwarded — stays behind: it could carry another site's
 * session or mislead Vault's audit log about who asked.
 */
const FORWARDED = (name: string) =>
  (name.startsWith('x-vault-') && name !== 'x-vault-token') || ['content-type', 'accept', 'user-agent'].includes(name);

const NAMESPACE = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*\/?$/;

/** 'team-a' → 'team-a/', '' → 'root/' (Vault Agent's index convention). */
export function canonicalNamespace(value: string | undefined): string {
  const trimmed = (value ?? '').trim().replace(/^\/+|\/+$/g, '');
  return trimmed === '' || trimmed === 'root' ? 'root/' : `${trimmed}/`;
}

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume(); // drain what is in flight; the answer goes out at once
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

// Vault answers an oversized body with 413 and "error parsing JSON"; we say why.
const tooLarge = (limit: number) =>
  new ProxyError(413, [`error parsing JSON: the request body is larger than ${limit} bytes`]);

/** Parse the request line and headers; the body is attached by the caller after reading it. */
export function parseProxyRequest(req: IncomingMessage, body: Buffer, defaultNamespace?: string): ProxyRequest {
  const method = (req.method ?? '').toUpperCase();
  if (!METHODS.has(method))
    throw new ProxyError(405, [`unsupported operation: HTTP method ${method || '(none)'} is not supported by Vault`]);
  const url = req.url ?? '';
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q + 1);
  if (!rawPath.startsWith('/v1/')) throw new ProxyError(404, []);
  const path = rawPath.slice(4);
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw badRequest('invalid request path: malformed percent-encoding');
  }
  if (decoded === '' || decoded.split('/').some((s) => s === '..' || s === '.') || /[\0\r\n]/.test(decoded)) {
    throw badRequest(`invalid request path "${rawPath}"`);
  }

  const nsHeader = header(req, 'x-vault-namespace');
  if (nsHeader !== undefined && nsHeader !== '' && !NAMESPACE.test(nsHeader.replace(/^\//, '')))
    throw badRequest('invalid namespace in X-Vault-Namespace');
  const namespace = canonicalNamespace(nsHeader ?? defaultNamespace);

  let token = header(req, 'x-vault-token') ?? '';
  const authorization = header(req, 'authorization');
  if (!token && authorization && /^bearer\s+/i.test(authorization))
    token = authorization.replace(/^bearer\s+/i, '').trim();

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || !FORWARDED(name)) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  if (namespace !== 'root/') headers['x-vault-namespace'] = namespace;
  else delete headers['x-vault-namespace'];

  const json = parseJsonObject(body);
  return {
    method,
    path,
    query,
    namespace,
    token,
    headers,
    body,
    ...(json ? { json } : {}),
    wrapped: !!header(req, 'x-vault-wrap-ttl'),
  };
}

/** A request body: empty → undefined; otherwise it must be a JSON object (Vault's wording). */
export function parseJsonObject(body: Buffer): Record<string, unknown> | undefined {
  const text = body.length ? body.toString('utf8').trim() : '';
  if (text === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('error parsing JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw badRequest('error parsing JSON: the body must be a JSON object');
  return value as Record<string, unknown>;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
