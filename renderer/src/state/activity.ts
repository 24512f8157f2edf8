// Recent activity, newest first, bounded so a long-running window stays light.
import { create } from 'zustand';
import type { ActivityEvent } from '../../../app/api';

export const ACTIVITY_LIMIT = 500;

interface ActivityState {
  items: ActivityEvent[];
}

export const useActivityStore = create<ActivityState>(() => ({ items: [] }));

/** Merge the host's list (after a (re)connect) with what events already brought. */
export function replaceActivity(list: readonly ActivityEvent[]): void {
  useActivityStore.setState((s) => ({ items: merge([...list, ...s.items]) }));
}

export function addActivity(event: ActivityEvent): void {
  useActivityStore.setState((s) => ({ items: merge([event, ...s.items]) }));
}

function merge(events: readonly ActivityEvent[]): ActivityEvent[] {
  const byId = new Map<string, ActivityEvent>();
  for (const event of events) byId.set(event.id, event);
  return [...byId.values()].sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0)).slice(0, ACTIVITY_LIMIT);
}
