// Browser mode: the renderer build and the AppApi served on a loopback port. The printed link
// carries a one-time token in its #fragment (never sent in a request); the page presents it as
// the first message on the WebSocket at /api and gets a session secret for the tab (see
// access.ts). After that the socket speaks the bridge messages of app/api/contract.ts through
// the shared dispatcher.
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { BRIDGE_DENIED, HelloMessage, type AppApi, type BridgeDenial } from '../api';
import { silentLogger, type Logger } from '../../broker/log';
import { createAccessControl, loopbackHostForUrl, type AccessControl } from './access';
import {
  createApiDispatcher,
  readableId,
  UNREADABLE_CALL_ID,
  type ApiDispatcher,
  type ResultMessage,
} from './dispatcher';
import { createStaticFiles, securityHeaders, type StaticFiles } from './static-files';

/** Calls larger than this are answered with a typed error instead of being run. */
export const MAX_CALL_BYTES = 64 * 1024;
/** Frames larger than this close the socket (1009) before they are even buffered whole. */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** A socket that lets this much pile up unread is closed; the UI reconnects and resyncs. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
export const API_PATH = '/api';

export interface BrowserBridgeOptions {
  api: AppApi;
  /** The renderer build: index.html plus Vite's assets/. */
  staticDir: string;
  /** A loopback address; 127.0.0.1 by default. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  log?: Logger;
}

export interface BrowserBridge {
  /** `http://127.0.0.1:PORT/#token=…`: opens one tab, once, within TOKEN_LIFETIME_MS. */
  readonly url: string;
  readonly port: number;
  /** Another single-use link (`sesame start` prints one when Enter is pressed). */
  createLoginUrl(): string;
  close(): Promise<void>;
}

/** How long a socket may stay silent before its hello: then it is closed. */
const HELLO_TIMEOUT_MS = 10_000;

export async function createBrowserBridge(options: BrowserBridgeOptions): Promise<BrowserBridge> {
  const host = options.host ?? '127.0.0.1';
  const hostForUrl = loopbackHostForUrl(host);
  const log = (options.log ?? silentLogger).child('browser-bridge');
  const files = await createStaticFiles(options.staticDir);
  const dispatcher = createApiDispatcher(options.api, { log });

  // Access control needs the port, known only after listen. Handlers are attached in the same
  // tick that listen completes, before any connection event can be delivered.
  const server = createServer();
  const port = await listen(server, host, options.port ?? 0);
  const access = createAccessControl(hostForUrl, port);
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    handleRequest(request, response, access, files).catch((error: unknown) => {
      log.error('request failed', { path: request.url?.split('?')[0], error });
      if (!response.headersSent) refuse(response, 500, 'Sesame could not answer this request.', {});
      else response.destroy();
    });
  });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refusal = upgradeRefusal(request, access);
    if (refusal) {
      log.warn('WebSocket refused', { status: refusal.status, reason: refusal.reason });
      return rejectUpgrade(socket, refusal.status, refusal.reason);
    }
    sockets.handleUpgrade(request, socket, head, (ws) => serveSocket(ws, dispatcher, access, log));
  });

  const loginUrl = () => `${access.origin}/#token=${access.issueToken()}`;
  log.info('browser mode listening', { origin: access.origin });
  let closing: Promise<void> | undefined;

  return {
    url: loginUrl(),
    port,
    createLoginUrl: loginUrl,
    close() {
      closing ??= (async () => {
        await Promise.all([...sockets.clients].map((ws) => closeSocket(ws)));
        await new Promise<void>((resolve) => sockets.close(() => resolve()));
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}

async function handleRequest(
  request: IncomingMessage,
  response: ServerResponse,
  access: AccessControl,
  files: StaticFiles,
): Promise<void> {
  const headers = securityHeaders(access.origin);
  if (!access.hasValidHost(request)) {
    return refuse(response, 403, `Refused: Sesame answers only to ${access.origin.slice(7)}.`, headers);
  }
  if (!access.isSameSiteFetch(request)) {
    return refuse(response, 403, 'Refused: another site may not load Sesame.', headers);
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return refuse(response, 405, 'Only GET and HEAD are served here.', { ...headers, Allow: 'GET, HEAD' });
  }
  // The page and its assets hold no secret: the socket is where the caller proves itself.
  const url = new URL(request.url ?? '/', access.origin);
  if (url.pathname === API_PATH) return refuse(response, 426, 'The API speaks WebSocket only.', headers);
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
  const served = await files.serve(url.pathname, response, request.method === 'HEAD');
  if (!served) refuse(response, 404, 'Not found.', headers);
}

function upgradeRefusal(
  request: IncomingMessage,
  access: AccessControl,
): { status: number; reason: string } | undefined {
  if (!access.hasValidHost(request)) return { status: 403, reason: 'Host header is not the bound loopback address' };
  const path = (request.url ?? '').split('?')[0];
  if (path !== API_PATH) return { status: 404, reason: 'no WebSocket here' };
  if (!access.hasOwnOrigin(request)) return { status: 403, reason: 'foreign or missing Origin' };
  return undefined;
}

/** Why a socket was not signed in: the close reason (short: a close frame holds 123 bytes). */
const DENIED: Record<'unknown' | 'expired' | 'session' | 'silent' | 'malformed', BridgeDenial> = {
  unknown: 'link-unknown',
  expired: 'link-expired',
  session: 'session-unknown',
  silent: 'no-hello',
  malformed: 'bad-hello',
};

/** Signs the socket in with its first message, then serves calls and pushes events. */
function serveSocket(ws: WebSocket, dispatcher: ApiDispatcher, access: AccessControl, log: Logger): void {
  const send = (message: object) => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      log.warn('closing a WebSocket that stopped reading');
      ws.close(1013, 'Too far behind; reconnect to resync');
      return;
    }
    ws.send(JSON.stringify(message));
  };
  const deny = (why: keyof typeof DENIED) => {
    log.warn('WebSocket not signed in', { why });
    ws.close(BRIDGE_DENIED, DENIED[why]);
  };
  let signedIn = false;
  const silence = setTimeout(() => deny('silent'), HELLO_TIMEOUT_MS);
  ws.on('close', () => clearTimeout(silence));
  ws.on('error', (error) => log.warn('WebSocket error', { error }));
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (signedIn) {
      answer(data, isBinary, dispatcher).then(send, (error: unknown) =>
        log.error('could not answer a call', { error }),
      );
      return;
    }
    clearTimeout(silence);
    const hello = isBinary ? undefined : HelloMessage.safeParse(parseJson(data)).data;
    if (!hello) return deny('malformed');
    let session = hello.session;
    if (hello.token !== undefined) {
      const redeemed = access.redeemToken(hello.token);
      if ('refused' in redeemed) return deny(redeemed.refused);
      session = redeemed.session;
    } else if (!session || !access.hasSession(session)) {
      return deny('session');
    }
    signedIn = true;
    send({ type: 'welcome', session });
    const unsubscribe = dispatcher.subscribe(send);
    ws.on('close', unsubscribe);
  });
}

function parseJson(data: RawData): unknown {
  try {
    const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    return JSON.parse(buffer.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Decode one frame and answer it; every way a frame can be wrong gets a typed error result. */
async function answer(data: RawData, isBinary: boolean, dispatcher: ApiDispatcher): Promise<ResultMessage> {
  if (isBinary) return badFrame(UNREADABLE_CALL_ID, 'Calls are JSON text frames; a binary frame was sent.');
  const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
  let message: unknown;
  try {
    message = JSON.parse(buffer.toString('utf8'));
  } catch {
    message = undefined;
  }
  if (buffer.byteLength > MAX_CALL_BYTES) {
    // Still bounded by MAX_FRAME_BYTES, so reading it for its id is cheap; it is never run.
    return badFrame(
      readableId(message),
      `A call may be at most ${MAX_CALL_BYTES} bytes; this one is ${buffer.byteLength}.`,
    );
  }
  if (message === undefined)
    return badFrame(UNREADABLE_CALL_ID, 'A call must be a JSON object; this frame is not valid JSON.');
  return dispatcher.handleMessage(message);
}

/** Ask a client to go; one that does not answer the close handshake promptly is cut off. */
function closeSocket(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    if (ws.readyState === ws.CLOSED) return resolve();
    const timer = setTimeout(() => ws.terminate(), 1000);
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.close(1001, 'Sesame is shutting down');
  });
}

function badFrame(id: number, message: string): ResultMessage {
  return { type: 'result', id, ok: false, error: { code: 'invalid-input', message } };
}

function refuse(response: ServerResponse, status: number, text: string, headers: Record<string, string>): void {
  const body = `${text}\n`;
  response.writeHead(status, {
    ...headers,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
  });
  response.end(body);
}

function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.on('error', () => socket.destroy());
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function listen(server: ReturnType<typeof createServer>, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `The browser bridge could not listen on ${host}:${port}: the port is already in use.`
            : `The browser bridge could not listen on ${host}:${port}: ${error.message}`,
        ),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
