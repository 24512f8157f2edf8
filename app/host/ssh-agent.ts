// What an ssh-agent connection needs from the host: the agent connector (broker/ssh-agent) for
// the config's identity, and a credential "fetcher" the supervisor can watch. The connector
// takes its identities at creation, so the spec's fetcher does not hand out a key: its get()
// loads the agent's identities and fails with the source's reason when one has no usable key
// (the supervisor's start-up preflight then shows the connection in error, with an activity
// entry), and its close() stops the agent's re-signing timers when the connection goes away.
//
// key.confirm (ssh-add -c) asks the user (app/host/key-approvals.ts) before a new client's first
// signature; where nobody can answer (the daemon) such a connection is refused with that reason
// instead of offering keys without asking.
// key.lifetime (ssh-add -t) is how long one key is offered: a Vault-signed certificate is
// requested with that TTL, a key from another source is re-read when it runs out; either way
// the agent replaces it at two thirds of its life.
import type { Credential, CredentialFetcher } from '../../broker/connector';
import type { Logger } from '../../broker/log';
import { CredentialError } from '../../broker/credentials';
import {
  createSshAgentConnector,
  type AgentApproval,
  type AgentPeer,
  type SshAgentConnector,
} from '../../broker/ssh-agent';
import type { ConnectionConfig, CredentialsConfig } from '../config';

type SshAgentConfig = Extract<ConnectionConfig, { protocol: 'ssh-agent' }>;

/** A key offered for less than this would have Vault asked every few seconds. */
const MIN_LIFETIME_MS = 10_000;

/** Asks the user whether a process may use a connection's key (see key-approvals.ts). */
export type KeyApprover = (connection: string, peer: AgentPeer, signal: AbortSignal) => Promise<AgentApproval>;

export interface SshAgentParts {
  connector: SshAgentConnector;
  credentials: CredentialFetcher;
}

/**
 * The connector and watched fetcher of an ssh-agent connection. `fetcherFor` builds the
 * credential source of a (possibly adjusted) credentials config. Throws an Error with the
 * reason when the settings cannot be served (key.confirm with nobody to ask, a lifetime too short
 * or set twice).
 */
export function sshAgentPartsFor(
  config: SshAgentConfig,
  fetcherFor: (source: CredentialsConfig) => CredentialFetcher,
  log?: Logger,
  approveKeyUse?: KeyApprover,
): SshAgentParts {
  if (config.key.confirm && !approveKeyUse) {
    throw new Error(
      'key.confirm needs someone to answer in the Sesame app, and `sesame daemon` has no window, so no key is offered; run `sesame start` (or the desktop app), or set key.confirm: false',
    );
  }
  const lifetime = config.key.lifetime;
  if (lifetime !== undefined && lifetime < MIN_LIFETIME_MS)
    throw new Error(`key.lifetime must be at least ${MIN_LIFETIME_MS / 1000}s`);

  const source = sourceWithLifetime(config.credentials, lifetime);
  const inner =
    source.from === 'vault-ssh-sign' || lifetime === undefined
      ? fetcherFor(source)
      : expiringAfter(fetcherFor(source), lifetime);
  const connector = createSshAgentConnector({
    identities: [{ credentials: inner, comment: config.key.comment ?? config.name }],
    ...(log ? { log } : {}),
    ...(config.key.confirm && approveKeyUse
      ? { approve: (peer: AgentPeer, signal: AbortSignal) => approveKeyUse(config.name, peer, signal) }
      : {}),
  });
  const credentials = agentHealth(connector, inner, source.from.startsWith('vault') ? 'vault' : 'config');
  return {
    credentials,
    connector: {
      ...connector,
      // Each client refreshes the connection's state: a source that recovered (or failed) since
      // the start-up preflight shows so, and a failure becomes an activity entry.
      serve(socket, ctx) {
        void ctx.credentials.get().catch(() => {});
        return connector.serve(socket, ctx);
      },
    },
  };
}

/** The certificate TTL from key.lifetime; refuses both being set, which would leave one ignored. */
function sourceWithLifetime(source: CredentialsConfig, lifetime: number | undefined): CredentialsConfig {
  if (source.from !== 'vault-ssh-sign' || lifetime === undefined) return source;
  if (source.ttl !== undefined)
    throw new Error('set either key.lifetime or credentials.ttl (the certificate lifetime), not both');
  return { ...source, ttl: `${Math.ceil(lifetime / 1000)}s` };
}

/** A key source whose keys expire `lifetimeMs` after they were read, so the agent re-reads them. */
function expiringAfter(inner: CredentialFetcher, lifetimeMs: number): CredentialFetcher {
  return {
    description: inner.description,
    async get(options) {
      const credential = await inner.get(options);
      const end = new Date(Date.now() + lifetimeMs);
      return {
        ...credential,
        expiresAt: credential.expiresAt && credential.expiresAt < end ? credential.expiresAt : end,
      };
    },
    ...(inner.release ? { release: inner.release.bind(inner) } : {}),
    ...(inner.close ? { close: inner.close.bind(inner) } : {}),
  };
}

/**
 * The fetcher the supervisor watches: no key, only whether the agent has one to offer. A
 * failing source's reason names its path (the identity store never words a key).
 */
function agentHealth(
  connector: SshAgentConnector,
  inner: CredentialFetcher,
  kind: 'vault' | 'config',
): CredentialFetcher {
  return {
    description: inner.description,
    async get(): Promise<Credential> {
      await connector.load();
      const failing = connector.identities().find((identity) => identity.error !== undefined);
      if (failing) throw new CredentialError(kind, `${failing.source}: ${failing.error}`);
      return { values: {}, path: inner.description };
    },
    async close() {
      connector.close();
      await inner.close?.();
    },
    // The agent holds its keys in memory: it keeps signing while Vault is down, until they expire.
    ...(kind === 'vault'
      ? {
          offlineOutlook() {
            const usable = connector.identities().filter((identity) => identity.error === undefined);
            if (usable.length === 0)
              return {
                keepsWorking: false,
                detail: 'no key is loaded, so it has nothing to offer until Vault answers',
              };
            const ends = usable.map((identity) => identity.expiresAt?.getTime());
            const until = ends.includes(undefined) ? undefined : Math.max(...(ends as number[]));
            return {
              keepsWorking: true,
              ...(until !== undefined ? { until: new Date(until) } : {}),
              detail: 'the key it holds keeps signing until it expires',
            };
          },
        }
      : {}),
  };
}
