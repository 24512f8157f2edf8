// The API proxy listener: what clients point VAULT_AGENT_ADDR (or VAULT_ADDR) at. It checks
// each request at the edge, adds the session token to requests that carry none
// (use_auto_auth_token), serves /agent/v1/cache-clear, and hands the rest to the lease cache.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import {
  createLeaseRegistry,
  tokenEntryId,
  trackSessionToken,
  type LeaseRegistry,
  type TrackableSession,
} from '../leases';
import { formatListenAddress, startListener, type Listener } from '../listener';
import type { Logger } from '../log';
import { createVaultClient } from '../vault';
import { clearCache, parseCacheClear, type CacheClearRequest } from './cache-clear';
import { createCacheIndex } from './cache-index';
import { errorBody, ProxyError } from './errors';
import { createForwarder } from './forwarder';
import type { AutoAuthSource } from './auto-auth';
import { createLeaseCache, type ProxyResponse } from './lease-cache';
import { createCachePersistence, type CachePersistence, type PersistOptions } from './persist';
import { parseJsonObject, parseProxyRequest, readBody } from './request';
import { createStaticSecretCache } from './static-secrets';

/** The session as the proxy uses it: structurally broker/vault-session's VaultSession. */
export interface ProxySession extends TrackableSession {
  token(options?: { waitMs?: number }): Promise<string>;
}

export interface AgentProxyOptions {
  /** Vault's address, e.g. https://vault.example.com:8200. */
  vaultAddress: string;
  /** PEM of the CA that signed Vault's certificate (text, or a file path). */
  caCert?: string | Buffer;
  caCertFile?: string;
  /** Namespace for requests that name none (the session's namespace). */
  namespace?: string;
  /** `127.0.0.1:8100` (default) or `unix:/path/to/socket`. */
  listen?: string;
  /** The session whose token is the auto-auth token. */
  session?: ProxySession;
  /** Add the session token to requests without one (default true); 'force' replaces theirs. */
  useAutoAuthToken?: boolean | 'force';
  /** Cache tokens and leases (default true). */
  cache?: boolean;
  /** Cache KV reads for the tokens allowed to read them (default true). */
  cacheStaticSecrets?: boolean;
  /** How often cached KV secrets are re-checked: access and version (default 30 s). */
  staticSecretRefreshMs?: number;
  /** The app's lease registry; one is created when absent. */
  registry?: LeaseRegistry;
  /**
   * Refuse requests without `X-Vault-Request: true` (Vault Agent's require_request_header;
   * default true): a browser sends no such header on an `<img>` or a navigation, so a web page
   * cannot spend the session. The vault CLI and the Vault SDKs send it.
   */
  requireRequestHeader?: boolean;
  /** Added to the refusal of a request without the header: how to turn the requirement off. */
  requestHeaderHint?: string;
  /** Largest request body accepted (default 32 MiB, Vault's max_request_size). */
  maxRequestBytes?: number;
  /** How long to wait for Vault (default 60 s). */
  timeoutMs?: number;
  /** Opt-in persistent cache (encrypted file, key in the keychain). */
  persist?: PersistOptions;
  log: Logger;
}

export interface AgentProxy {
  /** `http://127.0.0.1:8100`, or `unix:/path` for a socket. */
  readonly address: string;
  readonly registry: LeaseRegistry;
  /** The same as POST /agent/v1/cache-clear. */
  clearCache(request: CacheClearRequest): Promise<number>;
  /** Number of cached answers. */
  readonly size: number;
  /** Entries restored from the persistent cache at start (0 without one, or when discarded). */
  readonly restoredEntries: number;
  close(): Promise<void>;
}

const LOOPBACK_HOST = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/i;
const CACHE_CLEAR_PATHS = new Set(['/agent/v1/cache-clear', '/proxy/v1/cache-clear']);
const BROWSER_ONLY_HEADERS = ['sec-fetch-site', 'sec-fetch-dest', 'sec-fetch-user'];

export async function startAgentProxy(options: AgentProxyOptions): Promise<AgentProxy> {
  const log = options.log;
  const ca = options.caCert ?? (options.caCertFile ? readFileSync(options.caCertFile) : undefined);
  const maxBytes = options.maxRequestBytes ?? 32 * 1024 * 1024;
  const useAutoAuth = options.useAutoAuthToken ?? true;
  const requireHeader = options.requireRequestHeader ?? true;
  const ownRegistry = !options.registry;
  const registry = options.registry ?? createLeaseRegistry({ log: log.child('leases') });
  const session = options.session;
  const unlinkSession = session ? trackSessionToken(registry, session) : () => {};

  const forwarder = createForwarder({
    address: options.vaultAddress,
    ...(ca ? { ca } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
  const vault = createVaultClient({
    address: options.vaultAddress,
    ...(ca ? { caCert: ca } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
  const index = createCacheIndex();
  const autoAuth: AutoAuthSource | undefined = session
    ? {
        current: () => session.token({ waitMs: 0 }).catch(() => ''),
        entryId: () => {
          const accessor = session.snapshot().accessor;
          return accessor ? tokenEntryId(accessor) : undefined;
        },
      }
    : undefined;
  const caching = options.cache ?? true;
  const staticSecrets =
    caching && (options.cacheStaticSecrets ?? true)
      ? createStaticSecretCache({
          index,
          registry,
          vault,
          log: log.child('kv-cache'),
          refreshMs: options.staticSecretRefreshMs ?? 30_000,
        })
      : undefined;
  const cache = createLeaseCache({
    index,
    registry,
    forwarder,
    vault,
    log,
    ...(autoAuth ? { autoAuth } : {}),
    ...(staticSecrets ? { staticSecrets } : {}),
  });
  let persistence: CachePersistence | undefined;
  if (options.persist && caching) {
    persistence = await createCachePersistence(options.persist, {
      index,
      registry,
      cache,
      log: log.child('persist'),
      ...(autoAuth ? { autoAuth } : {}),
    });
  }

  const listenText = options.listen ?? '127.0.0.1:8100';
  const loopbackOnly = listenText.startsWith('unix:') || /^(127\.|localhost|\[::1\])/.test(listenText);

  function send(
    res: http.ServerResponse,
    response: Pick<ProxyResponse, 'status' | 'headers' | 'body'> & Partial<ProxyResponse>,
  ) {
    const headers: Record<string, string> = { ...response.headers, 'content-length': String(response.body.length) };
    if (caching && response.cache) headers['x-cache'] = response.cache === 'hit' ? 'HIT' : 'MISS';
    if (response.age !== undefined) headers.age = String(response.age);
    res.writeHead(response.status, headers);
    res.end(response.status === 204 ? undefined : response.body);
  }

  const fail = (res: http.ServerResponse, error: ProxyError) =>
    send(res, {
      status: error.status,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      body: errorBody(error.errors),
    });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    // A web page must not be able to spend the developer's session (CSRF, DNS rebinding). A
    // browser marks what it sends: Origin on CORS requests, Sec-Fetch-Site/-Dest/-User on every
    // request to a loopback address (an <img> or a navigation carries no Origin, but does carry
    // those). Sec-Fetch-Mode alone is let through: Node's own fetch() sends it.
    if (req.headers.origin)
      throw new ProxyError(403, ['the Sesame agent does not accept requests from web pages (Origin header present)']);
    if (BROWSER_ONLY_HEADERS.some((name) => req.headers[name] !== undefined))
      throw new ProxyError(403, [
        'the Sesame agent does not accept requests from web browsers (Sec-Fetch headers present)',
      ]);
    if (loopbackOnly && req.headers.host && !LOOPBACK_HOST.test(req.headers.host))
      throw new ProxyError(403, [
        `the Sesame agent only answers requests addressed to the loopback interface, not ${req.headers.host}`,
      ]);
    if (requireHeader && req.headers['x-vault-request'] !== 'true') {
      throw new ProxyError(412, [
        `missing "X-Vault-Request: true" header (the vault CLI and the Vault SDKs send it)${options.requestHeaderHint ? `; ${options.requestHeaderHint}` : ''}`,
      ]);
    }

    const url = req.url ?? '/';
    const pathOnly = url.split('?')[0]!;
    if (CACHE_CLEAR_PATHS.has(pathOnly)) {
      if (req.method !== 'POST' && req.method !== 'PUT') throw new ProxyError(405, ['cache-clear takes POST or PUT']);
      const clear = parseCacheClear(parseJsonObject(await readBody(req, maxBytes)));
      if (!caching) return send(res, { status: 200, headers: {}, body: Buffer.alloc(0) });
      const cleared = await clearCache(clear, { registry, index, ...(autoAuth ? { autoAuth } : {}) });
      log.info('cache cleared', { type: clear.type, entries: cleared });
      return send(res, { status: 200, headers: {}, body: Buffer.alloc(0) });
    }

    const body = await readBody(req, maxBytes);
    const request = parseProxyRequest(req, body, options.namespace);
    if (session && useAutoAuth && (useAutoAuth === 'force' || !request.token)) {
      const token = await session.token({ waitMs: 0 }).catch(() => '');
      if (token) request.token = token;
    }
    if (!caching) {
      const upstream = await forwarder.forward({
        method: request.method,
        path: request.path + (request.query ? `?${request.query}` : ''),
        headers: { ...request.headers, ...(request.token ? { 'x-vault-token': request.token } : {}) },
        body: request.body,
      });
      return send(res, upstream);
    }
    send(res, await cache.send(request));
  }

  const server = http.createServer({ maxHeaderSize: 32 * 1024 }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (error instanceof ProxyError) {
        // The request may still be streaming in (an oversized body): answer, then close.
        if (error.status === 413) res.setHeader('connection', 'close');
        return fail(res, error);
      }
      log.error('the agent proxy failed a request', { error: (error as Error).message });
      fail(res, new ProxyError(500, ['internal error in the Sesame agent proxy']));
    });
  });
  server.keepAliveTimeout = 60_000;
  // Requests Node cannot parse (a LIST method, a broken request line) get Vault's 400 too.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const body = errorBody([
      status === 431 ? 'request headers too large' : `malformed HTTP request (${error.code ?? 'parse error'})`,
    ]);
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
    );
  });

  let listener: Listener;
  try {
    listener = await startListener(listenText, (socket) => server.emit('connection', socket));
  } catch (error) {
    forwarder.close();
    staticSecrets?.close();
    await persistence?.close();
    unlinkSession();
    if (ownRegistry) registry.close();
    throw error;
  }
  const bound = formatListenAddress(listener.address);
  const address = listener.address.kind === 'unix' ? bound : `http://${bound}`;
  log.info('agent proxy listening', {
    address,
    vault: options.vaultAddress,
    cache: caching,
    kvCaching: !!staticSecrets,
  });

  let closing: Promise<void> | undefined;
  return {
    address,
    registry,
    get size() {
      return index.size;
    },
    restoredEntries: persistence?.restored ?? 0,
    clearCache: (request) =>
      clearCache(parseCacheClear(request as unknown as Record<string, unknown>), {
        registry,
        index,
        ...(autoAuth ? { autoAuth } : {}),
      }),
    close() {
      closing ??= (async () => {
        await listener.close();
        server.close();
        staticSecrets?.close();
        await persistence?.close();
        unlinkSession();
        forwarder.close();
        if (ownRegistry) registry.close();
      })();
      return closing;
    },
  };
}
