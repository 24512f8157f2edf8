// A real OpenID Connect provider (oidc-provider) on loopback for tests and the sandbox:
// discovery, JWKS, authorization code flow with PKCE (S256 required) and nonce, userinfo.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { Provider } from 'oidc-provider';
import type { Adapter } from 'oidc-provider';
import { createMemoryAdapter } from 'oidc-provider/lib/adapters/memory_adapter.js';
import {
  clientMetadata,
  createUserDirectory,
  defaultClient,
  defaultUser,
  randomSecret,
  validateClient,
  validateUser,
  type OidcClient,
  type OidcUser,
} from './directory';
import { createInteractionHandler, isInteractionPath } from './interactions';

export interface OidcProviderOptions {
  /** TCP port on 127.0.0.1; 0 or absent picks a free one. */
  port?: number;
  /** Registered clients; absent → one client `sesame-dev` with a random secret and Vault's CLI redirect URIs. */
  clients?: OidcClient[];
  /** Users who can sign in; absent → `dev@example.com` with a random password, groups ['developers']. */
  users?: OidcUser[];
}

export interface OidcProvider {
  /** http://127.0.0.1:PORT, also the discovery base (`/.well-known/openid-configuration`). */
  readonly issuer: string;
  readonly port: number;
  readonly users: readonly OidcUser[];
  readonly clients: readonly OidcClient[];
  /** Registers (or replaces) a client while the provider runs. */
  addClient(client: OidcClient): Promise<void>;
  stop(): Promise<void>;
}

/** Claims every scope releases; any other claim a user has is released with `profile`. */
const STANDARD_CLAIMS: Record<string, string[]> = {
  openid: ['sub'],
  email: ['email', 'email_verified'],
  profile: ['name', 'preferred_username', 'given_name', 'family_name'],
  groups: ['groups'],
};

function claimsConfig(users: readonly OidcUser[]): Record<string, string[]> {
  const known = new Set(Object.values(STANDARD_CLAIMS).flat());
  const extra = new Set(users.flatMap((u) => Object.keys(u.claims)).filter((c) => !known.has(c)));
  return { ...STANDARD_CLAIMS, profile: [...STANDARD_CLAIMS.profile!, ...extra] };
}

/** Clients live in a Map of their own so addClient works at runtime and LRU eviction never drops one. */
function createClientAdapter(clients: Map<string, Record<string, unknown>>): Adapter {
  const unsupported = async (): Promise<never> => {
    throw new Error('the sandbox IdP does not support this operation on clients');
  };
  return {
    find: async (id) => clients.get(id),
    upsert: async (id, payload) => void clients.set(id, payload),
    destroy: async (id) => void clients.delete(id),
    findByUid: unsupported,
    findByUserCode: unsupported,
    consume: unsupported,
    revokeByGrantId: unsupported,
  };
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(new Error(`OIDC provider cannot listen on 127.0.0.1:${port}: ${err.code ?? err.message}`));
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startOidcProvider(options: OidcProviderOptions = {}): Promise<OidcProvider> {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`port must be an integer from 0 to 65535, got ${String(options.port)}`);
  }
  if (options.users !== undefined && (!Array.isArray(options.users) || options.users.length === 0)) {
    throw new TypeError('users must be a non-empty array when given');
  }
  if (options.clients !== undefined && !Array.isArray(options.clients)) {
    throw new TypeError('clients must be an array when given');
  }
  const users = (options.users ?? [defaultUser()]).map((u, i) => validateUser(u, `users[${i}]`));
  const initialClients = (options.clients ?? [defaultClient()]).map((c, i) => validateClient(c, `clients[${i}]`));
  const directory = createUserDirectory(users);

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = await exportJWK(privateKey);
  signingKey.kid = await calculateJwkThumbprint(signingKey);
  signingKey.alg = 'RS256';
  signingKey.use = 'sig';

  const server = http.createServer();
  const actualPort = await listen(server, port);
  const issuer = `http://127.0.0.1:${actualPort}`;

  const clientStore = new Map<string, Record<string, unknown>>();
  const clientAdapter = createClientAdapter(clientStore);
  const memoryAdapter = createMemoryAdapter();

  const provider = new Provider(issuer, {
    adapter: (model: string) => (model === 'Client' ? clientAdapter : memoryAdapter(model)),
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomSecret()] },
    claims: claimsConfig(users),
    // Put the scoped claims in the ID token too (not only at userinfo): relying parties like Vault
    // read groups and email from the ID token.
    conformIdTokenClaims: false,
    scopes: ['openid'],
    responseTypes: ['code'],
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    clientBasedCORS: () => false,
    ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 600, Session: 86400, Grant: 86400 },
    async findAccount(_ctx: unknown, sub: string) {
      const user = directory.byAccountId(sub);
      if (!user) return undefined;
      return { accountId: sub, claims: () => ({ ...user.claims, sub }) };
    },
    async renderError(ctx: { type: string; body: string }, out: Record<string, string>) {
      ctx.type = 'html';
      const lines = Object.entries(out)
        .map(([k, v]) => `<p><strong>${escapeHtml(k)}</strong>: ${escapeHtml(String(v))}</p>`)
        .join('');
      ctx.body = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Sign-in error</title></head><body><h1>Sign-in error</h1>${lines}</body></html>`;
    },
  });

  const clients = new Map<string, OidcClient>();
  async function addClient(input: OidcClient): Promise<void> {
    const client = validateClient(input, `client`);
    const metadata = clientMetadata(client);
    try {
      await provider.Client.validate(metadata);
    } catch (err) {
      const e = err as { error_description?: string; message: string };
      throw new TypeError(`client "${client.clientId}" is invalid: ${e.error_description ?? e.message}`);
    }
    clientStore.set(client.clientId, metadata);
    clients.set(client.clientId, client);
  }
  try {
    for (const client of initialClients) await addClient(client);
  } catch (err) {
    server.close();
    throw err;
  }

  const providerCallback = provider.callback();
  const handleInteraction = createInteractionHandler(provider, directory);
  server.on('request', (req, res) => {
    const pathname = new URL(req.url ?? '/', issuer).pathname;
    if (!isInteractionPath(pathname)) {
      providerCallback(req, res);
      return;
    }
    handleInteraction(req, res).catch((err: unknown) => {
      console.error(`sandbox OIDC provider: interaction failed: ${(err as Error).message}`);
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('internal error');
    });
  });

  let stopped: Promise<void> | undefined;
  return {
    issuer,
    port: actualPort,
    users,
    get clients() {
      return [...clients.values()];
    },
    addClient,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
