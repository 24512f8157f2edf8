// The Electron link over a PreloadBridge that answers as main/preload-api.ts does: outcomes,
// never the command's value directly. The link must unwrap them (the desktop app once handed
// the UI `{ ok: true, value }` as the result and every refusal as a success).
import { describe, expect, it } from 'vitest';
import { ApiError, type AppEvent, type CallOutcome, type PreloadBridge, type EventMessage } from '../../../app/api';
import { createPreloadLink } from './preload-link';

const info = { version: '0.1.0', mode: 'electron', configPath: '/tmp/c.yaml', sandbox: false, setup: false };

function bridgeAnswering(answers: Record<string, CallOutcome>) {
  const listeners = new Set<(message: EventMessage) => void>();
  const bridge: PreloadBridge = {
    call: async (command) =>
      structuredClone(answers[command] ?? { ok: false, error: { code: 'unknown-command', message: `no ${command}` } }),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return { bridge, push: (message: unknown) => listeners.forEach((l) => l(message as EventMessage)) };
}

describe('createPreloadLink', () => {
  it('resolves with the value of an ok outcome, checked against the contract', async () => {
    const { bridge } = bridgeAnswering({ 'app.info': { ok: true, value: { ...info, extra: 'dropped' } } });
    expect(await createPreloadLink(bridge).call('app.info', {})).toEqual(info);
  });

  it('rejects with a typed ApiError for a refusal', async () => {
    const { bridge } = bridgeAnswering({
      'connections.setEnabled': {
        ok: false,
        error: { code: 'not-found', message: "There is no connection named 'x'.", field: 'name' },
      },
    });
    const refusal = await createPreloadLink(bridge)
      .call('connections.setEnabled', { name: 'x', enabled: true })
      .catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(ApiError);
    expect(refusal).toMatchObject({ code: 'not-found', field: 'name' });
  });

  it('treats an answer that breaks the contract as an internal error', async () => {
    const { bridge } = bridgeAnswering({ 'session.get': { ok: true, value: { state: 'nonsense' } } });
    await expect(createPreloadLink(bridge).call('session.get', {})).rejects.toMatchObject({ code: 'internal' });
    const bare = { call: async () => ({ name: 'orders' }), subscribe: () => () => {} } as unknown as PreloadBridge;
    await expect(createPreloadLink(bare).call('connections.list', {})).rejects.toMatchObject({ code: 'internal' });
  });

  it('delivers events that match the contract and drops the rest', () => {
    const { bridge, push } = bridgeAnswering({});
    const received: AppEvent[] = [];
    createPreloadLink(bridge).subscribe((event) => received.push(event));
    const activity = {
      id: 'a1',
      time: '2025-01-01T00:00:00.000Z',
      level: 'info',
      kind: 'login',
      message: 'Logged in.',
    };
    push({ type: 'event', event: 'activity', payload: { ...activity, level: 'loud' } });
    push({ type: 'event', event: 'toString', payload: {} });
    push({ type: 'event', event: 'activity', payload: activity });
    expect(received).toEqual([{ event: 'activity', payload: activity }]);
  });
});
