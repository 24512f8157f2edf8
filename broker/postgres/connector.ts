// The PostgreSQL connector: serves one client socket. The client starts a session with no
// password; the broker fetches the credential, logs in to the backend itself, hands the client
// the backend's startup messages (with a broker-issued cancel key) and pipes the rest.
import { setMaxListeners } from 'node:events';
import type { Socket } from 'node:net';
import type { Connector, ConnectorContext, Credential } from '../connector';
import { openBackendSession, type BackendSession } from './backend';
import { createCancelRegistry, forwardCancel, type CancelRegistration, type CancelRegistry } from './cancel';
import { readClientStartup, type ClientHello } from './client-startup';
import { createDeadline, type Deadline } from './deadline';
import { BackendRefusedError, CredentialError, PeerClosedError, PgSessionError, SqlState, describeError } from './errors';
import { buildBackendLogin } from './login';
import { pipeSession } from './pipe';
import { MAX_HANDSHAKE_MESSAGE, authenticationOk, backendKeyData, errorResponse } from './protocol';
import { createSocketReader } from './socket-reader';
import { resolvePostgresTarget, type PostgresTarget, type ResolvedPostgresTarget } from './target';
import { closeGracefully, fetchCredential as fetchSessionCredential, releaseCredential, type CredentialErrors } from '../connector-kit';

export interface PostgresConnector extends Connector {
  readonly target: ResolvedPostgresTarget;
  /** Client sessions currently being served (cancel requests not counted). */
  readonly activeSessions: number;
  /** Maps the cancel keys given to clients to their backends; shared by all sessions. */
  readonly cancelRegistry: CancelRegistry;
}

/** Validates `target` (throws PostgresTargetError naming the field) and returns the connector. */
export function createPostgresConnector(target: PostgresTarget): PostgresConnector {
  const resolved = resolvePostgresTarget(target);
  const cancelRegistry = createCancelRegistry();
  let activeSessions = 0;

  async function serve(client: Socket, ctx: ConnectorContext): Promise<void> {
    client.on('error', (err) => ctx.log.debug('client socket error', { error: err.message }));
    client.setNoDelay(true);
    let backend: Socket | undefined;
    const onAbort = () => {
      client.destroy();
      backend?.destroy();
    };
    if (ctx.signal.aborted) return onAbort();
    // One connection's signal carries a listener per live session: many is normal, not a leak.
    setMaxListeners(0, ctx.signal);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const deadline = createDeadline(resolved.timeouts.handshakeMs, ctx.signal);
    let counted = false;
    let credential: Credential | undefined;
    let registration: CancelRegistration | undefined;
    try {
      const reader = createSocketReader(client, { peer: 'client', maxMessageSize: MAX_HANDSHAKE_MESSAGE, signal: deadline.signal });
      const hello = await readClientStartup(reader, client, deadline);
      // Bytes a client pipelined behind its startup wait here; the paused socket pushes back.
      const pipelined = reader.release();
      if (hello.kind === 'cancel') {
        deadline.dispose();
        // Like the postmaster, close only once the cancel was delivered: libpq waits for that.
        await handleCancel(hello, ctx);
        await closeGracefully(client);
        return;
      }
      if (resolved.maxSessions !== undefined && activeSessions >= resolved.maxSessions) {
        throw new PgSessionError(SqlState.tooManyConnections, `too many clients: at most ${resolved.maxSessions} sessions at once`);
      }
      activeSessions++;
      counted = true;

      const started = await startBackend(hello.parameters, ctx, deadline, (c) => (credential = c));
      backend = started.socket;
      deadline.dispose();
      if (started.backendKey) {
        registration = cancelRegistry.register({
          backendKey: started.backendKey,
          address: { host: backend.remoteAddress ?? resolved.host, port: backend.remotePort ?? resolved.port },
        });
      }
      client.write(
        Buffer.concat([
          authenticationOk(),
          ...started.startupMessages,
          ...(registration ? [backendKeyData(registration.clientKey)] : []),
          started.readyForQuery,
          started.leftover,
        ]),
      );
      if (pipelined.length > 0) backend.write(pipelined);
      ctx.log.info('session started', {
        user: started.user,
        database: started.database ?? '(default)',
        tls: started.tls,
        authMethod: started.authMethod,
      });
      await pipeSession(client, backend, ctx.meter);
      ctx.log.debug('session ended');
    } catch (err) {
      if (!(err instanceof PgSessionError)) {
        ctx.log.error('internal error in the postgres connector', { error: describeError(err) });
        await answerError(client, ctx, new PgSessionError(SqlState.internalError, 'internal error in the broker (see its log)'));
        throw err;
      }
      if (err instanceof PeerClosedError && err.peer === 'client') ctx.log.debug('client left during the handshake');
      else ctx.log.warn('session failed', { sqlstate: err.sqlstate, error: err.message });
      backend?.destroy();
      await answerError(client, ctx, err);
    } finally {
      deadline.dispose();
      ctx.signal.removeEventListener('abort', onAbort);
      registration?.unregister();
      if (counted) activeSessions--;
      client.destroy();
      backend?.destroy();
      if (credential) releaseCredential(ctx, credential);
    }
  }

  /** Logs in to the backend; on a refused credential, fetches a fresh one and retries once. */
  async function startBackend(
    clientParameters: ReadonlyMap<string, string>,
    ctx: ConnectorContext,
    deadline: Deadline,
    holdCredential: (credential: Credential | undefined) => void,
  ): Promise<BackendSession & { user: string; database?: string }> {
    let credential = await fetchCredential(ctx, deadline, false);
    holdCredential(credential);
    for (let attempt = 1; ; attempt++) {
      const login = buildBackendLogin(resolved, clientParameters, credential, ctx.credentials.description);
      try {
        const session = await openBackendSession(resolved, login, deadline);
        return { ...session, user: login.user, ...(login.database !== undefined && { database: login.database }) };
      } catch (err) {
        if (!(err instanceof BackendRefusedError && err.refusedCredential)) throw err;
        if (attempt > 1) {
          throw new CredentialError(`${err.message} (credential from ${ctx.credentials.description}, also after fetching it afresh)`);
        }
        ctx.log.info('the backend refused the credential; fetching it afresh', { path: credential.path });
        releaseCredential(ctx, credential);
        holdCredential(undefined);
        credential = await fetchCredential(ctx, deadline, true);
        holdCredential(credential);
      }
    }
  }

  async function handleCancel(hello: Extract<ClientHello, { kind: 'cancel' }>, ctx: ConnectorContext): Promise<void> {
    const entry = cancelRegistry.lookup(hello.processId, hello.secretKey);
    if (!entry) {
      ctx.log.debug('ignored a cancel request with an unknown key');
      return;
    }
    try {
      await forwardCancel(resolved, entry, resolved.timeouts.handshakeMs, ctx.signal);
      ctx.log.info('forwarded a cancel request to the backend');
    } catch (err) {
      ctx.log.warn('could not forward a cancel request', { error: describeError(err) });
    }
  }

  return {
    target: resolved,
    cancelRegistry,
    serve,
    get activeSessions() {
      return activeSessions;
    },
  };
}

const credentialErrors: CredentialErrors = {
  isSessionError: (err) => err instanceof PgSessionError,
  credentialError: (message, options) => new CredentialError(message, options),
};

function fetchCredential(ctx: ConnectorContext, deadline: Deadline, refresh: boolean): Promise<Credential> {
  deadline.phase(`fetching the credential from ${ctx.credentials.description}`, SqlState.invalidAuthorization);
  return fetchSessionCredential(ctx, deadline, refresh, credentialErrors);
}

/** Tells the client why, in its own protocol, then closes. */
async function answerError(client: Socket, ctx: ConnectorContext, err: PgSessionError): Promise<void> {
  if (client.destroyed || ctx.signal.aborted) return;
  const message = `sesame: connection '${ctx.connectionName}': ${err.message}`;
  await closeGracefully(client, errorResponse({ severity: 'FATAL', code: err.sqlstate, message }));
}
