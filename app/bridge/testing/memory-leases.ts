// An in-memory lease registry for the memory host: the `leases.*` commands with the real
// registry's rules (renew only what is renewable and live; revoke what Vault can revoke; evict
// forgets locally; clear evicts everything but the session token; ended entries stay listed a
// while, then a `lease.removed` event drops them). Views carry ids and paths, never a value.
import { ApiError, type AppEvent, type LeaseView, type LeasesCleared } from '../../api';

export interface MemoryLeasesOptions {
  leases?: readonly LeaseView[];
  /** How long an ended entry stays listed before `lease.removed` (default 60 s). */
  retainEndedMs?: number;
  emit(event: AppEvent): void;
  note(level: 'info' | 'warn' | 'error', kind: string, message: string): void;
}

export interface MemoryLeases {
  list(): LeaseView[];
  renew(id: string): LeaseView;
  revoke(id: string): LeaseView;
  evict(id: string): LeaseView;
  clear(): LeasesCleared;
  /** Add or replace an entry, as the agent would when it fetches something. */
  put(view: LeaseView): void;
  close(): void;
}

const isSessionToken = (view: LeaseView) => view.kind === 'token' && view.origin === 'session';
const ended = (view: LeaseView) => view.state === 'expired' || view.state === 'revoked' || view.state === 'evicted';

/** `count` leases, tokens and KV secrets with distinct paths, newest first by index; entry 0 is the session token. */
export function sampleLeases(count: number, now = Date.now()): LeaseView[] {
  const views: LeaseView[] = [];
  for (let i = 0; i < count; i += 1) {
    const kind = i % 10 === 0 ? 'token' : i % 3 === 0 ? 'kv' : 'lease';
    const n = String(i).padStart(5, '0');
    const ttlSeconds = 600 + ((i * 37) % 3000);
    const issued = now - 1000 * (i + 1);
    const path =
      kind === 'token'
        ? `auth/token/create/child-${n}`
        : kind === 'kv'
          ? `secret/data/app/config-${n}`
          : `database/creds/orders-ro/${n}`;
    const id =
      kind === 'token'
        ? `token:acc${n}x7f3a9c`
        : kind === 'kv'
          ? `kv:|secret/data/app/config-${n}@1`
          : `lease:database/creds/orders-ro/L${n}q8c1Ma`;
    views.push({
      kind,
      id,
      path,
      issuedAt: new Date(issued).toISOString(),
      ...(kind === 'kv' && i % 2 === 0
        ? {}
        : { expiresAt: new Date(now + ttlSeconds * 1000).toISOString(), ttlSeconds }),
      renewable: kind !== 'kv',
      renewals: i % 4,
      hits: (i * 7) % 50,
      origin: i === 0 ? 'session' : i % 2 === 0 ? 'proxy' : 'connection:orders-db',
      state: 'active',
    });
  }
  return views;
}

export function createMemoryLeases(options: MemoryLeasesOptions): MemoryLeases {
  const retainMs = options.retainEndedMs ?? 60_000;
  const entries = new Map<string, LeaseView>((options.leases ?? []).map((v) => [v.id, v]));
  const removals = new Set<NodeJS.Timeout>();

  function mustGet(id: string): LeaseView {
    const view = entries.get(id);
    if (!view) throw new ApiError('not-found', `There is no lease, token or cached secret with id '${id}'.`, 'id');
    return view;
  }

  /** Now-relative TTL, the way the host computes it when it makes a view. */
  function fresh(view: LeaseView): LeaseView {
    if (!view.expiresAt || ended(view)) return { ...view, ttlSeconds: undefined };
    return { ...view, ttlSeconds: Math.max(0, Math.round((Date.parse(view.expiresAt) - Date.now()) / 1000)) };
  }

  function set(view: LeaseView): LeaseView {
    entries.set(view.id, view);
    const shown = fresh(view);
    options.emit({ event: 'lease.changed', payload: shown });
    return shown;
  }

  function end(view: LeaseView, state: 'revoked' | 'evicted'): LeaseView {
    const shown = set({ ...view, state, expiresAt: undefined });
    const timer = setTimeout(() => {
      removals.delete(timer);
      if (entries.get(view.id)?.state !== state) return;
      entries.delete(view.id);
      options.emit({ event: 'lease.removed', payload: { id: view.id } });
    }, retainMs);
    timer.unref();
    removals.add(timer);
    return shown;
  }

  function mustBeLive(view: LeaseView, verb: string): void {
    if (ended(view))
      throw new ApiError(
        'conflict',
        `Cannot ${verb} ${view.path}: it has already ${view.state === 'expired' ? 'expired' : `been ${view.state}`}.`,
      );
  }

  return {
    list: () => [...entries.values()].map(fresh),
    renew(id) {
      const view = mustGet(id);
      mustBeLive(view, 'renew');
      if (!view.renewable)
        throw new ApiError('conflict', `${view.path} is not renewable; it stays valid until it expires.`);
      const ttl = view.ttlSeconds ?? 3600;
      options.note('info', 'lease.renew', `Renewed ${view.path}.`);
      return set({
        ...view,
        renewals: view.renewals + 1,
        expiresAt: new Date(Date.now() + ttl * 1000).toISOString(),
        lastError: undefined,
      });
    },
    revoke(id) {
      const view = mustGet(id);
      mustBeLive(view, 'revoke');
      if (view.kind === 'kv')
        throw new ApiError(
          'conflict',
          `${view.path} is a cached KV secret: Vault has nothing to revoke. Evict it instead.`,
        );
      options.note('info', 'lease.revoke', `Revoked ${view.path} at Vault.`);
      return end(view, 'revoked');
    },
    evict(id) {
      const view = mustGet(id);
      mustBeLive(view, 'evict');
      if (isSessionToken(view))
        throw new ApiError('conflict', 'The session token is not a cache entry; log out instead.');
      options.note('info', 'lease.evict', `Evicted ${view.path} from the cache.`);
      return end(view, 'evicted');
    },
    clear() {
      let evicted = 0;
      for (const view of [...entries.values()]) {
        if (ended(view) || isSessionToken(view)) continue;
        end(view, 'evicted');
        evicted += 1;
      }
      options.note('info', 'lease.clear', `Cleared the cache: ${evicted} entries evicted.`);
      return { evicted };
    },
    put: (view) => void set(view),
    close() {
      for (const timer of removals) clearTimeout(timer);
      removals.clear();
    },
  };
}
