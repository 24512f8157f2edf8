// Test support: the servers a contract suite runs against (this dev server, and a real
// `vault server -dev` when a `vault` binary is on PATH) and a tiny HTTP client for them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { startVaultDev, type VaultDevServer } from './index';

export interface VaultTarget {
  name: string;
  address: string;
  rootToken: string;
  /** Present for the dev server: programmatic hooks (faults, seal). */
  dev?: VaultDevServer;
  /** Vault Enterprise features (namespaces) are available. */
  namespaces: boolean;
  /** The unseal key, for seal/unseal round trips. */
  unsealKey: string;
  stop(): Promise<void>;
}

export interface TargetFactory {
  name: string;
  /** Why this target cannot run here, or undefined when it can. */
  skipReason: string | undefined;
  start(): Promise<VaultTarget>;
}

const vaultBinary = (): string | undefined => {
  const r = spawnSync('sh', ['-c', 'command -v vault'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function startRealVault(bin: string): Promise<VaultTarget> {
  const port = await freePort();
  const rootToken = 'root';
  const child: ChildProcess = spawn(
    bin,
    [
      'server',
      '-dev',
      `-dev-root-token-id=${rootToken}`,
      `-dev-listen-address=127.0.0.1:${port}`,
      '-dev-no-store-token',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  const address = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  };
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`${address}/v1/sys/health`);
      if (r.status === 200) {
        const health = (await r.json()) as { enterprise?: boolean };
        const unsealKey = /Unseal Key: (\S+)/.exec(output)?.[1] ?? '';
        return { name: 'vault server -dev', address, rootToken, namespaces: !!health.enterprise, unsealKey, stop };
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error('vault server -dev did not become healthy within 10 s');
}

export function targets(): TargetFactory[] {
  const bin = vaultBinary();
  return [
    {
      name: 'sandbox vault dev',
      skipReason: undefined,
      async start() {
        const dev = await startVaultDev({ rootToken: 'root' });
        return {
          name: 'sandbox vault dev',
          address: dev.address,
          rootToken: dev.rootToken,
          dev,
          namespaces: true,
          unsealKey: dev.unsealKey,
          stop: () => dev.stop(),
        };
      },
    },
    {
      name: 'vault server -dev',
      skipReason: bin
        ? undefined
        : 'no `vault` binary on PATH: the contract suite ran against the sandbox dev server only',
      start: () => startRealVault(bin as string),
    },
  ];
}

export interface Answer {
  status: number;
  // Tests read arbitrary JSON shapes.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
}

export interface CallOptions {
  body?: unknown;
  /** Sent verbatim instead of JSON-encoding `body`. */
  raw?: string;
  /** Token to send; '' sends none. Defaults to the client's token. */
  token?: string;
  headers?: Record<string, string>;
}

export function vaultClient(address: string, defaultToken: string) {
  async function call(method: string, path: string, opts: CallOptions = {}): Promise<Answer> {
    const token = opts.token ?? defaultToken;
    const headers: Record<string, string> = { ...opts.headers };
    if (token !== '') headers['X-Vault-Token'] = token;
    const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
    const r = await fetch(`${address}/v1/${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await r.text();
    let parsed: unknown = null;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: r.status, body: parsed, text };
  }
  return {
    call,
    get: (path: string, o?: CallOptions) => call('GET', path, o),
    post: (path: string, body?: unknown, o?: CallOptions) => call('POST', path, { ...o, body }),
    put: (path: string, body?: unknown, o?: CallOptions) => call('PUT', path, { ...o, body }),
    del: (path: string, o?: CallOptions) => call('DELETE', path, o),
    list: (path: string, o?: CallOptions) => call('LIST', path, o),
  };
}

export type VaultClient = ReturnType<typeof vaultClient>;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The envelope fields Vault always sends on a 200 with a body. */
export const ENVELOPE_KEYS = [
  'request_id',
  'lease_id',
  'renewable',
  'lease_duration',
  'data',
  'wrap_info',
  'warnings',
  'auth',
];

export const PERMISSION_DENIED = /permission denied/;
