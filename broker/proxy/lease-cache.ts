// The lease cache (Vault Agent's LeaseCache): answers a request from the cache when it can,
// otherwise forwards it and caches the answer by Vault Agent's rules —
//  - an answer with a lease, when the token that asked is managed here (the auto-auth token or
//    a token created through the proxy), and the lease is renewable;
//  - an answer that creates a token (a login, auth/token/create), when its parent is managed
//    or it is an orphan, and it is renewable;
//  - beyond Vault Agent: KV reads (static secrets), see static-secrets.ts.
// Cached tokens and leases live in the lease registry, which renews them and ends them; ending
// an entry evicts its answer here. Revocations through the proxy end what they revoke.
import { createHash } from 'node:crypto';
import type { LeaseRegistry } from '../leases';
import type { Logger } from '../log';
import type { VaultAuth, VaultClient } from '../vault';
import type { AutoAuthSource } from './auto-auth';
import type { CacheEntry, CacheIndex } from './cache-index';
import type { Forwarder, UpstreamResponse } from './forwarder';
import type { ProxyRequest } from './request';
import { handleRevocation } from './revocation';
import type { StaticSecretCache } from './static-secrets';

export interface ProxyResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  cache: 'hit' | 'miss';
  /** Seconds since Vault produced a cached answer (hits only). */
  age?: number;
}

export interface LeaseCacheOptions {
  index: CacheIndex;
  registry: LeaseRegistry;
  forwarder: Forwarder;
  /** A Vault client without a namespace of its own: renewals name the entry's namespace. */
  vault: VaultClient;
  log: Logger;
  autoAuth?: AutoAuthSource;
  staticSecrets?: StaticSecretCache;
}

export interface CacheLifetime {
  expiresAt: Date;
  /** Seconds asked for at each renewal (the TTL first granted). */
  increment: number;
  parentId?: string;
  issuedAt?: Date;
}

export interface LeaseCache {
  send(req: ProxyRequest): Promise<ProxyResponse>;
  /** Take over a token or lease answer (restored from the persistent cache). */
  adopt(entry: CacheEntry, life: CacheLifetime): void;
  /** Registry id of the entry that manages this token (for cascades), if any. */
  managedTokenEntry(token: string): Promise<string | undefined>;
}

interface Envelope {
  lease_id?: string;
  renewable?: boolean;
  lease_duration?: number;
  data?: Record<string, unknown> | null;
  auth?: VaultAuth | null;
  wrap_info?: unknown;
  mount_type?: string;
}

const vaultNamespace = (ns: string) => (ns === 'root/' ? '' : ns);

/** Vault Agent's request identity: method, path, query, namespace, body and token. */
export function dynamicKey(req: ProxyRequest): string {
  return createHash('sha256')
    .update(`${req.method}\n${req.path}\n${req.query}\n${req.namespace}\n${req.token}\n`)
    .update(req.body)
    .digest('base64url');
}

export function createLeaseCache(options: LeaseCacheOptions): LeaseCache {
  const { index, registry, forwarder, vault, log, autoAuth, staticSecrets } = options;
  const inflight = new Map<string, Promise<ProxyResponse>>();

  const forward = (req: ProxyRequest): Promise<UpstreamResponse> =>
    forwarder.forward({
      method: req.method,
      path: req.path + (req.query ? `?${req.query}` : ''),
      headers: { ...req.headers, ...(req.token ? { 'x-vault-token': req.token } : {}) },
      body: req.body,
    });

  function hit(entry: CacheEntry): ProxyResponse {
    registry.recordHit(entry.id);
    const r = entry.response;
    return {
      status: r.status,
      headers: r.headers,
      body: r.body,
      cache: 'hit',
      age: Math.max(0, Math.floor((Date.now() - r.cachedAt) / 1000)),
    };
  }

  async function managedTokenEntry(token: string): Promise<string | undefined> {
    if (!token) return undefined;
    if (autoAuth && token === (await autoAuth.current())) {
      const id = autoAuth.entryId();
      return id && registry.has(id) ? id : undefined;
    }
    const entry = index.byToken(token);
    return entry && registry.has(entry.id) ? entry.id : undefined;
  }

  const baseEntry = (req: ProxyRequest, key: string, upstream: UpstreamResponse) => ({
    key,
    namespace: req.namespace,
    requestPath: req.path,
    method: req.method,
    requestToken: req.token,
    response: { status: upstream.status, headers: upstream.headers, body: upstream.body, cachedAt: Date.now() },
  });

  /** Put a token or lease answer in the index and the registry (which renews and ends it). */
  function adopt(entry: CacheEntry, life: CacheLifetime) {
    const ns = vaultNamespace(entry.namespace);
    const requestToken = entry.requestToken;
    const common = {
      id: entry.id,
      path: entry.requestPath,
      ...(ns ? { namespace: entry.namespace } : {}),
      expiresAt: life.expiresAt,
      renewable: true,
      origin: { type: 'proxy' } as const,
      ...(life.parentId ? { parentId: life.parentId } : {}),
      ...(life.issuedAt ? { issuedAt: life.issuedAt } : {}),
    };
    const renewal = {
      autoRenew: true,
      increment: life.increment,
      expireEarlyMs: Math.min(1_000, life.increment * 100),
    };
    index.set(entry);
    if (entry.kind === 'lease') {
      const leaseId = entry.leaseId!;
      registry.track(
        { ...common, kind: 'lease', leaseId },
        {
          renew: async (increment) => {
            const r = await vault.request({
              method: 'PUT',
              path: 'sys/leases/renew',
              token: requestToken,
              namespace: ns,
              body: { lease_id: leaseId, increment },
              attempts: 1,
            });
            return { ttl: r?.lease_duration ?? 0, renewable: r?.renewable ?? false };
          },
          revoke: async () => {
            await vault.request({
              method: 'PUT',
              path: 'sys/leases/revoke',
              token: requestToken,
              namespace: ns,
              body: { lease_id: leaseId },
            });
          },
          onEnd: () => index.remove(entry.id),
        },
        renewal,
      );
      return;
    }
    const token = entry.token!;
    registry.track(
      { ...common, kind: 'child-token', accessor: entry.accessor! },
      {
        renew: async (increment) => {
          const r = await vault.request({
            method: 'POST',
            path: 'auth/token/renew-self',
            token,
            namespace: ns,
            body: { increment },
            attempts: 1,
          });
          return { ttl: r?.auth?.lease_duration ?? 0, renewable: r?.auth?.renewable ?? false };
        },
        revoke: async () => {
          await vault.request({ method: 'POST', path: 'auth/token/revoke-self', token, namespace: ns });
        },
        onEnd: () => {
          index.remove(entry.id);
          staticSecrets?.forgetToken(token);
        },
      },
      renewal,
    );
  }

  async function cacheLease(req: ProxyRequest, key: string, upstream: UpstreamResponse, secret: Envelope) {
    if (!secret.renewable) return; // Vault Agent: nothing to manage
    const parentId = await managedTokenEntry(req.token);
    if (!parentId) return;
    const ttl = secret.lease_duration ?? 0;
    const leaseId = secret.lease_id!;
    adopt(
      { id: `lease:${leaseId}`, kind: 'lease', leaseId, ...baseEntry(req, key, upstream) },
      { expiresAt: new Date(Date.now() + ttl * 1000), increment: ttl, parentId },
    );
  }

  async function cacheToken(req: ProxyRequest, key: string, upstream: UpstreamResponse, auth: VaultAuth) {
    if (!auth.renewable) return;
    const parentId = auth.orphan ? undefined : await managedTokenEntry(req.token);
    if (!auth.orphan && !parentId) return; // its parent is not managed here, so neither is it
    const ttl = auth.lease_duration;
    adopt(
      {
        id: `token:${auth.accessor}`,
        kind: 'token',
        token: auth.client_token,
        accessor: auth.accessor,
        ...baseEntry(req, key, upstream),
      },
      { expiresAt: new Date(Date.now() + ttl * 1000), increment: ttl, ...(parentId ? { parentId } : {}) },
    );
  }

  async function forwardAndCache(req: ProxyRequest, key: string): Promise<ProxyResponse> {
    const upstream = await forward(req);
    const response: ProxyResponse = {
      status: upstream.status,
      headers: upstream.headers,
      body: upstream.body,
      cache: 'miss',
    };
    if (upstream.status === 204) {
      await handleRevocation(req, { registry, index, autoAuth, ...(staticSecrets ? { staticSecrets } : {}) });
      return response;
    }
    if (upstream.status !== 200 || !(upstream.headers['content-type'] ?? '').startsWith('application/json'))
      return response;
    let secret: Envelope;
    try {
      secret = JSON.parse(upstream.body.toString('utf8')) as Envelope;
    } catch {
      return response;
    }
    if (!secret || typeof secret !== 'object' || secret.wrap_info) return response;
    try {
      if (secret.lease_id) await cacheLease(req, key, upstream, secret);
      else if (secret.auth?.client_token) await cacheToken(req, key, upstream, secret.auth);
      else if (staticSecrets && req.method === 'GET' && req.token && secret.mount_type === 'kv' && secret.data)
        staticSecrets.store(req, upstream, { data: secret.data });
    } catch (error) {
      log.error('could not cache an answer; it was still delivered', {
        path: req.path,
        error: (error as Error).message,
      });
    }
    return response;
  }

  return {
    managedTokenEntry,
    adopt,
    async send(req) {
      // Wrapped answers are single-use tokens; HEAD/OPTIONS carry nothing worth keeping.
      if (req.wrapped || req.method === 'HEAD' || req.method === 'OPTIONS') {
        const upstream = await forward(req);
        return { ...upstream, cache: 'miss' };
      }
      if (staticSecrets) {
        if (req.method === 'GET') {
          const entry = staticSecrets.lookup(req);
          if (entry) return hit(entry);
        } else {
          staticSecrets.invalidate(req.namespace, req.path); // stale whatever Vault answers
        }
      }
      const key = dynamicKey(req);
      const cached = index.byKey(key);
      if (cached && cached.kind !== 'static') return hit(cached);
      // Identical requests in flight share one trip to Vault when its answer is cacheable.
      const pending = inflight.get(key);
      if (pending) {
        await pending.catch(() => undefined);
        const now = index.byKey(key);
        if (now && now.kind !== 'static') return hit(now);
      }
      const work = forwardAndCache(req, key);
      inflight.set(key, work);
      try {
        return await work;
      } finally {
        if (inflight.get(key) === work) inflight.delete(key);
      }
    },
  };
}
