// The listener: node:http or node:https on 127.0.0.1, request bodies, fault injection, and the
// LIST method. Node's HTTP parser rejects methods it does not know, so a LIST request is
// recovered from the parser error, answered by hand and the connection closed (clients retry
// on a fresh connection, as after any `Connection: close`).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { errorOutput, handleV1, json, type HttpInput, type HttpOutput } from './core';
import { badRequest, VaultError } from './errors';
import type { Faults } from './faults';
import { handleSandbox } from './sandbox-api';
import type { VaultState } from './state';

const MAX_BODY = 32 * 1024 * 1024;

export interface Listener {
  address: string;
  port: number;
  close(): Promise<void>;
}

export interface ListenOptions {
  state: VaultState;
  faults: Faults;
  rootToken: string;
  port: number;
  tls?: { certFile: string; keyFile: string };
}

/** Injected latency must not keep a finished test process alive. */
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** Routes one request; 'drop' means close the connection without an answer. */
async function dispatch(
  opts: ListenOptions,
  method: string,
  target: string,
  headers: http.IncomingHttpHeaders,
  rawBody: Buffer,
  remoteAddress: string,
): Promise<HttpOutput | 'drop'> {
  const url = new URL(target, 'http://127.0.0.1');
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return json(400, { errors: ['invalid URL escape in path'] });
  }
  const input = (path: string): HttpInput => ({
    method,
    path,
    query: url.searchParams,
    headers,
    rawBody,
    remoteAddress,
  });
  if (pathname.startsWith('/_sandbox/')) {
    try {
      return handleSandbox(opts.state, opts.faults, opts.rootToken, input(pathname.slice('/_sandbox/'.length)));
    } catch (e) {
      return errorOutput(e, opts.state.log);
    }
  }
  if (!pathname.startsWith('/v1/')) return json(404, { errors: [] });
  const path = pathname.slice('/v1/'.length);
  const fault = opts.faults.decide(method, path);
  if (fault.latencyMs > 0) await sleep(fault.latencyMs);
  if (fault.drop) return 'drop';
  if (fault.status) return json(fault.status, { errors: fault.errors });
  return handleV1(opts.state, input(path));
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new VaultError(413, ['http: request body too large']));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, out: HttpOutput, head: boolean): void {
  const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
  if (out.body !== undefined) {
    headers['Content-Type'] = out.contentType ?? 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(out.body));
  }
  res.writeHead(out.status, headers);
  res.end(head || out.status === 204 ? undefined : out.body);
}

/** Splits the raw bytes of a LIST request (request line, headers, body in the same packet). */
function parseRawRequest(
  raw: Buffer,
): { method: string; target: string; headers: http.IncomingHttpHeaders; body: Buffer } | undefined {
  const text = raw.toString('latin1');
  const start = text.search(/(^|\r\n)LIST /);
  if (start < 0) return undefined;
  const from = text.startsWith('LIST ') ? 0 : start + 2;
  const headEnd = text.indexOf('\r\n\r\n', from);
  if (headEnd < 0) return undefined;
  const lines = text.slice(from, headEnd).split('\r\n');
  const [method, target] = (lines[0] ?? '').split(' ');
  if (!method || !target) return undefined;
  const headers: http.IncomingHttpHeaders = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  const body = raw.subarray(headEnd + 4, headEnd + 4 + (Number.isFinite(length) ? length : 0));
  return { method, target, headers, body };
}

export async function listen(opts: ListenOptions): Promise<Listener> {
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    void (async () => {
      let out: HttpOutput | 'drop';
      try {
        const body = await readBody(req);
        out = await dispatch(
          opts,
          req.method ?? 'GET',
          req.url ?? '/',
          req.headers,
          body,
          req.socket.remoteAddress ?? '',
        );
      } catch (e) {
        out = errorOutput(e instanceof VaultError ? e : badRequest('could not read the request'), opts.state.log);
      }
      if (out === 'drop') {
        req.socket.destroy();
        return;
      }
      if (!res.destroyed) send(res, out, req.method === 'HEAD');
    })();
  };

  const server = opts.tls
    ? https.createServer({ cert: readFileSync(opts.tls.certFile), key: readFileSync(opts.tls.keyFile) }, onRequest)
    : http.createServer(onRequest);

  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket) => {
    const parsed = err.code === 'HPE_INVALID_METHOD' && err.rawPacket ? parseRawRequest(err.rawPacket) : undefined;
    if (!parsed || !socket.writable) {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
      return;
    }
    void dispatch(opts, parsed.method, parsed.target, parsed.headers, parsed.body, socket.remoteAddress ?? '').then(
      (out) => {
        if (out === 'drop') return socket.destroy();
        const body = out.status === 204 ? '' : (out.body ?? '');
        const reason = http.STATUS_CODES[out.status] ?? 'Status';
        const head = [`HTTP/1.1 ${out.status} ${reason}`, 'Cache-Control: no-store', 'Connection: close'];
        if (out.status !== 204)
          head.push(
            `Content-Type: ${out.contentType ?? 'application/json'}`,
            `Content-Length: ${Buffer.byteLength(body)}`,
          );
        socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    address: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
