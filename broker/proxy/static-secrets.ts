// KV static-secret caching (Vault Proxy's cache_static_secrets, plus version checks). A KV read
// is cached once per namespace + path, whoever read it; it is served from the cache only to
// tokens that have shown they may read it (Vault answered them 200), and a periodic pass
// re-checks each such token with sys/capabilities-self and the secret's current version.
// A write through the proxy to the path (or a KV v2 sibling: metadata, delete, destroy,
// undelete) evicts it at once.
import { createHash } from 'node:crypto';
import type { LeaseRegistry } from '../leases';
import type { Logger } from '../log';
import { VaultError, type VaultClient } from '../vault';
import type { CacheEntry, CacheIndex } from './cache-index';
import type { UpstreamResponse } from './forwarder';
import type { ProxyRequest } from './request';

export interface KvAnswer {
  data: Record<string, unknown> | null;
}

export interface StaticSecretCache {
  /** The cached answer for this request, if the request's token may have it. */
  lookup(req: ProxyRequest): CacheEntry | undefined;
  /** A 200 KV read answered by Vault: cache it, or let this token use the cached one. */
  store(req: ProxyRequest, response: UpstreamResponse, answer: KvAnswer): void;
  /** Something wrote to this path through the proxy. */
  invalidate(namespace: string, path: string): void;
  /** This token is gone (revoked, expired): it may no longer be served anything. */
  forgetToken(token: string): void;
  /** One re-check pass over every cached secret (the timer runs it every refreshMs). */
  refresh(): Promise<void>;
  close(): void;
}

export interface StaticSecretCacheOptions {
  index: CacheIndex;
  registry: LeaseRegistry;
  vault: VaultClient;
  log: Logger;
  refreshMs: number;
}

const KV2_SIBLING = /^(.+?)\/(data|metadata|delete|destroy|undelete)\/(.+)$/;
const vaultNamespace = (ns: string) => (ns === 'root/' ? '' : ns);

export const staticKey = (namespace: string, path: string, query: string) =>
  `kv:${namespace}|${path}${query ? `?${query}` : ''}`;

function fingerprint(answer: KvAnswer): { version?: number; hash: string } {
  const inner = answer.data?.data;
  const metadata = answer.data?.metadata as { version?: unknown } | undefined;
  const version = typeof metadata?.version === 'number' ? metadata.version : undefined;
  const hash = createHash('sha256')
    .update(JSON.stringify(inner ?? answer.data ?? null))
    .digest('base64url');
  return { ...(version !== undefined ? { version } : {}), hash };
}

export function createStaticSecretCache(options: StaticSecretCacheOptions): StaticSecretCache {
  const { index, registry, vault, log } = options;
  let refreshing: Promise<void> | undefined;

  const evict = (entry: CacheEntry, reason: string) => {
    if (registry.has(entry.id)) registry.end(entry.id, 'evicted', reason);
    else index.remove(entry.id);
  };

  const statics = () => index.all().filter((e) => e.kind === 'static');

  function replaceResponse(entry: CacheEntry, response: UpstreamResponse, answer: KvAnswer) {
    const print = fingerprint(answer);
    if (print.hash === entry.contentHash && print.version === entry.version) return;
    entry.response = { status: response.status, headers: response.headers, body: response.body, cachedAt: Date.now() };
    entry.contentHash = print.hash;
    entry.version = print.version;
    if (print.version !== undefined) registry.update(entry.id, { version: print.version });
  }

  /** Ask Vault, as this token, whether it may still read the path. */
  async function mayRead(entry: CacheEntry, token: string): Promise<boolean | undefined> {
    try {
      const response = await vault.request<Record<string, string[]>>({
        method: 'POST',
        path: 'sys/capabilities-self',
        token,
        namespace: vaultNamespace(entry.namespace),
        body: { paths: [entry.requestPath] },
        attempts: 1,
      });
      const body = response as unknown as Record<string, unknown> | null;
      const data = (response?.data ?? {}) as Record<string, unknown>;
      const caps = (data[entry.requestPath] ??
        body?.[entry.requestPath] ??
        data.capabilities ??
        body?.capabilities) as unknown;
      return Array.isArray(caps) && (caps.includes('read') || caps.includes('root'));
    } catch (error) {
      if (error instanceof VaultError && error.kind === 'permission-denied') return false; // token no longer valid
      return undefined; // Vault unreachable or sealed: decide next time
    }
  }

  async function recheck(entry: CacheEntry) {
    for (const token of [...entry.allowed!.keys()]) {
      if ((await mayRead(entry, token)) === false) entry.allowed!.delete(token);
    }
    if (entry.allowed!.size === 0) return evict(entry, 'no token that may read it remains');
    const reader = [...entry.allowed!.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    try {
      const query = entry.key.includes('?') ? entry.key.slice(entry.key.indexOf('?')) : '';
      const response = await vault.request({
        method: 'GET',
        path: `${entry.requestPath}${query}`,
        token: reader,
        namespace: vaultNamespace(entry.namespace),
        attempts: 1,
      });
      if (!response?.data) return evict(entry, 'the secret was deleted in Vault');
      const body = Buffer.from(JSON.stringify(response));
      replaceResponse(
        entry,
        { status: 200, headers: { ...entry.response.headers, 'content-type': 'application/json' }, body },
        response as KvAnswer,
      );
    } catch (error) {
      if (error instanceof VaultError && error.kind === 'not-found')
        return evict(entry, 'the secret was deleted in Vault');
      if (error instanceof VaultError && error.kind === 'permission-denied') entry.allowed!.delete(reader);
      else
        log.debug('static secret re-check failed; keeping it', {
          path: entry.requestPath,
          error: (error as Error).message,
        });
    }
  }

  const timer = setInterval(() => void cache.refresh(), options.refreshMs);
  timer.unref();

  const cache: StaticSecretCache = {
    lookup(req) {
      const entry = index.byKey(staticKey(req.namespace, req.path, req.query));
      if (!entry || !req.token || !entry.allowed?.has(req.token)) return undefined;
      entry.allowed.set(req.token, Date.now());
      return entry;
    },

    store(req, response, answer) {
      const key = staticKey(req.namespace, req.path, req.query);
      const existing = index.byKey(key);
      if (existing && registry.has(existing.id)) {
        existing.allowed!.set(req.token, Date.now());
        replaceResponse(existing, response, answer);
        return;
      }
      const print = fingerprint(answer);
      const entry: CacheEntry = {
        id: key,
        kind: 'static',
        key,
        namespace: req.namespace,
        requestPath: req.path,
        method: req.method,
        requestToken: '',
        response: { status: response.status, headers: response.headers, body: response.body, cachedAt: Date.now() },
        allowed: new Map([[req.token, Date.now()]]),
        contentHash: print.hash,
        ...(print.version !== undefined ? { version: print.version } : {}),
      };
      index.set(entry);
      registry.track(
        {
          id: key,
          kind: 'kv-secret',
          path: req.path + (req.query ? `?${req.query}` : ''),
          ...(req.namespace !== 'root/' ? { namespace: req.namespace } : {}),
          renewable: false,
          origin: { type: 'proxy' },
          ...(print.version !== undefined ? { version: print.version } : {}),
        },
        { onEnd: () => index.remove(key) },
      );
    },

    invalidate(namespace, path) {
      const sibling = KV2_SIBLING.exec(path);
      const paths = new Set([path, ...(sibling ? [`${sibling[1]}/data/${sibling[3]}`] : [])]);
      for (const entry of statics()) {
        if (entry.namespace === namespace && paths.has(entry.requestPath)) evict(entry, 'written through the proxy');
      }
    },

    forgetToken(token) {
      for (const entry of statics()) {
        if (entry.allowed!.delete(token) && entry.allowed!.size === 0)
          evict(entry, 'no token that may read it remains');
      }
    },

    refresh() {
      refreshing ??= (async () => {
        for (const entry of statics()) await recheck(entry);
      })().finally(() => (refreshing = undefined));
      return refreshing;
    },

    close: () => clearInterval(timer),
  };
  return cache;
}
