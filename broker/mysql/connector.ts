// The MySQL/MariaDB connector: MySQL's steps for broker/connector-kit's client runner. The
// broker connects to the backend first — its greeting carries the server version, capabilities
// and the connection id that `KILL QUERY` (mysql's Ctrl-C) must name — greets the client with
// those and its own scramble, takes the client's HandshakeResponse41 with no password, logs in
// to the backend with the credential, relays the backend's OK and pipes the rest.
import type { Socket } from 'node:net';
import type { Connector, ConnectorContext } from '../connector';
import {
  UnsupportedError,
  acceptClientTls,
  clientMessage,
  createClientRunner,
  localTlsContext,
  type ClientConnection,
  type ClientSteps,
  type LocalTlsIdentity,
} from '../connector-kit';
import { greetingScramble } from './auth';
import {
  backendUsesTls,
  connectBackend,
  loginBackend,
  type AuthenticatedBackend,
  type BackendConnection,
} from './backend';
import { forwardedToBackend, offeredToClient } from './capabilities';
import { greetClient, type ClientChannel, type ClientSequence } from './client-handshake';
import { printable } from './encoding';
import { MYSQL_CODES, MysqlError, type MysqlCode } from './errors';
import { chooseDatabase, credentialLogin, type UserPassword } from './login';
import { createPacketReader, type PacketReader } from './packet-reader';
import { pipeBoth } from './pipe';
import { encodeErr, encodePacket, type HandshakeResponse, type ServerGreeting } from './protocol';
import { resolveMysqlTarget, type MysqlTarget, type ResolvedMysqlTarget } from './target';

export interface MysqlConnector extends Connector {
  readonly target: ResolvedMysqlTarget;
  /** Clients currently being served. */
  readonly activeClients: number;
}

/** After the greeting: the backend that greeted, the greeting the client got, and its answer. */
interface Greeted {
  readonly first: BackendConnection;
  readonly offered: ServerGreeting;
  readonly response: HandshakeResponse;
  /** The client's socket from here on (TLS over the accepted one, if it asked) and its reader. */
  readonly client: Socket;
  readonly clientReader: PacketReader;
}

export interface MysqlConnectorOptions {
  /**
   * TLS for clients that ask for it (the greeting offers CLIENT_SSL): the key and certificate the
   * app issued from its local CA. Without it the greeting offers no TLS, as a server without ssl.
   */
  readonly localTls?: LocalTlsIdentity;
}

/** An ERR packet with sequence id `seq` (without SQLSTATE for a pre-4.1 client). */
const errPacket = (seq: number, code: MysqlCode, message: string, protocol41 = true) =>
  encodePacket(seq, encodeErr(code.code, protocol41 ? code.sqlstate : undefined, message));

/** Validates `target` (throws MysqlTargetError naming the field) and returns the connector. */
export function createMysqlConnector(target: MysqlTarget, options: MysqlConnectorOptions = {}): MysqlConnector {
  const resolved = resolveMysqlTarget(target);
  const tlsContext = options.localTls && localTlsContext(options.localTls);
  const runner = createClientRunner<MysqlCode, Greeted>({
    name: 'mysql',
    codes: MYSQL_CODES,
    logFields: ({ code, sqlstate }) => ({ code, sqlstate }),
    handshakeMs: resolved.timeouts.handshakeMs,
    maxClients: resolved.maxSessions,
    accept: (client) => mysqlSteps(client),
  });

  function mysqlSteps({
    socket,
    ctx,
    deadline,
    track,
    secured,
  }: ClientConnection<MysqlCode>): ClientSteps<MysqlCode, Greeted> {
    const sequence: ClientSequence = { next: 0 };
    const channelOn = (client: Socket) => ({
      socket: client,
      reader: createPacketReader(client, { peer: 'client', signal: deadline.signal }),
    });
    return {
      async greet(admit) {
        // Before any byte: a client over the limit gets ERR 1040 in place of a greeting.
        admit();
        const first = await connectBackend(resolved, deadline);
        track(first.socket);
        const offered = {
          ...first.greeting,
          capabilities: offeredToClient(first.greeting, { tls: tlsContext !== undefined }),
          scramble: greetingScramble(),
        };
        const plain: ClientChannel = channelOn(socket);
        const startTls = async (): Promise<ClientChannel> => {
          // A client starts TLS right after its SSL request: what was read of it belongs to TLS.
          const leftover = plain.reader.release();
          const secure = await acceptClientTls(socket, {
            context: tlsContext!,
            leftover,
            deadline,
            codes: MYSQL_CODES,
            timeoutCode: MysqlError.clientTimeout,
            // MariaDB answers a client that never starts TLS with "Bad handshake", in plain text.
            noHello: { code: MysqlError.badHandshake, clientMessage: 'Bad handshake' },
          });
          secured(secure);
          return channelOn(secure);
        };
        const { response, channel } = await greetClient(
          tlsContext ? { ...plain, startTls } : plain,
          offered,
          sequence,
          deadline,
        );
        ctx.log.debug('client handshake', {
          clientUser: printable(response.user),
          authPlugin: response.authPlugin ?? '(none)',
          tls: channel.socket !== socket,
        });
        return { first, offered, response, client: channel.socket, clientReader: channel.reader };
      },
      async login(greeted, credential, retry) {
        const { response, offered } = greeted;
        // A refused credential spent its backend connection: the retry starts on a new one.
        const conn = retry ? await connectBackend(resolved, deadline) : greeted.first;
        if (retry) track(conn.socket);
        const database = chooseDatabase(resolved, response.database);
        const tls = backendUsesTls(resolved, conn.greeting);
        const flags = forwardedToBackend(response, offered.capabilities, offered.mariadbCapabilities, conn.greeting, {
          tls,
          database: database !== undefined,
          attributes: response.attributes !== undefined,
        });
        // Fetching overlaps with the backend's TLS handshake; a failure is reported when awaited.
        credential.start();
        let login: UserPassword | undefined;
        const awaitCredential = async () =>
          (login = credentialLogin(await credential.get(), ctx.credentials.description));
        const backend = await loginBackend(
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
        track(backend.socket);
        return {
          logFields: {
            user: login!.user,
            database: database?.toString('utf8') ?? '(none)',
            tls: backend.tls,
            authPlugin: backend.authPlugin,
            serverVersion: greeted.first.greeting.serverVersion,
          },
          relay: () => relay(greeted.client, backend, greeted.clientReader, sequence, ctx),
        };
      },
      encodeError: (code, message) => errPacket(sequence.next, code, message, sequence.protocol41 !== false),
    };
  }

  return {
    target: resolved,
    serve: runner.serve,
    get activeClients() {
      return runner.activeClients;
    },
  };
}

/** Relays the backend's OK with the client's next sequence id, then pipes, refusing COM_CHANGE_USER. */
async function relay(
  client: Socket,
  backend: AuthenticatedBackend,
  clientReader: PacketReader,
  sequence: ClientSequence,
  ctx: ConnectorContext,
): Promise<string | undefined> {
  const pendingFromClient = clientReader.release();
  client.write(Buffer.concat([encodePacket(sequence.next, backend.ok), backend.leftover]));
  const refusal = new UnsupportedError(
    MysqlError.notSupported,
    'COM_CHANGE_USER is refused: the broker keeps the identity of the session; reconnect to start a new session',
  );
  const outcome = await pipeBoth({
    client,
    backend: backend.socket,
    meter: ctx.meter,
    pendingFromClient,
    // A command's answer: sequence id 1.
    changeUserRefusal: () => errPacket(1, refusal.code, clientMessage(ctx, refusal.message)),
  });
  return outcome === 'change-user-refused'
    ? 'refused a COM_CHANGE_USER from the client and ended the session'
    : undefined;
}
