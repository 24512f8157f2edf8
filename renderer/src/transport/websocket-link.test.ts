// The browser-mode link against a real WebSocket server on loopback (Node 20 has no global
// WebSocket, so the `ws` client is injected the way the browser's would be used).
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { ApiError, type AppEvent } from '../../../app/api';
import type { HostLink, LinkState } from './link';
import { createWebSocketLink, type OpenSocket } from './websocket-link';

const nodeSocket: OpenSocket = (url, handlers) => {
  const ws = new WebSocket(url);
  ws.on('open', () => handlers.open());
  ws.on('message', (data, isBinary) => {
    if (!isBinary) handlers.message(String(data));
  });
  ws.on('close', (code, reason) => handlers.close(code, reason.toString()));
  ws.on('error', () => {});
  return { send: (data) => ws.send(data), close: () => ws.close() };
};

/** Holds reconnect attempts back while set, so the test can look at the link while it is down. */
let gate: Promise<void> | undefined;
const gatedSocket: OpenSocket = (url, handlers) => {
  let real: ReturnType<OpenSocket> | undefined;
  const start = () => {
    real = nodeSocket(url, handlers);
  };
  if (gate) void gate.then(start);
  else start();
  return { send: (data) => real?.send(data), close: () => real?.close() };
};

const info = { version: '0.1.0', mode: 'browser', configPath: '/tmp/c.yaml', sandbox: false, setup: false };

let server: WebSocketServer;
let link: HostLink | undefined;
/** What the fake host answers to each call, by command. */
let answers: Record<string, (id: number) => object | undefined>;
/** Every hello the fake bridge received, and whether it lets them in. */
let hellos: Array<{ token?: string; session?: string }>;
let admit: (hello: { token?: string; session?: string }) => boolean;
let kept: string | null;

beforeEach(async () => {
  gate = undefined;
  answers = {
    'app.info': (id) => ({ type: 'result', id, ok: true, value: { ...info, extra: 'dropped' } }),
    'session.logout': (id) => ({
      type: 'result',
      id,
      ok: false,
      error: { code: 'vault-sealed', message: 'Vault is sealed.' },
    }),
    'session.get': (id) => ({ type: 'result', id, ok: true, value: { state: 'nonsense' } }),
    'connections.list': () => undefined,
  };
  hellos = [];
  kept = null;
  admit = (hello) => hello.token === 'link-token' || hello.session === 'tab-session';
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (ws) => {
    let signedIn = false;
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as {
        type: string;
        id: number;
        command: string;
        token?: string;
        session?: string;
      };
      if (!signedIn) {
        hellos.push({
          ...(message.token !== undefined ? { token: message.token } : {}),
          ...(message.session !== undefined ? { session: message.session } : {}),
        });
        if (message.type !== 'hello' || !admit(message)) return ws.close(4401, 'link-expired');
        signedIn = true;
        return ws.send(JSON.stringify({ type: 'welcome', session: 'tab-session' }));
      }
      const answer = answers[message.command]?.(message.id);
      if (answer) ws.send(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
});

afterEach(async () => {
  link?.close();
  link = undefined;
  for (const client of server.clients) client.terminate();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function open(): HostLink {
  const { port } = server.address() as AddressInfo;
  link = createWebSocketLink({
    url: `ws://127.0.0.1:${port}/api`,
    openSocket: gatedSocket,
    retryDelaysMs: [20],
    signIn: { token: 'link-token', storedSession: () => kept, keepSession: (s) => void (kept = s) },
  });
  return link;
}

function nextState(target: HostLink, wanted: LinkState): Promise<void> {
  return new Promise((resolve) => {
    if (target.state === wanted) return resolve();
    const stop = target.onState((state) => {
      if (state === wanted) {
        stop();
        resolve();
      }
    });
  });
}

function pushToAll(message: object): void {
  for (const client of server.clients) client.send(JSON.stringify(message));
}

describe('createWebSocketLink', () => {
  it('answers calls with contract-checked values and typed errors', async () => {
    const host = open();
    await nextState(host, 'open');
    expect(await host.call('app.info', {})).toEqual(info);
    const sealed = await host.call('session.logout', {}).catch((e: unknown) => e);
    expect(sealed).toBeInstanceOf(ApiError);
    expect(sealed).toMatchObject({ code: 'vault-sealed', message: 'Vault is sealed.' });
    await expect(host.call('session.get', {})).rejects.toMatchObject({ code: 'internal' });
  });

  it('delivers events that match the contract and drops the rest', async () => {
    const host = open();
    const received: AppEvent[] = [];
    host.subscribe((event) => received.push(event));
    await nextState(host, 'open');
    const activity = {
      id: 'a1',
      time: '2025-01-01T00:00:00.000Z',
      level: 'info',
      kind: 'login',
      message: 'Logged in.',
    };
    pushToAll({ type: 'event', event: 'activity', payload: { ...activity, level: 'loud' } });
    pushToAll({ type: 'event', event: 'toString', payload: {} });
    pushToAll({ type: 'event', event: 'activity', payload: activity });
    // A round trip after the pushes: the socket is ordered, so all three have been read.
    await host.call('app.info', {});
    expect(received).toEqual([{ event: 'activity', payload: activity }]);
  });

  it('fails calls in flight when the socket drops, fails new ones while down, and reconnects', async () => {
    const host = open();
    await nextState(host, 'open');
    let release = () => {};
    gate = new Promise((resolve) => (release = resolve));
    const inFlight = host.call('connections.list', {});
    const closed = nextState(host, 'closed');
    for (const client of server.clients) client.terminate();
    await expect(inFlight).rejects.toMatchObject({ code: 'internal', message: expect.stringMatching(/dropped/) });
    await closed;
    await nextState(host, 'connecting');
    await expect(host.call('app.info', {})).rejects.toMatchObject({ message: expect.stringMatching(/reconnecting/) });
    release();
    await nextState(host, 'open');
    expect(await host.call('app.info', {})).toEqual(info);
  });

  it('signs in with the token of its link once, then with the session the bridge gave, on every reconnect', async () => {
    const host = open();
    await nextState(host, 'open');
    expect(hellos).toEqual([{ token: 'link-token' }]);
    expect(kept).toBe('tab-session');
    for (const client of server.clients) client.terminate();
    await nextState(host, 'closed');
    await nextState(host, 'open');
    expect(hellos).toEqual([{ token: 'link-token' }, { session: 'tab-session' }]);
  });

  it('stops, saying why, when the bridge refuses the sign-in', async () => {
    admit = () => false;
    const host = open();
    await nextState(host, 'denied');
    expect(host.denial).toBe('link-expired');
    await expect(host.call('app.info', {})).rejects.toMatchObject({ code: 'internal' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(hellos).toHaveLength(1); // no retries after a refusal
  });
});
