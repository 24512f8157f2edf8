// The daemon's health endpoints on a loopback address: GET /live (the process is up) and
// GET /ready (logged in when Vault is needed, every connection listening; 503 otherwise, with
// the per-connection detail). JSON only; states, addresses and reasons — never a secret.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLoopbackHost } from '../app/config';
import type { Readiness } from '../app/host';
import type { Logger } from '../app/log';

export interface HealthServer {
  /** `127.0.0.1:8480` as bound (the port resolved when 0 was asked for). */
  readonly address: string;
  close(): Promise<void>;
}

export interface HealthServerOptions {
  /** A loopback HOST:PORT. */
  address: string;
  readiness(): Readiness;
  log: Logger;
}

/** Splits a loopback `HOST:PORT`, or throws saying what is expected. */
export function parseHealthAddress(text: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (!match || port > 65535 || !isLoopbackHost(match[1]!)) {
    throw new Error(`the health address '${text}' must be a loopback HOST:PORT such as 127.0.0.1:8480`);
  }
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

const started = Date.now();

function answer(response: ServerResponse, status: number, body: unknown, head = false): void {
  const text = `${JSON.stringify(body)}\n`;
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(head ? undefined : text);
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const { host, port } = parseHealthAddress(options.address);
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const bound = server.address() as AddressInfo;
    const hostForUrl = host.includes(':') ? `[${host}]` : host;
    // A page elsewhere may not read these through a rebinding DNS name: only our own names.
    const allowed = new Set([`${hostForUrl}:${bound.port}`, `localhost:${bound.port}`]);
    if (!allowed.has(request.headers.host ?? '')) return answer(response, 421, { error: 'unexpected Host header' });
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return answer(response, 405, { error: 'only GET and HEAD' });
    const head = request.method === 'HEAD';
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/live')
      return answer(
        response,
        200,
        { status: 'live', pid: process.pid, uptimeSeconds: Math.round((Date.now() - started) / 1000) },
        head,
      );
    if (path === '/ready') {
      const readiness = options.readiness();
      return answer(
        response,
        readiness.ready ? 200 : 503,
        { status: readiness.ready ? 'ready' : 'not-ready', ...readiness },
        head,
      );
    }
    return answer(response, 404, { error: 'not found: use /live or /ready' }, head);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `the health address ${options.address} is already in use by another program`
            : `cannot listen on ${options.address}: ${error.message}`,
        ),
      ),
    );
    server.listen({ host, port, exclusive: true }, resolve);
  });
  const bound = server.address() as AddressInfo;
  const address = `${host.includes(':') ? `[${host}]` : host}:${bound.port}`;
  options.log.info('health endpoints listening', { live: `http://${address}/live`, ready: `http://${address}/ready` });
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
