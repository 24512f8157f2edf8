// Opens an authenticated backend connection: transport (TCP/TLS), StartupMessage, then whichever
// password method the server asks for — cleartext, md5, SCRAM-SHA-256 or SCRAM-SHA-256-PLUS —
// and collects what the server says before its first ReadyForQuery, for the client.
import type { Socket } from 'node:net';
import {
  BackendRefusedError,
  BackendUnreachableError,
  ProtocolViolationError,
  UnsupportedError,
  checkPasswordChannel,
  type BackendChannel,
} from '../connector-kit';
import { PG_CODES, SqlState, type Deadline } from './errors';
import { md5PasswordResponse } from './md5';
import {
  MAX_HANDSHAKE_MESSAGE,
  encodeMessage,
  parseAuthentication,
  parseBackendKeyData,
  parseErrorResponse,
  passwordMessage,
  printable,
  saslInitialResponse,
  saslResponse,
  startupMessage,
  type BackendKey,
} from './protocol';
import { ScramError, chooseScramBinding, createScramClient, type ScramClient } from './scram';
import { createSocketReader, type SocketReader } from './socket-reader';
import type { ResolvedPostgresTarget } from './target';
import { openBackendTransport } from './transport';

export interface BackendLogin {
  readonly user: string;
  readonly password: string;
  readonly database?: string;
  /** Other startup parameters relayed from the client (application_name, options, …). */
  readonly parameters: ReadonlyMap<string, string>;
}

export type BackendAuthMethod = 'trust' | 'cleartext' | 'md5' | 'SCRAM-SHA-256' | 'SCRAM-SHA-256-PLUS';

export interface AuthenticatedBackend {
  readonly socket: Socket;
  readonly tls: boolean;
  readonly authMethod: BackendAuthMethod;
  /** ParameterStatus and NoticeResponse messages, as sent, in order. */
  readonly startupMessages: readonly Buffer[];
  /** The backend's real cancel key (absent if the server sent none). */
  readonly backendKey?: BackendKey;
  /** The ReadyForQuery message that ends the startup. */
  readonly readyForQuery: Buffer;
  /** Bytes the backend sent after ReadyForQuery (normally none). */
  readonly leftover: Buffer;
}

export async function openBackend(
  target: ResolvedPostgresTarget,
  login: BackendLogin,
  deadline: Deadline,
): Promise<AuthenticatedBackend> {
  const transport = await openBackendTransport(target, deadline);
  const { socket } = transport;
  const where = `${target.host}:${target.port}`;
  try {
    const parameters = new Map<string, string>([['user', login.user]]);
    if (login.database !== undefined) parameters.set('database', login.database);
    for (const [name, value] of login.parameters) {
      if (name !== 'user' && name !== 'database') parameters.set(name, value);
    }
    socket.write(startupMessage(parameters));
    const reader = createSocketReader(socket, {
      peer: 'backend',
      maxMessageSize: MAX_HANDSHAKE_MESSAGE,
      signal: deadline.signal,
    });

    deadline.phase(`authenticating to the backend ${where} as user '${login.user}'`, SqlState.connectionFailure);
    const startupMessages: Buffer[] = [];
    const authMethod = await authenticate({
      reader,
      socket,
      login,
      channel: { tls: transport.tls, verified: transport.verified, sslmode: target.sslmode },
      allowUnverifiedPassword: target.insecureAllowPasswordWithoutVerifiedTls,
      channelBinding: transport.channelBinding,
      notices: startupMessages,
      deadline,
      where,
    });

    deadline.phase(`waiting for the backend ${where} to start the session`, SqlState.connectionFailure);
    let backendKey: BackendKey | undefined;
    for (;;) {
      const { type, body } = await reader.readMessage('waiting for the backend to start the session');
      if (type === 'S' || type === 'N') startupMessages.push(encodeMessage(type, body));
      else if (type === 'K') backendKey = parseBackendKeyData(body);
      else if (type === 'E') throw refused(parseErrorResponse(body), where, login.user);
      else if (type === 'Z') {
        return {
          socket,
          tls: transport.tls,
          authMethod,
          startupMessages,
          ...(backendKey && { backendKey }),
          readyForQuery: encodeMessage(type, body),
          leftover: reader.release(),
        };
      } else
        throw new ProtocolViolationError(
          PG_CODES,
          `unexpected message '${printable(type)}' from the backend during session start`,
        );
    }
  } catch (err) {
    socket.destroy();
    if (err instanceof ScramError) throw new BackendUnreachableError(PG_CODES, `backend ${where}: ${err.message}`);
    throw err;
  }
}

interface AuthExchange {
  readonly reader: SocketReader;
  readonly socket: Socket;
  readonly login: BackendLogin;
  readonly channel: BackendChannel;
  /** The target's insecure opt-in: cleartext and md5 go over an unverified channel too. */
  readonly allowUnverifiedPassword: boolean;
  readonly channelBinding: Buffer | undefined;
  /** NoticeResponses the server sends while authenticating, kept for the client. */
  readonly notices: Buffer[];
  readonly deadline: Deadline;
  /** host:port, for messages. */
  readonly where: string;
}

async function authenticate({
  reader,
  socket,
  login,
  channel,
  allowUnverifiedPassword,
  channelBinding,
  notices,
  deadline,
  where,
}: AuthExchange): Promise<BackendAuthMethod> {
  let method: BackendAuthMethod = 'trust';
  let scram: ScramClient | undefined;
  const mayReveal = (asks: string) =>
    checkPasswordChannel(PG_CODES, channel, {
      where,
      asks,
      verifyMode: 'verify-full',
      allowed: allowUnverifiedPassword,
    });
  for (;;) {
    const { type, body } = await reader.readMessage('waiting for the backend to authenticate');
    if (type === 'E') throw refused(parseErrorResponse(body), where, login.user);
    if (type === 'N') {
      notices.push(encodeMessage(type, body));
      continue;
    }
    // We ask for 3.0 with no _pq_ options, so a NegotiateProtocolVersion changes nothing for us.
    if (type === 'v') continue;
    if (type !== 'R')
      throw new ProtocolViolationError(
        PG_CODES,
        `unexpected message '${printable(type)}' from the backend during authentication`,
      );
    const request = parseAuthentication(body);
    switch (request.kind) {
      case 'ok':
        // A server that skips the SCRAM final step never proved it knows the password.
        if (scram && !scram.verified) throw new ScramError('the backend accepted the login before completing SCRAM');
        return method;
      case 'cleartext':
        mayReveal('the password in clear text');
        method = 'cleartext';
        socket.write(passwordMessage(login.password));
        break;
      case 'md5':
        // A fake server relays the real server's salt and logs in with our answer, or cracks it offline.
        mayReveal('an md5 password hash');
        method = 'md5';
        socket.write(passwordMessage(md5PasswordResponse(login.user, login.password, request.salt)));
        break;
      case 'sasl': {
        const binding = chooseScramBinding(request.mechanisms, channelBinding);
        if (!binding) {
          throw new UnsupportedError(
            SqlState.invalidAuthorization,
            `the backend offers only SASL mechanisms the broker does not support (${request.mechanisms.join(', ')})`,
          );
        }
        scram = createScramClient({ password: login.password, channelBinding: binding });
        method = scram.mechanism;
        socket.write(saslInitialResponse(scram.mechanism, Buffer.from(scram.clientFirstMessage(), 'utf8')));
        break;
      }
      case 'sasl-continue': {
        if (!scram) throw new ProtocolViolationError(PG_CODES, 'the backend sent SASLContinue without starting SASL');
        const final = await deadline.race(scram.clientFinalMessage(request.data.toString('utf8')));
        socket.write(saslResponse(Buffer.from(final, 'utf8')));
        break;
      }
      case 'sasl-final':
        if (!scram) throw new ProtocolViolationError(PG_CODES, 'the backend sent SASLFinal without starting SASL');
        scram.verifyServerFinal(request.data.toString('utf8'));
        break;
      case 'unsupported':
        throw new UnsupportedError(
          SqlState.invalidAuthorization,
          `the backend asks for ${request.method} authentication, which the broker cannot perform`,
        );
    }
  }
}

/**
 * The backend's ErrorResponse, passed on with its SQLSTATE; an invalid password (28P01/28000)
 * might be a rotated one, so the client sees 28000 and a fresh credential is tried.
 */
function refused(
  error: { code: string; message: string; detail?: string },
  where: string,
  user: string,
): BackendRefusedError<string> {
  const detail = error.detail ? ` (${error.detail})` : '';
  const refusedCredential = error.code === '28P01' || error.code === '28000';
  const message = `the backend ${where} refused the login of user '${user}': ${error.message}${detail}`;
  return new BackendRefusedError(
    refusedCredential ? SqlState.invalidAuthorization : error.code,
    message,
    refusedCredential,
  );
}
