// The activity log the UI shows: a bounded ring of structured events, newest last.
import { randomUUID } from 'node:crypto';
import type { ActivityEvent } from '../api';

export interface ActivityLog {
  add(event: Omit<ActivityEvent, 'id' | 'time'>): ActivityEvent;
  list(): ActivityEvent[];
}

export function createActivityLog(
  capacity = 1000,
  onAdd?: (event: ActivityEvent) => void,
  history: readonly ActivityEvent[] = [],
): ActivityLog {
  const events: ActivityEvent[] = history.slice(-capacity);
  return {
    add(partial) {
      const event: ActivityEvent = { id: randomUUID(), time: new Date().toISOString(), ...partial };
      events.push(event);
      if (events.length > capacity) events.splice(0, events.length - capacity);
      onAdd?.(event);
      return event;
    },
    list: () => [...events],
  };
}
