// The MySQL/MariaDB connector: serves one client socket. The broker connects to the backend
// first — its greeting carries the server version, capabilities and the connection id that
// `KILL QUERY` (mysql's Ctrl-C) must name — greets the client with those and its own scramble,
// takes the client's HandshakeResponse41 with no password, logs in to the backend with the
// credential, relays the backend's OK and pipes the rest.
import { setMaxListeners } from 'node:events';
import type { Socket } from 'node:net';
import type { Connector, ConnectorContext, Credential } from '../connector';
import { greetingScramble } from './auth';
import { backendUsesTls, connectBackend, loginBackend, type BackendConnection, type BackendSession } from './backend';
import { forwardedToBackend, offeredToClient } from './capabilities';
import { greetClient, type ClientSequence } from './client-handshake';
import { createDeadline, type Deadline } from './deadline';
import {
  BackendRefusedError,
  CredentialError,
  MysqlError,
  MysqlSessionError,
  PeerClosedError,
  describeError,
} from './errors';
import { chooseDatabase, credentialLogin, type UserPassword } from './login';
import { createPacketReader } from './packet-reader';
import { pipeSession } from './pipe';
import { encodeErr, encodePacket, type HandshakeResponse } from './protocol';
import { printable } from './encoding';
import { resolveMysqlTarget, type MysqlTarget, type ResolvedMysqlTarget } from './target';
import { closeGracefully, fetchCredential as fetchSessionCredential, releaseCredential, type CredentialErrors } from '../connector-kit';

export interface MysqlConnector extends Connector {
  readonly target: ResolvedMysqlTarget;
  /** Client sessions currently being served. */
  readonly activeSessions: number;
}

/** Validates `target` (throws MysqlTargetError naming the field) and returns the connector. */
export function createMysqlConnector(target: MysqlTarget): MysqlConnector {
  const resolved = resolveMysqlTarget(target);
  let activeSessions = 0;

  async function serve(client: Socket, ctx: ConnectorContext): Promise<void> {
    client.on('error', (err) => ctx.log.debug('client socket error', { error: err.message }));
    client.setNoDelay(true);
    const backends = new Set<Socket>();
    const onAbort = () => {
      client.destroy();
      for (const socket of backends) socket.destroy();
    };
    if (ctx.signal.aborted) return onAbort();
    // One connection's signal carries a listener per live session: many is normal, not a leak.
    setMaxListeners(0, ctx.signal);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const deadline = createDeadline(resolved.timeouts.handshakeMs, ctx.signal);
    const sequence: ClientSequence = { next: 0 };
    const held = new Set<Credential>();
    let counted = false;
    try {
      if (resolved.maxSessions !== undefined && activeSessions >= resolved.maxSessions) {
        throw new MysqlSessionError(MysqlError.tooManyConnections, `too many clients: at most ${resolved.maxSessions} sessions at once`);
      }
      activeSessions++;
      counted = true;

      const first = await connectBackend(resolved, deadline);
      backends.add(first.socket);
      const offered = offeredToClient(first.greeting);
      const brokerGreeting = { ...first.greeting, capabilities: offered, scramble: greetingScramble() };
      const clientReader = createPacketReader(client, { peer: 'client', signal: deadline.signal });
      const response = await greetClient(client, clientReader, brokerGreeting, sequence, deadline);
      ctx.log.debug('client handshake', { clientUser: printable(response.user), authPlugin: response.authPlugin ?? '(none)' });

      const started = await startBackend(first, response, brokerGreeting, ctx, deadline, held, backends);
      deadline.dispose();
      const pendingFromClient = clientReader.release();
      client.write(Buffer.concat([encodePacket(sequence.next, started.ok), started.leftover]));
      ctx.log.info('session started', {
        user: started.user,
        database: started.database ?? '(none)',
        tls: started.tls,
        authPlugin: started.authPlugin,
        serverVersion: first.greeting.serverVersion,
      });
      const outcome = await pipeSession({
        client,
        backend: started.socket,
        meter: ctx.meter,
        pendingFromClient,
        changeUserRefusal: () =>
          encodePacket(
            1,
            encodeErr(
              MysqlError.notSupported.code,
              MysqlError.notSupported.sqlstate,
              clientMessage(ctx, 'COM_CHANGE_USER is refused: the broker keeps the identity of the session; reconnect to start a new session'),
            ),
          ),
      });
      if (outcome === 'change-user-refused') ctx.log.warn('refused a COM_CHANGE_USER from the client and ended the session');
      else ctx.log.debug('session ended');
    } catch (err) {
      for (const socket of backends) socket.destroy();
      if (!(err instanceof MysqlSessionError)) {
        ctx.log.error('internal error in the mysql connector', { error: describeError(err) });
        await answerError(client, ctx, new MysqlSessionError(MysqlError.internal, 'internal error in the broker (see its log)'), sequence.next);
        throw err;
      }
      if (err instanceof PeerClosedError && err.peer === 'client') ctx.log.debug('client left during the handshake');
      else ctx.log.warn('session failed', { code: err.code, sqlstate: err.sqlstate, error: err.message });
      await answerError(client, ctx, err, sequence.next);
    } finally {
      deadline.dispose();
      ctx.signal.removeEventListener('abort', onAbort);
      if (counted) activeSessions--;
      client.destroy();
      for (const socket of backends) socket.destroy();
      for (const credential of held) releaseCredential(ctx, credential);
    }
  }

  /** Logs in to the backend; when it refuses the credential (1045), fetches it afresh and retries once. */
  async function startBackend(
    first: BackendConnection,
    response: HandshakeResponse,
    offered: { readonly capabilities: number; readonly mariadbCapabilities: number },
    ctx: ConnectorContext,
    deadline: Deadline,
    held: Set<Credential>,
    backends: Set<Socket>,
  ): Promise<BackendSession & { user: string; database?: string }> {
    const database = chooseDatabase(resolved, response.database);
    let conn = first;
    let refresh = false;
    for (;;) {
      const tls = backendUsesTls(resolved, conn.greeting);
      const flags = forwardedToBackend(response, offered.capabilities, offered.mariadbCapabilities, conn.greeting, {
        tls,
        database: database !== undefined,
        attributes: response.attributes !== undefined,
      });
      // Fetching overlaps with the backend's TLS handshake; a late failure is reported when awaited.
      const pending = fetchCredential(ctx, deadline, refresh).then((credential) => {
        held.add(credential);
        return credential;
      });
      pending.catch(() => {});
      let login: UserPassword | undefined;
      const awaitCredential = async () => {
        deadline.phase(`fetching the credential from ${ctx.credentials.description}`, MysqlError.accessDenied);
        login = credentialLogin(await pending, ctx.credentials.description);
        return login;
      };
      try {
        const session = await loginBackend(
          conn,
          {
            ...flags,
            maxPacketSize: response.maxPacketSize,
            charset: response.charset,
            ...(database !== undefined && { database }),
            ...(response.attributes !== undefined && { attributes: response.attributes }),
          },
          awaitCredential,
          resolved,
          deadline,
        );
        backends.add(session.socket);
        return { ...session, user: login!.user, ...(database !== undefined && { database: database.toString('utf8') }) };
      } catch (err) {
        if (!(err instanceof BackendRefusedError && err.refusedCredential)) throw err;
        if (refresh) {
          throw new CredentialError(`${err.message} (credential from ${ctx.credentials.description}, also after fetching it afresh)`);
        }
        const stale = await pending;
        ctx.log.info('the backend refused the credential; fetching it afresh', { path: stale.path });
        held.delete(stale);
        releaseCredential(ctx, stale);
        refresh = true;
        conn = await connectBackend(resolved, deadline);
        backends.add(conn.socket);
      }
    }
  }

  return {
    target: resolved,
    serve,
    get activeSessions() {
      return activeSessions;
    },
  };
}

const credentialErrors: CredentialErrors = {
  isSessionError: (err) => err instanceof MysqlSessionError,
  credentialError: (message, options) => new CredentialError(message, options),
};

function fetchCredential(ctx: ConnectorContext, deadline: Deadline, refresh: boolean): Promise<Credential> {
  return fetchSessionCredential(ctx, deadline, refresh, credentialErrors);
}

function clientMessage(ctx: ConnectorContext, text: string): string {
  return `sesame: connection '${ctx.connectionName}': ${text}`;
}

/** Tells the client why, as an ERR packet in its own protocol, then closes. */
async function answerError(client: Socket, ctx: ConnectorContext, err: MysqlSessionError, seq: number): Promise<void> {
  if (client.destroyed || ctx.signal.aborted) return;
  await closeGracefully(client, encodePacket(seq, encodeErr(err.code, err.sqlstate, clientMessage(ctx, err.message))));
}
