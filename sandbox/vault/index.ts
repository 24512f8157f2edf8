// The Vault dev server: `startVaultDev()` starts an in-memory Vault on 127.0.0.1 that behaves
// like `vault server -dev` for the API subset in VAULT-API.md.
import { randomBytes } from 'node:crypto';
import { builtinAuthMethods } from './auth/index';
import { createTokenBackend } from './auth/token';
import type { BackendFactory } from './backend';
import { createCubbyholeBackend } from './engines/cubbyhole';
import { builtinSecretsEngines } from './engines/index';
import { createFaults, type Faults } from './faults';
import { listen } from './http';
import { newServiceToken } from './ids';
import { createVaultState, type VaultState } from './state';
import { createSysBackend } from './sys/index';

export type { Backend, BackendFactory, BackendRequest, BackendResponse, LoginResult, MountContext } from './backend';
export type { FaultInput, FaultRule, Faults } from './faults';

export interface VaultDevOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** The root token's id (default: a random hvs. token, as `vault server -dev` does). */
  rootToken?: string;
  tls?: { certFile: string; keyFile: string };
  /** Extra or replacement auth method types, e.g. `{ oidc: createOidcAuthMethod }`. */
  authMethods?: Record<string, BackendFactory>;
  /** Extra or replacement secrets engine types. */
  secretsEngines?: Record<string, BackendFactory>;
  /** Namespaces to create at start ("team-a", "team-a/sub"). */
  namespaces?: string[];
  /** Receives operational lines (never secrets); silent by default. */
  log?: (line: string) => void;
}

export interface VaultDevServer {
  /** http(s)://127.0.0.1:PORT */
  readonly address: string;
  readonly port: number;
  readonly rootToken: string;
  /** The single unseal key (base64), for sys/unseal. */
  readonly unsealKey: string;
  /** Fault injection (also reachable over HTTP under /_sandbox/faults). */
  readonly faults: Faults;
  seal(): void;
  unseal(): void;
  /** Simulate a standby node: sys/health answers 429 unless ?standbyok=true. */
  setStandby(standby: boolean): void;
  stop(): Promise<void>;
}

export async function startVaultDev(options: VaultDevOptions = {}): Promise<VaultDevServer> {
  const rootToken = options.rootToken ?? newServiceToken();
  if (rootToken.trim() === '' || /\s/.test(rootToken))
    throw new Error('startVaultDev: rootToken must be a non-empty string without spaces');
  const unsealKey = randomBytes(32).toString('base64');

  const auth = builtinAuthMethods();
  for (const [type, f] of Object.entries(options.authMethods ?? {})) auth.set(type, f);
  const secret = builtinSecretsEngines();
  for (const [type, f] of Object.entries(options.secretsEngines ?? {})) secret.set(type, f);

  const state: VaultState = createVaultState({
    unsealKey,
    factories: { secret, auth },
    builtins: new Map([
      ['system', createSysBackend],
      ['token', createTokenBackend],
      ['cubbyhole', createCubbyholeBackend],
    ]),
    log: options.log ?? (() => undefined),
  });
  const root = state.createNamespace('');
  state.tokens.create({
    id: rootToken,
    policies: ['root'],
    displayName: 'root',
    path: 'auth/token/root',
    namespace: '',
    ttl: 0,
  });
  state.mount(root, {
    kind: 'secret',
    path: 'secret/',
    type: 'kv',
    options: { version: '2' },
    description: 'key/value secret storage',
  });
  for (const ns of options.namespaces ?? []) {
    const parts = ns.split('/').filter((p) => p !== '');
    for (let i = 1; i <= parts.length; i++) state.createNamespace(`${parts.slice(0, i).join('/')}/`);
  }

  const faults = createFaults();
  let listener;
  try {
    listener = await listen({
      state,
      faults,
      rootToken,
      port: options.port ?? 0,
      ...(options.tls ? { tls: options.tls } : {}),
    });
  } catch (e) {
    await state.close();
    throw e;
  }
  const l = listener;
  let stopped = false;
  return {
    address: l.address,
    port: l.port,
    rootToken,
    unsealKey,
    faults,
    seal: () => {
      state.sealed = true;
    },
    unseal: () => {
      state.sealed = false;
    },
    setStandby: (standby) => {
      state.standby = standby;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await l.close();
      await state.close();
    },
  };
}
