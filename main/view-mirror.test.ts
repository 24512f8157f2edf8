import { describe, expect, it } from 'vitest';
import type { AppApi, AppEvent, CommandName, ConnectionView, SessionView } from '../app/api';
import { watchNotifications } from './notifications';
import { createViewMirror } from './view-mirror';

const stats = { activeClients: 0, sessionsServed: 0, bytesToTarget: 0, bytesToClient: 0 };
const NOW = new Date('2030-01-01T12:00:00Z');

/** An AppApi over plain state whose changes are pushed as events, like the host does. */
function stateApi(session: SessionView, connections: ConnectionView[]) {
  const listeners = new Set<(event: AppEvent) => void>();
  let beforeAnswer: (() => void) | undefined;
  const api: AppApi = {
    async call(command: CommandName) {
      beforeAnswer?.();
      if (command === 'session.get') return session as never;
      if (command === 'connections.list') return connections as never;
      throw new Error(`unexpected command ${command}`);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const emit = (event: AppEvent) => listeners.forEach((l) => l(event));
  const setState = (nextSession: SessionView, nextConnections: ConnectionView[]) => {
    session = nextSession;
    connections = nextConnections;
  };
  return { api, emit, listeners, setState, setBeforeAnswer: (fn: () => void) => (beforeAnswer = fn) };
}

const authenticated: SessionView = { state: 'authenticated', vaultAddress: 'http://127.0.0.1:8200', policies: [] };
const orders: ConnectionView = {
  name: 'orders',
  protocol: 'postgres',
  state: 'ready',
  listen: '127.0.0.1:15432',
  target: 'db:5432',
  stats,
};

describe('view mirror', () => {
  it('starts from the host state and follows its events', async () => {
    const host = stateApi(authenticated, [orders]);
    const mirror = await createViewMirror(host.api);
    expect(mirror.current()).toEqual({ session: authenticated, connections: [orders] });

    host.emit({ event: 'connection.changed', payload: { ...orders, state: 'off' } });
    host.emit({ event: 'connection.changed', payload: { ...orders, name: 'billing', protocol: 'mysql' } });
    host.emit({ event: 'session.changed', payload: { ...authenticated, state: 'renewing' } });
    expect(mirror.current().session.state).toBe('renewing');
    expect(mirror.current().connections.map((c) => `${c.name}:${c.state}`)).toEqual(['orders:off', 'billing:ready']);

    mirror.close();
    expect(host.listeners.size).toBe(0);
  });

  it('drops a removed connection, and reads everything again after the host restarted', async () => {
    const host = stateApi(authenticated, [orders]);
    const mirror = await createViewMirror(host.api);
    host.emit({ event: 'connection.removed', payload: { name: 'orders' } });
    expect(mirror.current().connections).toEqual([]);

    const seen: string[] = [];
    mirror.onChange((next) => seen.push(`${next.session.state}:${next.connections.map((c) => c.name).join(',')}`));
    host.setState({ ...authenticated, state: 'logged-out' }, [{ ...orders, name: 'billing' }]);
    host.emit({ event: 'app.reset', payload: { reason: 'the Vault address changed' } });
    await expect.poll(() => mirror.current().session.state).toBe('logged-out');
    expect(mirror.current().connections.map((c) => c.name)).toEqual(['billing']);
    expect(seen).toEqual(['logged-out:billing']);
    mirror.close();
  });

  it('keeps an event that arrives while the first read is in flight', async () => {
    const host = stateApi(authenticated, [orders]);
    host.setBeforeAnswer(() =>
      host.emit({ event: 'connection.changed', payload: { ...orders, state: 'error', error: 'boom' } }),
    );
    const mirror = await createViewMirror(host.api);
    expect(mirror.current().connections[0]!.state).toBe('error');
    mirror.close();
  });
});

describe('notifications', () => {
  it('notifies once when the session starts expiring and once per connection failure', async () => {
    const host = stateApi(authenticated, [orders]);
    const mirror = await createViewMirror(host.api);
    const shown: string[] = [];
    const stop = watchNotifications(
      mirror,
      (title, body) => shown.push(`${title} | ${body}`),
      () => NOW,
    );

    const expiring = { ...authenticated, state: 'expiring' as const, expiresAt: '2030-01-01T12:05:00Z' };
    host.emit({ event: 'session.changed', payload: expiring });
    host.emit({ event: 'session.changed', payload: expiring }); // still expiring: no second notice
    const failed = { ...orders, state: 'error' as const, error: "the secret at kv/orders has no 'password' key" };
    host.emit({ event: 'connection.changed', payload: failed });
    host.emit({ event: 'connection.changed', payload: failed });
    host.emit({
      event: 'activity',
      payload: { id: '1', time: NOW.toISOString(), level: 'info', kind: 'login', message: 'x' },
    });

    expect(shown).toEqual([
      'Vault session expiring | Your session ends in 5m. Log in again to keep your connections working.',
      "Connection orders failed | the secret at kv/orders has no 'password' key",
    ]);

    // Recovering and failing again is a new failure worth a new notice.
    host.emit({ event: 'connection.changed', payload: orders });
    host.emit({ event: 'connection.changed', payload: failed });
    expect(shown).toHaveLength(3);

    stop();
    host.emit({ event: 'connection.changed', payload: orders });
    host.emit({ event: 'connection.changed', payload: failed });
    expect(shown).toHaveLength(3);
    mirror.close();
  });
});
