// The PostgreSQL connector: PostgreSQL's steps for broker/connector-kit's client runner. The
// client starts with no password; the broker reads its startup, logs in to the backend itself
// with the credential, hands the client the backend's startup messages (with a broker-issued
// cancel key) and pipes the rest. A CancelRequest is served on its own and never counts as a client.
import type { Socket } from 'node:net';
import type { Connector, ConnectorContext } from '../connector';
import {
  acceptClientTls,
  createClientRunner,
  describeError,
  localTlsContext,
  type ClientConnection,
  type ClientSteps,
  type LocalTlsIdentity,
} from '../connector-kit';
import { openBackend, type AuthenticatedBackend } from './backend';
import { createCancelRegistry, forwardCancel, type CancelRegistry } from './cancel';
import { readClientStartup, type ClientHello, type ClientProtocol, type StartupChannel } from './client-startup';
import { PG_CODES, SqlState } from './errors';
import { buildBackendLogin } from './login';
import { pipeBoth } from './pipe';
import { MAX_HANDSHAKE_MESSAGE, authenticationOk, backendKeyData, errorResponse, errorResponseV2 } from './protocol';
import { createSocketReader } from './socket-reader';
import { resolvePostgresTarget, type PostgresTarget, type ResolvedPostgresTarget } from './target';

export interface PostgresConnector extends Connector {
  readonly target: ResolvedPostgresTarget;
  /** Clients currently being served (cancel requests not counted). */
  readonly activeClients: number;
  /** Maps the cancel keys given to clients to their backends; shared by all clients. */
  readonly cancelRegistry: CancelRegistry;
}

/** What the client asked for: its startup parameters, and bytes it pipelined behind them. */
interface Startup {
  readonly parameters: ReadonlyMap<string, string>;
  readonly pipelined: Buffer;
  /** The client's socket from here on: the accepted one, or TLS over it. */
  readonly client: Socket;
}

export interface PostgresConnectorOptions {
  /**
   * TLS for clients that ask for it (SSLRequest answered 'S'): the key and certificate the app
   * issued from its local CA. Without it the broker answers 'N', as a server without ssl.
   */
  readonly localTls?: LocalTlsIdentity;
}

/** Validates `target` (throws PostgresTargetError naming the field) and returns the connector. */
export function createPostgresConnector(
  target: PostgresTarget,
  options: PostgresConnectorOptions = {},
): PostgresConnector {
  const resolved = resolvePostgresTarget(target);
  const tlsContext = options.localTls && localTlsContext(options.localTls);
  const cancelRegistry = createCancelRegistry();
  const runner = createClientRunner<string, Startup>({
    name: 'postgres',
    codes: PG_CODES,
    logFields: (sqlstate) => ({ sqlstate }),
    handshakeMs: resolved.timeouts.handshakeMs,
    maxClients: resolved.maxSessions,
    accept: (client) => postgresSteps(client),
  });

  function postgresSteps({
    socket,
    ctx,
    deadline,
    track,
    secured,
  }: ClientConnection<string>): ClientSteps<string, Startup> {
    const protocol: ClientProtocol = { major: 3 };
    const channelOn = (client: Socket): StartupChannel => ({
      socket: client,
      reader: createSocketReader(client, {
        peer: 'client',
        maxMessageSize: MAX_HANDSHAKE_MESSAGE,
        signal: deadline.signal,
      }),
    });
    const plain: StartupChannel = {
      ...channelOn(socket),
      ...(tlsContext && {
        async startTls() {
          const secure = await acceptClientTls(socket, {
            context: tlsContext,
            alpn: ['postgresql'],
            deadline,
            codes: PG_CODES,
            timeoutCode: SqlState.connectionFailure,
          });
          secured(secure);
          return channelOn(secure);
        },
      }),
    };
    return {
      async greet(admit) {
        const { hello, channel } = await readClientStartup(plain, deadline, protocol);
        // Bytes a client pipelined behind its startup wait here; the paused socket pushes back.
        const pipelined = channel.reader.release();
        if (hello.kind === 'cancel') {
          deadline.dispose();
          // Like the postmaster, close only once the cancel was delivered: libpq waits for that.
          await handleCancel(hello, ctx);
          return undefined;
        }
        admit();
        return { parameters: hello.parameters, pipelined, client: channel.socket };
      },
      async login(startup, credential) {
        const login = buildBackendLogin(
          resolved,
          startup.parameters,
          await credential.get(),
          ctx.credentials.description,
        );
        const backend = await openBackend(resolved, login, deadline);
        track(backend.socket);
        return {
          logFields: {
            user: login.user,
            database: login.database ?? '(default)',
            tls: backend.tls,
            authMethod: backend.authMethod,
          },
          relay: () => relay(startup.client, backend, startup.pipelined, ctx),
        };
      },
      encodeError: (code, message, error) =>
        protocol.major < 3
          ? errorResponseV2('FATAL', message)
          : errorResponse({ severity: 'FATAL', code, message, ...(error?.detail && { detail: error.detail }) }),
    };
  }

  /** Hands the client the backend's startup with a broker-issued cancel key, then pipes. */
  async function relay(
    client: Socket,
    backend: AuthenticatedBackend,
    pipelined: Buffer,
    ctx: ConnectorContext,
  ): Promise<undefined> {
    const { socket } = backend;
    const registration =
      backend.backendKey &&
      cancelRegistry.register({
        backendKey: backend.backendKey,
        address: { host: socket.remoteAddress ?? resolved.host, port: socket.remotePort ?? resolved.port },
      });
    try {
      client.write(
        Buffer.concat([
          authenticationOk(),
          ...backend.startupMessages,
          ...(registration ? [backendKeyData(registration.clientKey)] : []),
          backend.readyForQuery,
          backend.leftover,
        ]),
      );
      if (pipelined.length > 0) socket.write(pipelined);
      await pipeBoth(client, socket, ctx.meter);
    } finally {
      registration?.unregister();
    }
  }

  async function handleCancel(hello: Extract<ClientHello, { kind: 'cancel' }>, ctx: ConnectorContext): Promise<void> {
    const entry = cancelRegistry.lookup(hello.processId, hello.secretKey);
    if (!entry) {
      // The postmaster's words: a stray or forged cancel is worth a line, never an answer.
      ctx.log.info(`PID ${hello.processId} in cancel request did not match any process`);
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
    serve: runner.serve,
    get activeClients() {
      return runner.activeClients;
    },
  };
}
