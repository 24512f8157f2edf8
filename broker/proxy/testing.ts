// Test support for the proxy's tests: raw HTTP to the proxy (TCP or unix socket) and to Vault,
// and waiting for a registry entry to reach a state — outcomes, never timings.
import http from 'node:http';
import type { LeaseRecord, LeaseRegistry } from '../leases';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read Vault's answers field by field
type Json = any;

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: Json;
}

export interface RawOptions {
  token?: string;
  body?: unknown;
  /** Sent as is (not JSON-encoded) when a string. */
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
}

/** One HTTP request to `address` (`http://127.0.0.1:PORT` or `unix:/path`). */
export function raw(address: string, method: string, urlPath: string, options: RawOptions = {}): Promise<RawAnswer> {
  const body = options.rawBody ?? (options.body !== undefined ? JSON.stringify(options.body) : undefined);
  const target = address.startsWith('unix:')
    ? { socketPath: address.slice(5) }
    : (() => {
        const u = new URL(address);
        return { host: u.hostname, port: Number(u.port) };
      })();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        ...target,
        method,
        path: urlPath,
        agent: false,
        headers: {
          // What the vault CLI and the SDKs send (the proxy requires it by default).
          'X-Vault-Request': 'true',
          ...(options.token ? { 'X-Vault-Token': options.token } : {}),
          ...(body !== undefined
            ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) }
            : {}),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Json = {};
          try {
            json = text ? JSON.parse(text) : {};
          } catch {
            json = {};
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Resolves with the entry once `match` holds for it (polling the registry's own events). */
export function awaitLease(
  registry: LeaseRegistry,
  id: string,
  match: (r: LeaseRecord) => boolean,
  timeoutMs = 20_000,
): Promise<LeaseRecord> {
  const now = registry.get(id);
  if (now && match(now)) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => (
        off(),
        reject(
          new Error(
            `registry entry ${id} did not reach the expected state within ${timeoutMs} ms (now ${JSON.stringify(registry.get(id))})`,
          ),
        )
      ),
      timeoutMs,
    );
    const off = registry.onChange((change) => {
      if (change.lease.id === id && match(change.lease)) {
        clearTimeout(timer);
        off();
        resolve(change.lease);
      }
    });
  });
}
