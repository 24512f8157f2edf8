import { describe, expect, it } from 'vitest';
import { ApiError, type AppApi, type AppEvent } from '../api';
import { createLogger, type LogRecord } from '../../broker/log';
import { createApiDispatcher, type EventMessage } from './dispatcher';

const SECRET = 'hvs.CAESIJ-secret-token-value-1234';

/** A host whose answers the test decides, recording what it was asked. */
function scriptedHost(answer: (command: string, input: unknown) => unknown) {
  const calls: { command: string; input: unknown }[] = [];
  const listeners = new Set<(event: AppEvent) => void>();
  const api: AppApi = {
    async call(command, input) {
      calls.push({ command, input });
      return answer(command, input) as never;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return { api, calls, emit: (event: AppEvent) => listeners.forEach((l) => l(event)) };
}

const connection = {
  name: 'orders-db',
  protocol: 'postgres',
  state: 'ready',
  listen: '127.0.0.1:15432',
  target: 'db.internal:5432',
  stats: { activeClients: 0, sessionsServed: 0, bytesToTarget: 0, bytesToClient: 0 },
};

describe('createApiDispatcher', () => {
  it('passes validated input to the host and returns its result', async () => {
    const host = scriptedHost(() => connection);
    const dispatcher = createApiDispatcher(host.api);
    const result = await dispatcher.handleMessage({
      type: 'call',
      id: 7,
      command: 'connections.setEnabled',
      input: { name: 'orders-db', enabled: true },
    });
    expect(result).toEqual({ type: 'result', id: 7, ok: true, value: connection });
    expect(host.calls).toEqual([{ command: 'connections.setEnabled', input: { name: 'orders-db', enabled: true } }]);
  });

  it('never lets the host see invalid input', async () => {
    const host = scriptedHost(() => connection);
    const dispatcher = createApiDispatcher(host.api);
    expect(await dispatcher.call(42, {})).toMatchObject({
      ok: false,
      error: { code: 'invalid-input', field: 'command' },
    });
    expect(await dispatcher.call('toString', {})).toMatchObject({ ok: false, error: { code: 'unknown-command' } });
    expect(await dispatcher.call('connections.setEnabled', { name: '', enabled: true })).toMatchObject({
      ok: false,
      error: { code: 'invalid-input', field: 'name' },
    });
    expect(await dispatcher.call('session.login', { method: 'userpass', username: 'dev' })).toMatchObject({
      ok: false,
      error: { code: 'invalid-input', field: 'password' },
    });
    expect(await dispatcher.handleMessage('call')).toMatchObject({
      id: -1,
      ok: false,
      error: { code: 'invalid-input' },
    });
    expect(await dispatcher.handleMessage({ type: 'call', id: 3, command: 'x'.repeat(65) })).toMatchObject({
      id: 3,
      ok: false,
      error: { code: 'invalid-input', field: 'command' },
    });
    expect(host.calls).toEqual([]);
  });

  it('keeps an ApiError of the host, and hides an unexpected error behind general words', async () => {
    const records: LogRecord[] = [];
    const log = createLogger('test', (r) => records.push(r));
    const host = scriptedHost((command) => {
      if (command === 'session.logout')
        throw new ApiError('vault-sealed', 'Vault is sealed; ask an operator to unseal it.');
      throw new Error(`token ${SECRET} rejected`);
    });
    const dispatcher = createApiDispatcher(host.api, { log });
    expect(await dispatcher.call('session.logout', {})).toEqual({
      ok: false,
      error: { code: 'vault-sealed', message: 'Vault is sealed; ask an operator to unseal it.' },
    });
    const unexpected = await dispatcher.call('session.get', {});
    expect(unexpected).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(JSON.stringify(unexpected)).not.toContain(SECRET);
    expect(JSON.stringify(records)).not.toContain(SECRET);
    expect(records.some((r) => r.level === 'error' && r.command === 'session.get')).toBe(true);
  });

  it('strips fields the contract does not name and refuses a result that breaks it', async () => {
    const host = scriptedHost((command) =>
      command === 'connections.list' ? [{ ...connection, password: SECRET }] : { state: 'weird' },
    );
    const dispatcher = createApiDispatcher(host.api);
    const list = await dispatcher.call('connections.list', {});
    expect(list).toEqual({ ok: true, value: [connection] });
    expect(await dispatcher.call('session.get', {})).toMatchObject({ ok: false, error: { code: 'internal' } });
  });

  it('forwards contract-shaped events, stripped, until unsubscribed', () => {
    const host = scriptedHost(() => undefined);
    const dispatcher = createApiDispatcher(host.api);
    const sent: EventMessage[] = [];
    const unsubscribe = dispatcher.subscribe((m) => sent.push(m));
    host.emit({ event: 'connection.changed', payload: { ...connection, password: SECRET } as never });
    host.emit({ event: 'connection.changed', payload: { name: 'broken' } as never });
    host.emit({ event: 'nope', payload: {} } as never);
    unsubscribe();
    host.emit({ event: 'connection.changed', payload: connection as never });
    expect(sent).toEqual([{ type: 'event', event: 'connection.changed', payload: connection }]);
  });
});
