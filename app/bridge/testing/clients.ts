// Real HTTP and WebSocket clients for the bridge tests: they send exactly the headers a test
// chooses (Host, Origin, Sec-Fetch-Site), which a browser would not let a page forge.
import { request } from 'node:http';
import { WebSocket } from 'ws';
import type { BridgeMessage } from '../../api';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function httpGet(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** The one-time token in a printed link (`http://127.0.0.1:PORT/#token=…`). */
export function tokenOf(url: string): string {
  const token = new URLSearchParams(new URL(url).hash.slice(1)).get('token');
  if (!token) throw new Error(`no token in ${url}`);
  return token;
}

/** Open the bridge's socket as our own page would and sign in with the link's token. */
export async function signIn(url: string): Promise<ApiClient & { session: string }> {
  const { port, origin } = new URL(url);
  const client = await openSocket(Number(port), { origin });
  const answer = await client.hello({ token: tokenOf(url) });
  if ('denied' in answer) throw new Error(`sign-in refused: ${answer.denied}`);
  return Object.assign(client, { session: answer.session });
}

export interface SocketOptions {
  origin?: string;
  host?: string;
}

/** Open the bridge's socket (not signed in yet); rejects with the HTTP status when the upgrade is refused. */
export function openSocket(port: number, options: SocketOptions): Promise<ApiClient> {
  const headers: Record<string, string> = {};
  if (options.host) headers.host = options.host;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api`, {
    headers,
    ...(options.origin ? { origin: options.origin } : {}),
  });
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      reject(new RefusedError(res.statusCode ?? 0));
      res.resume();
      ws.terminate();
    });
    ws.once('error', reject);
    ws.once('open', () => resolve(createApiClient(ws)));
  });
}

export class RefusedError extends Error {
  constructor(readonly status: number) {
    super(`upgrade refused with HTTP ${status}`);
  }
}

export interface ApiClient {
  ws: WebSocket;
  /** The first message: resolves with the session secret, or with the close reason when refused. */
  hello(proof: { token?: string; session?: string }): Promise<{ session: string } | { denied: string; code: number }>;
  /** Every event message pushed so far, in order. */
  events: Extract<BridgeMessage, { type: 'event' }>[];
  /** Send raw text (or bytes) and wait for the result with `id`. */
  sendRaw(data: string | Buffer, id: number): Promise<Extract<BridgeMessage, { type: 'result' }>>;
  call(command: string, input?: unknown): Promise<Extract<BridgeMessage, { type: 'result' }>>;
  /** Resolves once an event matching `test` has arrived (already or later). */
  waitForEvent(
    test: (e: Extract<BridgeMessage, { type: 'event' }>) => boolean,
  ): Promise<Extract<BridgeMessage, { type: 'event' }>>;
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

function createApiClient(ws: WebSocket): ApiClient {
  const events: ApiClient['events'] = [];
  const waiting = new Map<number, (m: Extract<BridgeMessage, { type: 'result' }>) => void>();
  const eventWaiters = new Set<() => void>();
  let welcomed: ((session: string) => void) | undefined;
  let nextId = 1;
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as BridgeMessage | { type: 'welcome'; session: string };
    if (message.type === 'welcome') {
      welcomed?.(message.session);
      return;
    }
    if (message.type === 'result') {
      waiting.get(message.id)?.(message);
      waiting.delete(message.id);
    } else {
      events.push(message);
      for (const wake of eventWaiters) wake();
    }
  });
  const sendRaw: ApiClient['sendRaw'] = (data, id) =>
    new Promise((resolve) => {
      waiting.set(id, resolve);
      ws.send(data);
    });
  return {
    ws,
    hello(proof) {
      const answer = new Promise<{ session: string } | { denied: string; code: number }>((resolve) => {
        welcomed = (session) => resolve({ session });
        void closed.then(({ code, reason }) => resolve({ denied: reason, code }));
      });
      ws.send(JSON.stringify({ type: 'hello', ...proof }));
      return answer;
    },
    events,
    sendRaw,
    call(command, input) {
      const id = nextId++;
      return sendRaw(JSON.stringify({ type: 'call', id, command, input }), id);
    },
    waitForEvent(test) {
      return new Promise((resolve) => {
        const check = () => {
          const found = events.find(test);
          if (found) {
            eventWaiters.delete(check);
            resolve(found);
          }
        };
        eventWaiters.add(check);
        check();
      });
    },
    closed,
    async close() {
      if (ws.readyState !== ws.CLOSED) {
        ws.close();
        await closed;
      }
    },
  };
}
