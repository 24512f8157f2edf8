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

/** Apply one event to a snapshot; events other than session/connection changes leave it as is
 * (`app.reset` is handled by the mirror: it reads everything again). */
export function applyEvent(snapshot: ViewSnapshot, event: AppEvent): ViewSnapshot {
  if (event.event === 'session.changed') return { ...snapshot, session: event.payload };
  if (event.event === 'connection.changed') {
    const changed = event.payload;
    const index = snapshot.connections.findIndex((c) => c.name === changed.name);
    const connections = index === -1 ? [...snapshot.connections, changed] : snapshot.connections.with(index, changed);
    return { ...snapshot, connections };
  }
  if (event.event === 'connection.removed') {
    const connections = snapshot.connections.filter((c) => c.name !== event.payload.name);
    return connections.length === snapshot.connections.length ? snapshot : { ...snapshot, connections };
  }
  return snapshot;
}

export async function createViewMirror(api: AppApi): Promise<ViewMirror> {
  const listeners = new Set<(next: ViewSnapshot, previous: ViewSnapshot) => void>();
  // Subscribe before the first read so no change falls between them; events that arrive while
  // the read is in flight are newer than it, so they win over what it returns.
  const early: AppEvent[] = [];
  let snapshot: ViewSnapshot | undefined;
  const publish = (next: ViewSnapshot) => {
    const previous = snapshot!;
    snapshot = next;
    if (next !== previous) for (const listener of listeners) listener(next, previous);
  };
  const read = async (): Promise<ViewSnapshot> => {
    const [session, connections] = await Promise.all([api.call('session.get', {}), api.call('connections.list', {})]);
    return { session, connections };
  };
  const unsubscribe = api.subscribe((event) => {
    if (!snapshot) {
      early.push(event);
      return;
    }
    // The host started again: its state is new, so read it rather than patch the old one.
    if (event.event === 'app.reset') {
      void read().then(publish, () => {});
      return;
    }
    publish(applyEvent(snapshot, event));
  });
  try {
    snapshot = early.reduce(applyEvent, await read());
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
