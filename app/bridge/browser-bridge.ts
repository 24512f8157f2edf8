// Browser mode: the renderer build and the AppApi served on a loopback port. A one-time token
// in the printed URL becomes an HttpOnly, SameSite=Strict session cookie; the WebSocket at
// /api speaks the bridge messages of app/api/contract.ts through the shared dispatcher.
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { AppApi } from '../api';
import { silentLogger, type Logger } from '../../broker/log';
import { createAccessControl, loopbackHostForUrl, type AccessControl } from './access';
import { createApiDispatcher, readableId, UNREADABLE_CALL_ID, type ApiDispatcher, type ResultMessage } from './dispatcher';
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
  /** `http://127.0.0.1:PORT/?token=…`: open once; the token is spent on first use. */
  readonly url: string;
  readonly port: number;
  /** Another single-use login URL (e.g. for a tray menu's "Open Sesame"). */
  createLoginUrl(): string;
  close(): Promise<void>;
}

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
    sockets.handleUpgrade(request, socket, head, (ws) => serveSocket(ws, dispatcher, log));
  });

  const loginUrl = () => `${access.origin}/?token=${access.issueToken()}`;
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
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return refuse(response, 405, 'Only GET and HEAD are served here.', { ...headers, Allow: 'GET, HEAD' });
  }
  const url = new URL(request.url ?? '/', access.origin);
  const token = url.searchParams.get('token');
  if (token !== null) {
    if (access.hasSession(request)) return redirectHome(response, headers, undefined);
    const sessionId = access.redeemToken(token);
    if (!sessionId) {
      return refuse(
        response,
        403,
        'This Sesame link has already been used or is not valid. Each link opens one browser session; ask Sesame for a new one (restart `sesame start`).',
        headers,
      );
    }
    return redirectHome(response, headers, access.sessionCookie(sessionId));
  }
  if (!access.hasSession(request)) {
    return refuse(
      response,
      401,
      'Not signed in to this Sesame window. Open the link `sesame start` printed (it works once); if you just opened it, reload this page.',
      headers,
    );
  }
  if (url.pathname === API_PATH) return refuse(response, 426, 'The API speaks WebSocket only.', headers);
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
  const served = await files.serve(url.pathname, response, request.method === 'HEAD');
  if (!served) refuse(response, 404, 'Not found.', headers);
}

function upgradeRefusal(request: IncomingMessage, access: AccessControl): { status: number; reason: string } | undefined {
  if (!access.hasValidHost(request)) return { status: 403, reason: 'Host header is not the bound loopback address' };
  const path = (request.url ?? '').split('?')[0];
  if (path !== API_PATH) return { status: 404, reason: 'no WebSocket here' };
  if (!access.hasOwnOrigin(request)) return { status: 403, reason: 'foreign or missing Origin' };
  if (!access.hasSession(request)) return { status: 401, reason: 'no valid session cookie' };
  return undefined;
}

function serveSocket(ws: WebSocket, dispatcher: ApiDispatcher, log: Logger): void {
  const send = (message: object) => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      log.warn('closing a WebSocket that stopped reading');
      ws.close(1013, 'Too far behind; reconnect to resync');
      return;
    }
    ws.send(JSON.stringify(message));
  };
  const unsubscribe = dispatcher.subscribe(send);
  ws.on('close', unsubscribe);
  ws.on('error', (error) => log.warn('WebSocket error', { error }));
  ws.on('message', (data: RawData, isBinary: boolean) => {
    answer(data, isBinary, dispatcher).then(send, (error: unknown) => log.error('could not answer a call', { error }));
  });
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
    return badFrame(readableId(message), `A call may be at most ${MAX_CALL_BYTES} bytes; this one is ${buffer.byteLength}.`);
  }
  if (message === undefined) return badFrame(UNREADABLE_CALL_ID, 'A call must be a JSON object; this frame is not valid JSON.');
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

function redirectHome(response: ServerResponse, headers: Record<string, string>, cookie: string | undefined): void {
  response.writeHead(303, {
    ...headers,
    Location: '/',
    'Cache-Control': 'no-store',
    ...(cookie ? { 'Set-Cookie': cookie } : {}),
  });
  response.end();
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
