// The lease registry as the host reports it: tokens, leases and cached KV secrets. The host may
// send thousands of `lease.changed` events (hits, renewals); they are gathered for a moment and
// applied in one update, so ten thousand rows cost one re-render per batch, not one per event.
// Each entry keeps the local time its TTL runs out, so every countdown reads one shared clock.
import { create } from 'zustand';
import { ENDED_LEASE_STATES, type ApiError, type AppApi, type LeaseView, type LeaseViewKind } from '../../../app/api';
import { asApiError } from '../lib/errors';

export interface LeaseEntry {
  view: LeaseView;
  /** Local ms time the TTL reaches zero; undefined when it does not expire or has ended. */
  deadline?: number;
  /** Issue time in ms, for ordering. */
  issued: number;
}

export type LeaseAction = 'renew' | 'revoke' | 'evict';

export interface LeaseFilter {
  text: string;
  kind: LeaseViewKind | 'all';
  /** Also list entries that ended (expired, revoked, evicted) and are still kept by the host. */
  showEnded: boolean;
}

interface LeasesState {
  byId: ReadonlyMap<string, LeaseEntry>;
  /** Newest first. */
  order: readonly string[];
  /** 'unsupported' when the host has no lease registry to show (an older host). */
  status: 'loading' | 'ready' | 'unsupported' | 'failed';
  loadError?: string;
  /** The action in flight per entry. */
  busy: Readonly<Record<string, LeaseAction>>;
  filter: LeaseFilter;
}

export const useLeasesStore = create<LeasesState>(() => ({
  byId: new Map(),
  order: [],
  status: 'loading',
  busy: {},
  filter: { text: '', kind: 'all', showEnded: false },
}));

export function isEnded(view: LeaseView): boolean {
  return ENDED_LEASE_STATES.includes(view.state);
}

function entryOf(view: LeaseView, receivedAt: number): LeaseEntry {
  const issued = Date.parse(view.issuedAt);
  let deadline: number | undefined;
  if (!isEnded(view)) {
    // The TTL the host measured is immune to a skewed clock; expiresAt is the fallback.
    if (view.ttlSeconds !== undefined) deadline = receivedAt + view.ttlSeconds * 1000;
    else if (view.expiresAt !== undefined && !Number.isNaN(Date.parse(view.expiresAt)))
      deadline = Date.parse(view.expiresAt);
  }
  return { view, deadline, issued: Number.isNaN(issued) ? 0 : issued };
}

function sortedIds(byId: ReadonlyMap<string, LeaseEntry>): string[] {
  return [...byId.values()]
    .sort((a, b) => b.issued - a.issued || (a.view.id < b.view.id ? -1 : a.view.id > b.view.id ? 1 : 0))
    .map((e) => e.view.id);
}

/** The host's full list, after each (re)connect. Changes still queued are applied over it. */
export function replaceLeases(list: readonly LeaseView[]): void {
  const now = Date.now();
  const byId = new Map(list.map((view) => [view.id, entryOf(view, now)]));
  useLeasesStore.setState({ byId, order: sortedIds(byId), status: 'ready', loadError: undefined });
}

export function setLeasesUnavailable(status: 'unsupported' | 'failed', message?: string): void {
  useLeasesStore.setState({ status, loadError: message });
}

/** Latest change per id (null = removed), waiting to be applied. */
const queued = new Map<string, LeaseView | null>();
let flushTimer: ReturnType<typeof setTimeout> | undefined;
const BATCH_MS = 40;

export function queueLeaseChange(view: LeaseView): void {
  queued.set(view.id, view);
  scheduleFlush();
}

export function queueLeaseRemoval(id: string): void {
  queued.set(id, null);
  scheduleFlush();
}

function scheduleFlush(): void {
  flushTimer ??= setTimeout(flushLeaseChanges, BATCH_MS);
}

/** Apply every queued change in one store update. */
export function flushLeaseChanges(): void {
  if (flushTimer) clearTimeout(flushTimer);
  flushTimer = undefined;
  if (queued.size === 0) return;
  const changes = [...queued];
  queued.clear();
  const now = Date.now();
  useLeasesStore.setState((s) => {
    const byId = new Map(s.byId);
    let reorder = false;
    for (const [id, view] of changes) {
      if (view === null) reorder = byId.delete(id) || reorder;
      else {
        reorder ||= !byId.has(id) || byId.get(id)?.view.issuedAt !== view.issuedAt;
        byId.set(id, entryOf(view, now));
      }
    }
    return { byId, order: reorder ? sortedIds(byId) : s.order };
  });
}

export function setLeaseFilter(patch: Partial<LeaseFilter>): void {
  useLeasesStore.setState((s) => ({ filter: { ...s.filter, ...patch } }));
}

/** The ids the table shows for a filter, in order. */
export function filterLeaseIds(
  byId: ReadonlyMap<string, LeaseEntry>,
  order: readonly string[],
  filter: LeaseFilter,
): string[] {
  const text = filter.text.trim().toLowerCase();
  const shown: string[] = [];
  for (const id of order) {
    const view = byId.get(id)?.view;
    if (!view) continue;
    if (filter.kind !== 'all' && view.kind !== filter.kind) continue;
    if (!filter.showEnded && isEnded(view)) continue;
    if (
      text &&
      !view.path.toLowerCase().includes(text) &&
      !view.id.toLowerCase().includes(text) &&
      !view.origin.toLowerCase().includes(text)
    )
      continue;
    shown.push(id);
  }
  return shown;
}

/** Renew, revoke or evict one entry; the answer (and the events) update the row. Resolves to the refusal, if any. */
export async function runLeaseAction(api: AppApi, action: LeaseAction, id: string): Promise<ApiError | undefined> {
  useLeasesStore.setState((s) => ({ busy: { ...s.busy, [id]: action } }));
  let failure: ApiError | undefined;
  try {
    const view = await api.call(`leases.${action}`, { id });
    queueLeaseChange(view);
    flushLeaseChanges();
  } catch (error) {
    failure = asApiError(error);
  }
  useLeasesStore.setState((s) => {
    const busy = { ...s.busy };
    delete busy[id];
    return { busy };
  });
  return failure;
}

/** Evict every cached entry; resolves to how many went, or the error to show. */
export async function clearLeaseCache(api: AppApi): Promise<{ evicted: number } | ApiError> {
  try {
    return await api.call('leases.clear', {});
  } catch (error) {
    return asApiError(error);
  }
}
