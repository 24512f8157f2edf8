// The connection supervisor: the single owner of each brokered connection's state
// (off → starting → ready → error), its listener, its sessions and its counters. The app
// mirrors it from `change` events; nothing else keeps a copy of this truth.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Connector, Credential, CredentialFetcher, OfflineOutlook, SessionEnd } from '../connector';
import { formatListenAddress, startListener, type Listener } from '../listener';
import { createWaitTimes, observeCredentials, type WaitTimes } from './observed-credentials';
import type { Logger } from '../log';
import { describePeer, findPeerProcess, type PeerProcess, type PeerProcessFinder } from '../peer-process';

export type ConnectionState = 'off' | 'starting' | 'ready' | 'error';

export interface ConnectionSpec {
  name: string;
  protocol: string;
  /** Configured listen address, `127.0.0.1:15432` or `unix:/path`. */
  listen: string;
  /** `host:port` of the real service, for display. */
  target: string;
  /** Where the credential comes from, for display (a Vault path). */
  credentialPath?: string;
  connector: Connector;
  credentials: CredentialFetcher;
}

export interface ConnectionStatus {
  name: string;
  protocol: string;
  state: ConnectionState;
  listen: string;
  target: string;
  credentialPath?: string;
  error?: string;
  /** What new clients would get while Vault cannot answer; absent for sources without Vault. */
  offline?: OfflineOutlook;
  stats: {
    activeClients: number;
    /** Clients whose credential waits for a Vault login now. */
    waitingForLogin: number;
    sessionsServed: number;
    bytesToTarget: number;
    bytesToClient: number;
    /** Median wait of the last 20 clients for their credential (ms; a wait for a login excluded). */
    credentialWaitMs?: number;
    lastError?: string;
  };
}

/** A client held until someone logs in to Vault. */
export interface WaitingClient {
  connection: string;
  /** The client as the user knows it: `127.0.0.1:53122`, or (when told) `psql (pid 4242)`. */
  client: string;
  since: Date;
}

export interface ConnectionEvent {
  connection: string;
  kind:
    | 'client-connected'
    | 'client-disconnected'
    | 'credential-error'
    | 'credential-refreshed'
    | 'client-waiting'
    | 'client-done-waiting';
  message: string;
  /** The client as the user knows it: `psql (pid 4242)` when its process is known, else its address. */
  client?: string;
  /** The client's address, `127.0.0.1:53122` (or `local` for a unix socket). */
  address?: string;
  /** The client's local process, when it could be told. */
  process?: PeerProcess;
  bytesToTarget?: number;
  bytesToClient?: number;
}

/** One brokered client session, as the audit log keeps it: names and numbers, never a credential value. */
export interface SessionRecord {
  connection: string;
  protocol: string;
  /** The client's address: `127.0.0.1:53122`, or `local` for a unix socket. */
  client: string;
  process: PeerProcess | 'unknown';
  /** ISO times. */
  start: string;
  end: string;
  bytesToTarget: number;
  bytesToClient: number;
  /** The Vault path of the credential the session used (or the configured one when none was fetched). */
  credentialPath?: string;
  leaseId?: string;
  ended: SessionEnd;
}

export interface SupervisorOptions {
  /** Who is on the other end of an accepted socket; default broker/peer-process's `findPeerProcess`. */
  findPeer?: PeerProcessFinder;
  /** Told once per client session when it has ended (the audit log). */
  onSessionEnded?(record: SessionRecord): void;
}

interface Entry {
  spec: ConnectionSpec;
  state: ConnectionState;
  error?: string;
  listener?: Listener;
  abort?: AbortController;
  stats: Omit<ConnectionStatus['stats'], 'credentialWaitMs'>;
  /** The last 20 clients' waits for their credential. */
  credentialWaits: WaitTimes;
  /** Serialises start/stop so a fast double toggle cannot interleave. */
  queue: Promise<unknown>;
}

export interface ConnectionSupervisor {
  define(spec: ConnectionSpec): void;
  /** Remove a connection (stopping it first). */
  remove(name: string): Promise<void>;
  has(name: string): boolean;
  start(name: string): Promise<ConnectionStatus>;
  stop(name: string): Promise<ConnectionStatus>;
  status(name: string): ConnectionStatus;
  list(): ConnectionStatus[];
  onChange(listener: (status: ConnectionStatus) => void): () => void;
  onEvent(listener: (event: ConnectionEvent) => void): () => void;
  /** Clients of every connection that wait for a Vault login now, oldest first. */
  waitingClients(): WaitingClient[];
  stopAll(): Promise<void>;
}

export class UnknownConnectionError extends Error {
  constructor(name: string) {
    super(`there is no connection named '${name}'`);
    this.name = 'UnknownConnectionError';
  }
}

export function createConnectionSupervisor(log: Logger, options: SupervisorOptions = {}): ConnectionSupervisor {
  const findPeer = options.findPeer ?? findPeerProcess;
  const entries = new Map<string, Entry>();
  const emitter = new EventEmitter();
  const waiting = new Set<WaitingClient>();

  const entry = (name: string) => {
    const found = entries.get(name);
    if (!found) throw new UnknownConnectionError(name);
    return found;
  };

  const statusOf = (e: Entry): ConnectionStatus => {
    const credentialWaitMs = e.credentialWaits.median();
    return {
      name: e.spec.name,
      protocol: e.spec.protocol,
      state: e.state,
      listen: e.listener ? formatListenAddress(e.listener.address) : e.spec.listen,
      target: e.spec.target,
      ...(e.spec.credentialPath ? { credentialPath: e.spec.credentialPath } : {}),
      ...(e.error ? { error: e.error } : {}),
      ...(e.spec.credentials.offlineOutlook ? { offline: e.spec.credentials.offlineOutlook() } : {}),
      stats: {
        ...e.stats,
        ...(credentialWaitMs !== undefined ? { credentialWaitMs } : {}),
      },
    };
  };

  const changed = (e: Entry) => emitter.emit('change', statusOf(e));
  const setState = (e: Entry, state: ConnectionState, error?: string) => {
    e.state = state;
    e.error = error;
    if (error) e.stats.lastError = error;
    changed(e);
  };

  /** The connection's source, watched: a failure puts it in error, a success clears it. */
  function observed(e: Entry, used?: (credential: Credential) => void): CredentialFetcher {
    return observeCredentials(
      e.spec.credentials,
      {
        failed(message) {
          if (!e.listener) return;
          setState(e, 'error', message);
          emitter.emit('event', {
            connection: e.spec.name,
            kind: 'credential-error',
            message,
          } satisfies ConnectionEvent);
        },
        succeeded() {
          if (e.state === 'error' && e.listener) setState(e, 'ready');
        },
        refreshed() {
          emitter.emit('event', {
            connection: e.spec.name,
            kind: 'credential-refreshed',
            message: `credential refreshed: the target refused the one in use (rotated or revoked), so ${e.spec.credentials.description} was read again`,
          } satisfies ConnectionEvent);
        },
      },
      e.credentialWaits,
      used,
    );
  }

  function serve(e: Entry, socket: Socket, signal: AbortSignal) {
    const address = `${socket.remoteAddress ?? 'local'}:${socket.remotePort ?? ''}`.replace(/:$/, '');
    const startedAt = new Date();
    const session = { toTarget: 0, toClient: 0 };
    let client = address;
    let peer: PeerProcess | undefined;
    let used: { path: string; leaseId?: string } | undefined;
    let told: SessionEnd | undefined;
    let wait: WaitingClient | undefined;
    let seen: SessionEnd | undefined;
    // Who closed first, seen on the accepted socket (a connector that knows better says so).
    socket.once('end', () => (seen ??= { by: socket.writableEnded ? 'server' : 'client' }));
    e.stats.activeClients++;
    changed(e);
    const about = () => ({ client, address, ...(peer ? { process: peer } : {}) });
    // The lookup runs beside the handshake and never holds it; the event waits for its answer.
    const lookedUp = findPeer(socket)
      .catch(() => undefined)
      .then((found) => {
        peer = found;
        client = describePeer(found) ?? address;
        if (wait) wait.client = client;
        emitter.emit('event', {
          connection: e.spec.name,
          kind: 'client-connected',
          message: peer ? `${client} connected from ${address}` : `client ${client} connected`,
          ...about(),
        } satisfies ConnectionEvent);
      });
    const waitingForLogin = (held: boolean) => {
      if (held === Boolean(wait)) return;
      if (held) waiting.add((wait = { connection: e.spec.name, client, since: new Date() }));
      else if (wait) {
        waiting.delete(wait);
        wait = undefined;
      }
      e.stats.waitingForLogin += held ? 1 : -1;
      changed(e);
      // Told once the process lookup has answered (≤ 1 s; the wait is longer), so the
      // notification names "psql (pid N)" rather than a port; in order, as they happened.
      void lookedUp.then(() =>
        emitter.emit('event', {
          connection: e.spec.name,
          kind: held ? 'client-waiting' : 'client-done-waiting',
          message: held
            ? `client ${client} is waiting for a Vault login`
            : `client ${client} stopped waiting for a Vault login`,
          ...about(),
        } satisfies ConnectionEvent),
      );
    };
    const context = {
      connectionName: e.spec.name,
      credentials: observed(e, (credential) => {
        used = { path: credential.path, ...(credential.leaseId ? { leaseId: credential.leaseId } : {}) };
      }),
      log: log.child(e.spec.name),
      signal,
      waitingForLogin,
      sessionEnded: (end: SessionEnd) => void (told ??= end),
      peer: lookedUp.then(() => peer),
      meter: {
        toTarget(bytes: number) {
          session.toTarget += bytes;
          e.stats.bytesToTarget += bytes;
        },
        toClient(bytes: number) {
          session.toClient += bytes;
          e.stats.bytesToClient += bytes;
        },
      },
    };
    e.spec.connector
      .serve(socket, context)
      .catch((error: unknown) => {
        log.error('session failed', { connection: e.spec.name, error });
        told ??= { by: 'error', message: error instanceof Error ? error.message : String(error) };
        socket.destroy();
      })
      .finally(async () => {
        const endedAt = new Date();
        waitingForLogin(false);
        e.stats.activeClients--;
        e.stats.sessionsServed++;
        changed(e);
        await lookedUp;
        emitter.emit('event', {
          connection: e.spec.name,
          kind: 'client-disconnected',
          message: `client ${client} disconnected (${session.toTarget} bytes sent, ${session.toClient} bytes received)`,
          ...about(),
          bytesToTarget: session.toTarget,
          bytesToClient: session.toClient,
        } satisfies ConnectionEvent);
        const ended: SessionEnd = told ??
          (signal.aborted ? { by: 'broker', message: 'the connection was turned off' } : undefined) ??
          seen ?? { by: 'error', message: 'the client connection was reset' };
        const credentialPath = used?.path ?? e.spec.credentialPath;
        try {
          options.onSessionEnded?.({
            connection: e.spec.name,
            protocol: e.spec.protocol,
            client: address,
            process: peer ?? 'unknown',
            start: startedAt.toISOString(),
            end: endedAt.toISOString(),
            bytesToTarget: session.toTarget,
            bytesToClient: session.toClient,
            ...(credentialPath ? { credentialPath } : {}),
            ...(used?.leaseId ? { leaseId: used.leaseId } : {}),
            ended,
          });
        } catch (error) {
          log.warn('the session record was not kept', { connection: e.spec.name, error });
        }
      });
  }

  async function doStart(e: Entry): Promise<ConnectionStatus> {
    if (e.listener) return statusOf(e);
    setState(e, 'starting');
    const abort = new AbortController();
    try {
      e.listener = await startListener(e.spec.listen, (socket) => serve(e, socket, abort.signal));
      e.abort = abort;
    } catch (error) {
      setState(e, 'error', (error as Error).message);
      return statusOf(e);
    }
    setState(e, 'ready');
    log.info('listening', { connection: e.spec.name, listen: formatListenAddress(e.listener.address) });
    // Preflight: a credential problem shows at once, not at the first client. The listener
    // stays up so that clients get the reason in their own protocol.
    // A per-connection source issues a lease for this probe too: hand it straight back.
    await observed(e)
      .get({ noWait: true })
      .then((credential) => e.spec.credentials.release?.(credential))
      .catch(() => {});
    return statusOf(e);
  }

  async function doStop(e: Entry): Promise<ConnectionStatus> {
    const listener = e.listener;
    e.abort?.abort();
    e.listener = undefined;
    e.abort = undefined;
    await listener?.close();
    setState(e, 'off');
    return statusOf(e);
  }

  const enqueue = <T>(e: Entry, work: () => Promise<T>): Promise<T> => {
    const next = e.queue.then(work, work);
    e.queue = next.catch(() => {});
    return next;
  };

  return {
    define(spec) {
      if (entries.has(spec.name)) throw new Error(`connection '${spec.name}' is defined twice`);
      entries.set(spec.name, {
        spec,
        state: 'off',
        stats: { activeClients: 0, waitingForLogin: 0, sessionsServed: 0, bytesToTarget: 0, bytesToClient: 0 },
        credentialWaits: createWaitTimes(),
        queue: Promise.resolve(),
      });
    },
    async remove(name) {
      const e = entry(name);
      await enqueue(e, () => doStop(e));
      entries.delete(name);
      await e.spec.credentials
        .close?.()
        .catch((error: Error) => log.warn('closing the credential source failed', { connection: name, error }));
    },
    has: (name) => entries.has(name),
    start: async (name) => {
      const e = entry(name);
      return enqueue(e, () => doStart(e));
    },
    stop: async (name) => {
      const e = entry(name);
      return enqueue(e, () => doStop(e));
    },
    status: (name) => statusOf(entry(name)),
    list: () => [...entries.values()].map(statusOf),
    onChange(listener) {
      emitter.on('change', listener);
      return () => emitter.off('change', listener);
    },
    onEvent(listener) {
      emitter.on('event', listener);
      return () => emitter.off('event', listener);
    },
    waitingClients: () => [...waiting],
    async stopAll() {
      await Promise.all([...entries.values()].map((e) => enqueue(e, () => doStop(e))));
      // The end of the supervisor: sources release what they hold (shared leases are revoked).
      await Promise.all(
        [...entries.values()].map((e) =>
          e.spec.credentials
            .close?.()
            .catch((error: Error) =>
              log.warn('closing the credential source failed', { connection: e.spec.name, error }),
            ),
        ),
      );
    },
  };
}
