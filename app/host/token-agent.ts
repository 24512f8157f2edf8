// The token agent inside the host: the session's options from the config (keychain, browser,
// token sink, non-interactive re-login), its events as activity and notifications, the lease
// registry as LeaseViews, and the caching proxy when the config asks for one.
import path from 'node:path';
import {
  createVaultSession,
  type LoginRequest,
  type SessionEvent,
  type VaultSession,
} from '../../broker/vault-session';
import { createLeaseRegistry, trackSessionToken, type LeaseRecord, type LeaseRegistry } from '../../broker/leases';
import type { Logger } from '../../broker/log';
import { startAgentProxy, type AgentProxy } from '../../broker/proxy';
import type { VaultClient } from '../../broker/vault';
import type { AppEvent, LeaseView } from '../api';
import type { AuthConfig, SesameConfig } from '../config';
import type { Platform, SecretStore } from '../platform';
import type { ActivityLog } from './activity';
import { resolveConfigPath } from './credential-sources';

/** The non-interactive login the config describes (Vault Agent's auto-auth), if any. */
export function autoAuthFor(auth: AuthConfig, baseDir: string): LoginRequest | undefined {
  const file = (f?: string) => (f ? resolveConfigPath(f, baseDir) : undefined);
  switch (auth.method) {
    case 'token':
      return auth.tokenFile ? { method: 'token', tokenFile: file(auth.tokenFile)! } : undefined;
    case 'approle':
      return auth.roleIdFile && auth.secretIdFile
        ? {
            method: 'approle',
            mount: auth.mount,
            roleIdFile: file(auth.roleIdFile)!,
            secretIdFile: file(auth.secretIdFile)!,
          }
        : undefined;
    case 'jwt':
      return auth.jwtFile
        ? { method: 'jwt', mount: auth.mount, role: auth.role, jwtFile: file(auth.jwtFile)! }
        : undefined;
    default:
      return undefined;
  }
}

/** How long a client waits for a Vault login by default (vault.holdClientsFor). */
export const DEFAULT_HOLD_MS = 120_000;

/**
 * The host's Vault session. `interactive`: the app has a window where someone can log in, so a
 * logged-out session holds clients for a login too (the daemon holds only for its own login).
 */
export function createHostSession(
  vault: VaultClient,
  config: SesameConfig,
  baseDir: string,
  platform: Platform,
  log: Logger,
  interactive: boolean,
): VaultSession {
  const autoAuth = autoAuthFor(config.vault.auth, baseDir);
  const sink = config.agent?.tokenSink;
  return createVaultSession(vault, log, {
    store: platform.secrets,
    interactive,
    loginWaitMs: config.vault.holdClientsFor ?? DEFAULT_HOLD_MS,
    openBrowser: (url) => platform.openExternal(url),
    ...(autoAuth ? { autoAuth } : {}),
    ...(sink ? { tokenSink: resolveConfigPath(sink, baseDir) } : {}),
  });
}

/** Where a restored session came from, in the words of the store that kept it. */
const RESTORED_FROM: Record<Platform['secrets']['kind'], string> = {
  keychain: 'from the OS keychain',
  'safe-storage': "from Sesame's encrypted store",
  // No keychain: only a restart inside this process (a Vault change) can restore it.
  memory: 'kept in memory since Sesame started (there is no OS keychain)',
};

/**
 * Session events the user should hear about: the activity log, and a notification when it matters.
 * `starting`: true while the host's start-up login runs; its first auto-auth login is not
 * "logged in again" (the host says it once, with the policies).
 */
export function reportSessionEvents(
  session: VaultSession,
  activity: ActivityLog,
  platform: Platform,
  starting: () => boolean = () => false,
): () => void {
  const say = (level: 'info' | 'warn' | 'error', kind: string, message: string) =>
    activity.add({ level, kind, message });
  return session.onEvent((event: SessionEvent) => {
    switch (event.type) {
      case 'expiring':
        say(
          'warn',
          'session-expiring',
          `the Vault session ends at ${event.expiresAt.toISOString()}; log in again to keep connections working`,
        );
        platform.notify('Vault session expiring', 'Log in again in Sesame to keep your connections working.');
        break;
      case 'expired':
        say('error', 'session-expired', `the Vault session ended: ${event.reason}`);
        platform.notify('Vault session ended', event.reason);
        break;
      case 'login-required':
        // The notification names the waiting client (waiting-clients.ts).
        say('warn', 'login-required', `a connection is waiting for a Vault login: ${event.reason}`);
        break;
      case 'renewal-failed':
        say('warn', 'renewal-failed', `renewing the Vault token failed: ${event.error}`);
        break;
      case 'reauthenticated':
        if (!starting()) say('info', 'reauthenticated', `logged in to Vault again with ${event.method}`);
        break;
      case 'reauth-failed':
        say('error', 'reauth-failed', `logging in to Vault again failed: ${event.error}`);
        break;
      case 'restored':
        say('info', 'restored', `restored the Vault session (${event.method}) ${RESTORED_FROM[platform.secrets.kind]}`);
        break;
      case 'persistence-unavailable':
        say('warn', 'keychain-unavailable', `the Vault session is kept in memory only: ${event.reason}`);
        break;
      case 'persistence-failed':
        say('warn', 'keychain-failed', `could not keep the Vault session in the keychain: ${event.error}`);
        break;
      default:
        break;
    }
  });
}

const VIEW_KIND: Record<LeaseRecord['kind'], LeaseView['kind']> = {
  'session-token': 'token',
  'child-token': 'token',
  lease: 'lease',
  'kv-secret': 'kv',
};

export function leaseView(record: LeaseRecord, now = Date.now()): LeaseView {
  const origin = record.origin.type === 'connection' ? `connection:${record.origin.name}` : record.origin.type;
  return {
    kind: VIEW_KIND[record.kind],
    id: record.id,
    path: record.path,
    issuedAt: record.issuedAt.toISOString(),
    ...(record.expiresAt
      ? {
          expiresAt: record.expiresAt.toISOString(),
          ttlSeconds: Math.max(0, Math.round((record.expiresAt.getTime() - now) / 1000)),
        }
      : {}),
    renewable: record.renewable,
    renewals: record.renewals,
    hits: record.hits,
    origin,
    state: record.state,
    ...(record.lastError ? { lastError: record.lastError } : {}),
  };
}

/** What the persistent cache does now (SettingsView's `agent.cache.persistence`). */
export interface PersistenceStatus {
  state: 'active' | 'unavailable' | 'idle';
  file: string;
  reason?: string;
  restored?: number;
}

export interface TokenAgent {
  registry: LeaseRegistry;
  /** The caching proxy while `agent.listen` is set (and `start()` has run). */
  readonly proxy: AgentProxy | undefined;
  /**
   * Start the caching proxy when `agent.listen` is set. The host calls it after the start-up
   * login: the persistent cache is restored only for the session token it was written with.
   */
  start(): Promise<void>;
  /** The persistent cache's state while `agent.cache.persist` is on; undefined when it is off. */
  persistence(): PersistenceStatus | undefined;
  /**
   * Apply new `agent` settings in place: the proxy moves to the new listener (the lease
   * registry, the session and every connection stay), the token sink moves. Throws — with the
   * old proxy still serving — when the new listener cannot be opened.
   */
  reconfigure(agent: SesameConfig['agent']): Promise<void>;
  close(): Promise<void>;
}

/** The persistent cache's file: Sesame's choice, beside the config file (like agent.sock and local-ca.pem). */
export const agentCacheFile = (baseDir: string) => path.join(baseDir, 'agent-cache');

/** Everything the proxy is started with: a change of any of them restarts the listener (only). */
const proxySettings = (agent: SesameConfig['agent']) =>
  JSON.stringify([
    agent?.listen ?? null,
    agent?.requireRequestHeader ?? true,
    agent?.cache?.persist ?? false,
    agent?.cache?.staticSecrets ?? true,
    agent?.cache?.staticSecretRefresh ?? null,
  ]);

/** Why the persistent cache cannot work with this secret store, or undefined when it can. */
export function persistUnavailable(secrets: SecretStore): string | undefined {
  if (secrets.kind !== 'memory') return undefined;
  return `there is no OS keychain to keep its key in${secrets.unavailableReason ? ` (${secrets.unavailableReason})` : ''}, so nothing is written`;
}

/** The lease registry mirrored to the UI, and the caching proxy when `agent.listen` is set. */
export async function startTokenAgent(
  session: VaultSession,
  config: SesameConfig,
  baseDir: string,
  emit: (event: AppEvent) => void,
  log: Logger,
  secrets: SecretStore,
  activity: ActivityLog,
): Promise<TokenAgent> {
  const registry = createLeaseRegistry({ log: log.child('leases') });
  const untrack = trackSessionToken(registry, session);
  const off = registry.onChange((change) => {
    if (change.type === 'removed') emit({ event: 'lease.removed', payload: { id: change.lease.id } });
    else emit({ event: 'lease.changed', payload: leaseView(change.lease) });
  });
  const file = agentCacheFile(baseDir);
  const startProxy = async (agent: SesameConfig['agent']) => {
    if (!agent?.listen) return undefined;
    const persist = agent.cache?.persist ?? false;
    const unavailable = persist ? persistUnavailable(secrets) : undefined;
    if (unavailable) {
      // persist.ts logs it too; the Activity view is where the user looks.
      activity.add({
        level: 'warn',
        kind: 'agent-cache',
        message: `the token agent's persistent cache is off: ${unavailable}`,
      });
    }
    const refreshMs = agent.cache?.staticSecretRefresh;
    const started = await startAgentProxy({
      vaultAddress: config.vault.address,
      ...(config.vault.namespace ? { namespace: config.vault.namespace } : {}),
      ...(config.vault.caCert ? { caCertFile: resolveConfigPath(config.vault.caCert, baseDir) } : {}),
      listen: agent.listen,
      session,
      registry,
      requireRequestHeader: agent.requireRequestHeader ?? true,
      requestHeaderHint:
        'to accept requests without it, turn off "Require X-Vault-Request" in Sesame\'s Settings (agent.requireRequestHeader: false in the config)',
      cacheStaticSecrets: agent.cache?.staticSecrets ?? true,
      ...(refreshMs ? { staticSecretRefreshMs: refreshMs } : {}),
      ...(persist ? { persist: { file, store: secrets } } : {}),
      log: log.child('proxy'),
    });
    log.info('Vault Agent-compatible proxy listening', { address: started.address });
    if (persist && !unavailable && started.restoredEntries > 0) {
      activity.add({
        level: 'info',
        kind: 'agent-cache',
        message: `the token agent restored ${started.restoredEntries} cached ${started.restoredEntries === 1 ? 'entry' : 'entries'} from ${file}`,
      });
    }
    return started;
  };
  let proxy: AgentProxy | undefined;
  let running = config.agent;
  return {
    registry,
    get proxy() {
      return proxy;
    },
    async start() {
      proxy = await startProxy(running);
    },
    persistence() {
      if (!running?.cache?.persist) return undefined;
      const unavailable = persistUnavailable(secrets);
      if (unavailable) return { state: 'unavailable', file, reason: unavailable };
      if (!proxy) return { state: 'idle', file };
      return { state: 'active', file, restored: proxy.restoredEntries };
    },
    async reconfigure(agent) {
      if (proxySettings(agent) !== proxySettings(running)) {
        // The old listener goes first: the new one may be the same address with other settings.
        const old = proxy;
        await old?.close();
        try {
          proxy = await startProxy(agent);
        } catch (error) {
          proxy = await startProxy(running).catch(() => undefined);
          throw error;
        }
      }
      const sink = (a: SesameConfig['agent']) => (a?.tokenSink ? resolveConfigPath(a.tokenSink, baseDir) : undefined);
      if (sink(agent) !== sink(running)) await session.setTokenSink(sink(agent));
      running = agent;
    },
    async close() {
      await proxy?.close();
      off();
      untrack();
      registry.close();
    },
  };
}
