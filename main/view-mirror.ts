// The shell's mirror of the host's session and connections, kept from AppApi events (never
// polled). The tray and the notifications read it; the host stays the one source of truth.
import type { AppApi, AppEvent, ConnectionView, SessionView } from '../app/api';

export interface ViewSnapshot {
  session: SessionView;
  connections: readonly ConnectionView[];
}

export interface ViewMirror {
  current(): ViewSnapshot;
  /** Called after every change with the new and the previous snapshot. */
  onChange(listener: (next: ViewSnapshot, previous: ViewSnapshot) => void): () => void;
  close(): void;
}

/** Apply one event to a snapshot; events other than session/connection changes leave it as is. */
export function applyEvent(snapshot: ViewSnapshot, event: AppEvent): ViewSnapshot {
  if (event.event === 'session.changed') return { ...snapshot, session: event.payload };
  if (event.event === 'connection.changed') {
    const changed = event.payload;
    const index = snapshot.connections.findIndex((c) => c.name === changed.name);
    const connections = index === -1 ? [...snapshot.connections, changed] : snapshot.connections.with(index, changed);
    return { ...snapshot, connections };
  }
  return snapshot;
}

export async function createViewMirror(api: AppApi): Promise<ViewMirror> {
  const listeners = new Set<(next: ViewSnapshot, previous: ViewSnapshot) => void>();
  // Subscribe before the first read so no change falls between them; events that arrive while
  // the read is in flight are newer than it, so they win over what it returns.
  const early: AppEvent[] = [];
  let snapshot: ViewSnapshot | undefined;
  const unsubscribe = api.subscribe((event) => {
    if (!snapshot) {
      early.push(event);
      return;
    }
    const previous = snapshot;
    snapshot = applyEvent(snapshot, event);
    if (snapshot !== previous) for (const listener of listeners) listener(snapshot, previous);
  });
  try {
    const [session, connections] = await Promise.all([api.call('session.get', {}), api.call('connections.list', {})]);
    snapshot = early.reduce(applyEvent, { session, connections });
  } catch (error) {
    unsubscribe();
    throw error;
  }

  return {
    current: () => snapshot!,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      listeners.clear();
      unsubscribe();
    },
  };
}
