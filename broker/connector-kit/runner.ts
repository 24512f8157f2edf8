// The one owner of a client connection's life for the byte-stream protocols (PostgreSQL,
// MySQL), after Secretless Broker's proxy service `handleConnection`. The runner wires the
// abort, runs the handshake deadline, counts the client against `maxSessions`, fetches the
// credential (afresh once when the backend refuses it), answers any failure in the protocol's
// own words, logs, and cleans up. A protocol supplies only its steps (`ClientSteps`).
import type { Socket } from 'node:net';
import type { ConnectorContext, SessionEnd } from '../connector';
import { holdCredentials, loginWithCredential, type HeldCredentials, type PendingCredential } from './credentials';
import { createPhaseDeadline, type PhaseDeadline } from './deadline';
import {
  BackendRefusedError,
  CredentialError,
  InternalError,
  PeerClosedError,
  TooManyClientsError,
  describeError,
  isAnswerable,
  type ClientConnectionError,
  type ErrorCodes,
} from './errors';
import { createClientCount, watchAbort } from './lifecycle';
import { closeGracefully } from './sockets';

/** A protocol as the runner sees it. `C`: its error code; `H`: what its client asked for. */
export interface ClientProtocol<C, H> {
  /** For the log: 'postgres', 'mysql'. */
  readonly name: string;
  readonly codes: ErrorCodes<C>;
  /** A code as log fields: `{ sqlstate }`, `{ code, sqlstate }`. */
  logFields(code: C): Record<string, unknown>;
  /** The deadline of the whole handshake. */
  readonly handshakeMs: number;
  /** The connection's `maxSessions`. */
  readonly maxClients: number | undefined;
  /** One accepted client's steps (they may share state). */
  accept(client: ClientConnection<C>): ClientSteps<C, H>;
}

/** What the steps of one client get from the runner. */
export interface ClientConnection<C> {
  readonly socket: Socket;
  readonly ctx: ConnectorContext;
  readonly deadline: PhaseDeadline<C>;
  /** A backend socket for the runner to destroy on abort, on failure and at the end. */
  track(backend: Socket): void;
  /**
   * The client's connection goes on over `secure` (TLS on the local leg): the runner answers
   * failures there and ends it with the plain socket.
   */
  secured(secure: Socket): void;
}

/** One protocol's steps for one client; everything else is the runner's. */
export interface ClientSteps<C, H> {
  /**
   * The client's opening, up to what it asks for. Calls `admit()` where the client starts to
   * count against `maxClients` (it throws when full). Resolves `undefined` when the client was
   * served without a login (PostgreSQL's cancel request); the runner then closes politely.
   */
  greet(admit: () => void): Promise<H | undefined>;
  /**
   * Logs in upstream. A BackendRefusedError with `refusedCredential` makes the runner release
   * the credential and call `login` once more (`retry`) with one fetched afresh.
   */
  login(hello: H, credential: PendingCredential, retry: boolean): Promise<LoggedIn>;
  /**
   * The protocol's error message for `code` and `message` (the client's words: `clientMessage`
   * or the error's message, behind the connection's name): the last bytes the client gets.
   * `error` carries the rest (a detail line).
   */
  encodeError(code: C, message: string, error?: ClientConnectionError<C>): Buffer;
}

export interface LoggedIn {
  /** Fields of the 'session started' log record. */
  readonly logFields: Record<string, unknown>;
  /**
   * Tells the client it is in and relays until both sides have closed. Resolves with why the
   * broker ended the relay itself (logged as a warning), if it did.
   */
  relay(): Promise<string | undefined>;
}

export interface ClientRunner {
  serve(socket: Socket, ctx: ConnectorContext): Promise<void>;
  /** Clients counted against `maxClients` now. */
  readonly activeClients: number;
}

/** A failure before or during the data phase as the audit log says it. */
function howItFailed(err: unknown, aborted: boolean): SessionEnd {
  const message = err instanceof Error ? err.message : String(err);
  if (aborted) return { by: 'broker', message: 'the connection was turned off' };
  if (err instanceof PeerClosedError) return { by: err.peer === 'client' ? 'client' : 'server', message };
  if (err instanceof CredentialError || err instanceof TooManyClientsError || err instanceof BackendRefusedError)
    return { by: 'refused', message };
  return { by: 'error', message };
}

/** How every client-facing message starts: the client sees which connection speaks. */
export function clientMessage(ctx: ConnectorContext, text: string): string {
  return `sesame: connection '${ctx.connectionName}': ${text}`;
}

export function createClientRunner<C, H>(protocol: ClientProtocol<C, H>): ClientRunner {
  const { codes } = protocol;
  // The words are the client's to see, so they stay "sessions".
  const count = createClientCount(
    protocol.maxClients,
    (max) => new TooManyClientsError(codes, `too many clients: at most ${max} sessions at once`),
  );

  async function serve(socket: Socket, ctx: ConnectorContext): Promise<void> {
    socket.on('error', (err) => ctx.log.debug('client socket error', { error: err.message }));
    socket.setNoDelay(true);
    const backends = new Set<Socket>();
    const destroyBackends = () => {
      for (const backend of backends) backend.destroy();
    };
    /** Where the client is answered: the plain socket, or the TLS one over it. */
    let client = socket;
    const onAbort = () => {
      client.destroy();
      socket.destroy();
      destroyBackends();
    };
    if (ctx.signal.aborted) return onAbort();
    const stopWatching = watchAbort(ctx.signal, onAbort);
    const deadline = createPhaseDeadline(protocol.handshakeMs, ctx.signal, codes);
    const held = holdCredentials(ctx);
    let leave: (() => void) | undefined;
    const steps = protocol.accept({
      socket,
      ctx,
      deadline,
      track: (backend) => backends.add(backend),
      secured: (secure) => {
        client = secure;
        secure.on('error', (err) => ctx.log.debug('client TLS socket error', { error: err.message }));
      },
    });
    const answer = async (err: ClientConnectionError<C>) => {
      if (client.destroyed || ctx.signal.aborted) return;
      // A real server closes on some bad input without a word; so does the broker then.
      if (err.clientMessage === null) return await closeGracefully(client);
      await closeGracefully(
        client,
        steps.encodeError(err.code, clientMessage(ctx, err.clientMessage ?? err.message), err),
      );
    };
    try {
      const hello = await steps.greet(() => (leave = count.admit()));
      if (hello === undefined) return await closeGracefully(client);
      const loggedIn = await logIn(steps, hello, ctx, deadline, held);
      deadline.dispose();
      ctx.log.info('session started', loggedIn.logFields);
      const closedFirst = whoClosesFirst(client);
      const endedBy = await loggedIn.relay();
      if (endedBy) ctx.log.warn(endedBy);
      else ctx.log.debug('session ended');
      ctx.sessionEnded?.(
        endedBy
          ? { by: 'broker', message: endedBy }
          : ctx.signal.aborted
            ? { by: 'broker', message: 'the connection was turned off' }
            : closedFirst(),
      );
    } catch (err) {
      ctx.sessionEnded?.(howItFailed(err, ctx.signal.aborted));
      destroyBackends();
      if (!isAnswerable<C>(err)) {
        ctx.log.error(`internal error in the ${protocol.name} connector`, { error: describeError(err) });
        await answer(new InternalError(codes));
        throw err;
      }
      if (err instanceof PeerClosedError && err.peer === 'client') ctx.log.debug('client left during the handshake');
      else ctx.log.warn('session failed', { ...protocol.logFields(err.code), error: err.message });
      await answer(err);
    } finally {
      deadline.dispose();
      stopWatching();
      leave?.();
      client.destroy();
      socket.destroy();
      destroyBackends();
      held.end();
    }
  }

  /** Who ended the data phase: the client's FIN before we ended our side, or after (the server's end). */
  function whoClosesFirst(client: Socket): () => SessionEnd {
    let end: SessionEnd | undefined;
    client.once('end', () => (end ??= { by: client.writableEnded ? 'server' : 'client' }));
    client.once('error', (error) => (end ??= { by: 'error', message: error.message }));
    return () => end ?? { by: client.writableEnded ? 'server' : 'error', message: 'the client connection was reset' };
  }

  /** The login with the credential; a refusal even of a fresh credential is a credential error. */
  async function logIn(
    steps: ClientSteps<C, H>,
    hello: H,
    ctx: ConnectorContext,
    deadline: PhaseDeadline<C>,
    held: HeldCredentials,
  ): Promise<LoggedIn> {
    try {
      return await loginWithCredential(ctx, { codes, held, deadline }, (credential, retry) =>
        steps.login(hello, credential, retry),
      );
    } catch (err) {
      if (!(err instanceof BackendRefusedError && err.refusedCredential)) throw err;
      const message = `${err.message} (credential from ${ctx.credentials.description}, also after fetching it afresh)`;
      throw new CredentialError('refused', message, undefined, { code: codes.credential });
    }
  }

  return {
    serve,
    get activeClients() {
      return count.active;
    },
  };
}
