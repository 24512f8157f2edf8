// Optimistic toggles: the switch moves at once, the row keeps the host's state, and the wish
// is settled by the host's events or answer.
import { beforeEach, describe, expect, it } from 'vitest';
import { ApiError, type AppApi, type ConnectionView } from '../../../app/api';
import { applyConnection, replaceConnections, setConnectionEnabled, useConnectionsStore } from './connections';

const stats = { activeClients: 0, sessionsServed: 0, bytesToTarget: 0, bytesToClient: 0 };
const view = (state: ConnectionView['state']): ConnectionView => ({
  name: 'orders-db',
  protocol: 'postgres',
  state,
  listen: '127.0.0.1:15432',
  target: 'db.internal:5432',
  stats,
});

/** A host whose answer to setEnabled the test releases by hand. */
function heldHost() {
  let settle: { resolve(v: ConnectionView): void; reject(e: unknown): void } | undefined;
  const api: AppApi = {
    call: () =>
      new Promise((resolve, reject) => (settle = { resolve: resolve as (v: ConnectionView) => void, reject })) as never,
    subscribe: () => () => {},
  };
  return { api, answer: (v: ConnectionView) => settle?.resolve(v), fail: (e: unknown) => settle?.reject(e) };
}

beforeEach(() => {
  useConnectionsStore.setState({ byName: {}, order: [], pending: {}, refusals: {} });
  replaceConnections([view('off')]);
});

describe('setConnectionEnabled', () => {
  it('moves the switch at once and keeps the host state until an event says otherwise', async () => {
    const host = heldHost();
    const done = setConnectionEnabled(host.api, 'orders-db', true);
    expect(useConnectionsStore.getState().pending).toEqual({ 'orders-db': true });
    expect(useConnectionsStore.getState().byName['orders-db']?.state).toBe('off');

    applyConnection(view('off'));
    expect(useConnectionsStore.getState().pending).toEqual({ 'orders-db': true });
    applyConnection(view('starting'));
    expect(useConnectionsStore.getState().pending).toEqual({});
    expect(useConnectionsStore.getState().byName['orders-db']?.state).toBe('starting');

    host.answer(view('ready'));
    await done;
    expect(useConnectionsStore.getState().byName['orders-db']?.state).toBe('ready');
  });

  it('puts the switch back and says why when the host refuses', async () => {
    const host = heldHost();
    const done = setConnectionEnabled(host.api, 'orders-db', true);
    host.fail(new ApiError('unauthenticated', 'Log in to Vault before turning on orders-db.'));
    await done;
    const state = useConnectionsStore.getState();
    expect(state.pending).toEqual({});
    expect(state.refusals['orders-db']).toBe('Log in to Vault before turning on orders-db.');
    expect(state.byName['orders-db']?.state).toBe('off');
  });
});
