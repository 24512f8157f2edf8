// Recent activity, newest first, bounded so a long-running window stays light; and the
// Activity tab's filter, kept here so it survives switching tabs.
import { create } from 'zustand';
import type { ActivityEvent } from '../../../app/api';

export const ACTIVITY_LIMIT = 500;

export interface ActivityFilter {
  level: ActivityEvent['level'] | 'all';
  /** A connection's name, 'none' for events about no connection, or 'all'. */
  connection: string;
  /** A client process's name (`psql`), or 'all'. */
  process: string;
  text: string;
}

interface ActivityState {
  items: ActivityEvent[];
  filter: ActivityFilter;
}

export const useActivityStore = create<ActivityState>(() => ({
  items: [],
  filter: { level: 'all', connection: 'all', process: 'all', text: '' },
}));

/** Merge the host's list (after a (re)connect) with what events already brought. */
export function replaceActivity(list: readonly ActivityEvent[]): void {
  useActivityStore.setState((s) => ({ items: merge([...list, ...s.items]) }));
}

export function addActivity(event: ActivityEvent): void {
  useActivityStore.setState((s) => ({ items: merge([event, ...s.items]) }));
}

export function setActivityFilter(patch: Partial<ActivityFilter>): void {
  useActivityStore.setState((s) => ({ filter: { ...s.filter, ...patch } }));
}

export function filterActivity(items: readonly ActivityEvent[], filter: ActivityFilter): ActivityEvent[] {
  const text = filter.text.trim().toLowerCase();
  return items.filter(
    (e) =>
      (filter.level === 'all' || e.level === filter.level) &&
      (filter.connection === 'all' ||
        (filter.connection === 'none' ? !e.connection : e.connection === filter.connection)) &&
      (filter.process === 'all' || e.process?.name === filter.process) &&
      (!text ||
        e.message.toLowerCase().includes(text) ||
        e.kind.toLowerCase().includes(text) ||
        (e.connection ?? '').toLowerCase().includes(text) ||
        (e.client ?? '').toLowerCase().includes(text) ||
        (e.process?.name ?? '').toLowerCase().includes(text)),
  );
}

/** The names of the client processes the events name, sorted (for the process filter). */
export function processNames(items: readonly ActivityEvent[]): string[] {
  const names = new Set<string>();
  for (const event of items) if (event.process) names.add(event.process.name);
  return [...names].sort((a, b) => a.localeCompare(b));
}

function merge(events: readonly ActivityEvent[]): ActivityEvent[] {
  const byId = new Map<string, ActivityEvent>();
  for (const event of events) byId.set(event.id, event);
  return [...byId.values()].sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0)).slice(0, ACTIVITY_LIMIT);
}
