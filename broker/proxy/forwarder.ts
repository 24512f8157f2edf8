// Sending a client's request on to Vault over keep-alive connections and bringing the answer
// back whole (Vault's answers are small JSON). A Vault that cannot be reached becomes a 502 in
// Vault's error shape; a sealed Vault answers 503 itself and that passes through as it is.
import http from 'node:http';
import https from 'node:https';
import { ProxyError } from './errors';

export interface UpstreamRequest {
  method: string;
  /** Path after /v1/ with the query, e.g. `secret/data/app?version=2`. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface Forwarder {
  forward(request: UpstreamRequest): Promise<UpstreamResponse>;
  close(): void;
}

export interface ForwarderOptions {
  address: string;
  ca?: string | Buffer;
  timeoutMs?: number;
  maxResponseBytes?: number;
}

const DROP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade', 'trailer', 'te']);

export function createForwarder(options: ForwarderOptions): Forwarder {
  const base = new URL(options.address);
  const secure = base.protocol === 'https:';
  const timeout = options.timeoutMs ?? 60_000;
  const maxBytes = options.maxResponseBytes ?? 64 * 1024 * 1024;
  const agent = secure
    ? new https.Agent({ keepAlive: true, maxSockets: 64, ...(options.ca ? { ca: options.ca } : {}) })
    : new http.Agent({ keepAlive: true, maxSockets: 64 });
  const prefix = base.pathname.replace(/\/+$/, '');
  const unreachable = (why: string) =>
    new ProxyError(502, [`error forwarding the request to Vault at ${base.origin}: ${why}`]);

  return {
    forward(request) {
      return new Promise<UpstreamResponse>((resolve, reject) => {
        const headers: Record<string, string> = { ...request.headers };
        if (request.body?.length) headers['content-length'] = String(request.body.length);
        const req = (secure ? https : http).request(
          {
            protocol: base.protocol,
            hostname: base.hostname,
            port: base.port || (secure ? 443 : 80),
            method: request.method,
            path: `${prefix}/v1/${request.path}`,
            headers,
            agent,
          },
          (res) => {
            const chunks: Buffer[] = [];
            let size = 0;
            res.on('data', (chunk: Buffer) => {
              size += chunk.length;
              if (size > maxBytes) {
                res.destroy();
                reject(unreachable(`the answer is larger than ${maxBytes} bytes`));
                return;
              }
              chunks.push(chunk);
            });
            res.once('end', () => {
              const out: Record<string, string> = {};
              for (const [name, value] of Object.entries(res.headers)) {
                if (value === undefined || DROP.has(name)) continue;
                out[name] = Array.isArray(value) ? value.join(', ') : value;
              }
              resolve({
                status: res.statusCode ?? 502,
                headers: out,
                body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
              });
            });
            res.once('error', (error: NodeJS.ErrnoException) => reject(unreachable(error.code ?? error.message)));
          },
        );
        req.setTimeout(timeout, () =>
          req.destroy(Object.assign(new Error('timeout'), { code: `no answer within ${timeout} ms` })),
        );
        req.once('error', (error: NodeJS.ErrnoException) => reject(unreachable(error.code ?? error.message)));
        req.end(request.body?.length ? request.body : undefined);
      });
    },
    close: () => agent.destroy(),
  };
}
