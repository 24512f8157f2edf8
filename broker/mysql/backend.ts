// The broker's side of the backend connection phase: TCP, the server's greeting, then (once the
// client has answered the broker's greeting) TLS as the sslmode says, the HandshakeResponse41
// and whichever exchange the server asks for — mysql_native_password, caching_sha2_password
// (fast path or full authentication) and AuthSwitchRequest — up to the server's OK.
import type net from 'node:net';
import {
  BackendRefusedError,
  BackendUnreachableError,
  ProtocolViolationError,
  UnsupportedError,
  checkPasswordChannel,
  connectTcp,
  defaultedSslmodeNote,
  type BackendChannel,
} from '../connector-kit';
import { cachingSha2Proof, cleartextPassword, nativePasswordProof, rsaEncryptedPassword } from './auth';
import type { UserPassword } from './login';
import { MYSQL_CODES, MysqlError, type Deadline, type MysqlCode } from './errors';
import { createPacketReader, type PacketReader } from './packet-reader';
import {
  CACHING_SHA2_PASSWORD,
  Cap,
  NATIVE_PASSWORD,
  encodeHandshakeResponse,
  encodePacket,
  encodeSslRequest,
  has,
  parseAuthSwitch,
  parseErr,
  parseServerGreeting,
  type ServerGreeting,
} from './protocol';
import type { ResolvedMysqlTarget } from './target';
import { tlsVerifiesServer, upgradeToTls } from './tls';

/** A backend connection that has sent its greeting and waits for the login. */
export interface BackendConnection {
  readonly socket: net.Socket;
  readonly reader: PacketReader;
  readonly greeting: ServerGreeting;
  /** host:port, for messages. */
  readonly where: string;
}

/** What the login sends besides the credential (known before the credential arrives). */
export interface BackendLogin {
  readonly database?: Buffer;
  readonly capabilities: number;
  readonly mariadbCapabilities: number;
  readonly maxPacketSize: number;
  readonly charset: number;
  readonly attributes?: Buffer;
}

export interface AuthenticatedBackend {
  readonly socket: net.Socket;
  readonly tls: boolean;
  /** The plugin that authenticated the login (after any switch). */
  readonly authPlugin: string;
  /** The payload of the server's OK packet that ended the login. */
  readonly ok: Buffer;
  /** Bytes the backend sent after its OK (normally none). */
  readonly leftover: Buffer;
}

/** Connects and reads the server's greeting; checks that the sslmode can be honoured. */
export async function connectBackend(target: ResolvedMysqlTarget, deadline: Deadline): Promise<BackendConnection> {
  const where = `${target.host}:${target.port}`;
  deadline.phase(`connecting to the backend ${where}`, MysqlError.backendUnreachable);
  const socket = await connectTcp(target.host, target.port, where, deadline, MYSQL_CODES);
  try {
    const reader = createPacketReader(socket, { peer: 'backend', signal: deadline.signal });
    deadline.phase(`waiting for the greeting of the backend ${where}`, MysqlError.backendUnreachable);
    const { payload } = await reader.read(0, 'waiting for the server greeting');
    if (payload[0] === 0xff) {
      const err = parseErr(payload);
      const code = err.code === MysqlError.tooManyConnections.code ? MysqlError.tooManyConnections : err;
      throw refused(code, `the backend ${where} refused the connection: ${err.message}`);
    }
    const greeting = parseServerGreeting(payload);
    if (target.sslmode !== 'disable' && target.sslmode !== 'preferred' && !has(greeting.capabilities, Cap.SSL)) {
      throw new BackendUnreachableError(
        MYSQL_CODES,
        `the backend ${where} does not offer TLS, and sslmode is ${target.sslmode}` +
          defaultedSslmodeNote(target, 'set target.sslmode: disable if this server really has no TLS'),
      );
    }
    return { socket, reader, greeting, where };
  } catch (err) {
    socket.destroy();
    throw asBackendError(err, where);
  }
}

/** Whether the login will run over TLS (the greeting offers it and the sslmode allows it). */
export function backendUsesTls(target: ResolvedMysqlTarget, greeting: ServerGreeting): boolean {
  return target.sslmode !== 'disable' && has(greeting.capabilities, Cap.SSL);
}

/**
 * Logs in on `conn`. `login.capabilities` must carry CLIENT_SSL exactly when `backendUsesTls`
 * says so. `credential` is awaited only after the TLS handshake, so fetching it overlaps with
 * that. Closes the socket on failure.
 */
export async function loginBackend(
  conn: BackendConnection,
  login: BackendLogin,
  credential: () => Promise<UserPassword>,
  target: ResolvedMysqlTarget,
  deadline: Deadline,
): Promise<AuthenticatedBackend> {
  const { greeting, where } = conn;
  let socket: net.Socket = conn.socket;
  let reader = conn.reader;
  try {
    const tls = has(login.capabilities, Cap.SSL);
    let seq = 1;
    if (tls) {
      if (reader.release().length > 0)
        throw new ProtocolViolationError(MYSQL_CODES, 'the backend sent unexpected bytes before the TLS handshake');
      socket.write(encodePacket(seq++, encodeSslRequest(login)));
      socket = await upgradeToTls(socket, target, deadline);
      reader = createPacketReader(socket, { peer: 'backend', signal: deadline.signal });
    }
    const { user, password } = await credential();
    deadline.phase(`authenticating to the backend ${where} as user '${user}'`, MysqlError.backendUnreachable);
    const plugin = greeting.authPlugin === CACHING_SHA2_PASSWORD ? CACHING_SHA2_PASSWORD : NATIVE_PASSWORD;
    const response = encodeHandshakeResponse({
      ...login,
      user: Buffer.from(user, 'utf8'),
      authResponse: proof(plugin, password, greeting.scramble),
      authPlugin: plugin,
    });
    socket.write(encodePacket(seq, response));
    const result = await authenticate({
      socket,
      reader,
      user,
      password,
      channel: { tls, verified: tls && tlsVerifiesServer(target), sslmode: target.sslmode },
      allowUnverifiedPassword: target.insecureAllowPasswordWithoutVerifiedTls,
      plugin,
      scramble: greeting.scramble,
      seq,
      where,
    });
    return { socket, tls, authPlugin: result.plugin, ok: result.ok, leftover: reader.release() };
  } catch (err) {
    socket.destroy();
    conn.socket.destroy();
    throw asBackendError(err, where);
  }
}

interface AuthExchange {
  readonly socket: net.Socket;
  readonly reader: PacketReader;
  readonly user: string;
  readonly password: string;
  readonly channel: BackendChannel;
  /** The target's insecure opt-in: full authentication over an unverified channel too. */
  readonly allowUnverifiedPassword: boolean;
  readonly plugin: string;
  readonly scramble: Buffer;
  /** Sequence id of the last packet sent. */
  readonly seq: number;
  readonly where: string;
}

function proof(plugin: string, password: string, scramble: Buffer): Buffer {
  return plugin === CACHING_SHA2_PASSWORD
    ? cachingSha2Proof(password, scramble)
    : nativePasswordProof(password, scramble);
}

async function authenticate(x: AuthExchange): Promise<{ plugin: string; ok: Buffer }> {
  let { plugin, scramble, seq } = x;
  let awaitingPublicKey = false;
  const send = (data: Buffer) => {
    seq = (seq + 1) & 0xff;
    x.socket.write(encodePacket(seq, data));
  };
  for (;;) {
    const { payload } = await x.reader.read(seq + 1, 'waiting for the backend to authenticate');
    seq = (seq + 1) & 0xff;
    switch (payload[0]) {
      case 0x00:
        return { plugin, ok: payload };
      case 0xff: {
        const err = parseErr(payload);
        throw refused(err, `the backend ${x.where} refused the login of user '${x.user}': ${err.message}`);
      }
      case 0xfe: {
        const request = parseAuthSwitch(payload);
        const wanted = request?.plugin ?? 'mysql_old_password';
        if (!request || (wanted !== NATIVE_PASSWORD && wanted !== CACHING_SHA2_PASSWORD)) {
          throw new UnsupportedError(
            MysqlError.unsupportedAuth,
            `the backend ${x.where} asks for the '${wanted}' authentication plugin for user '${x.user}'; ` +
              `the broker supports ${NATIVE_PASSWORD} and ${CACHING_SHA2_PASSWORD}`,
          );
        }
        if (request.data.length < 20)
          throw new ProtocolViolationError(
            MYSQL_CODES,
            `the auth switch to ${wanted} carries a ${request.data.length}-byte scramble`,
          );
        plugin = wanted;
        scramble = request.data.subarray(0, 20);
        awaitingPublicKey = false;
        send(proof(plugin, x.password, scramble));
        break;
      }
      case 0x01: {
        if (plugin !== CACHING_SHA2_PASSWORD)
          throw new ProtocolViolationError(MYSQL_CODES, `unexpected AuthMoreData from the backend during ${plugin}`);
        const data = payload.subarray(1);
        if (awaitingPublicKey) {
          awaitingPublicKey = false;
          send(rsaEncryptedPassword(x.password, scramble, data));
        } else if (data.length === 1 && data[0] === 0x03) {
          // fast_auth_success: the server's cache knew the password; its OK follows.
        } else if (data.length === 1 && data[0] === 0x04) {
          // perform_full_authentication: the password itself — in clear inside TLS, or encrypted
          // with an RSA key the server sends (whoever answers sends their own): only to a server
          // TLS verified, unless the config opts in.
          checkPasswordChannel(MYSQL_CODES, x.channel, {
            where: x.where,
            asks: x.channel.tls
              ? 'the password itself (caching_sha2_password full authentication)'
              : 'the password itself, encrypted with an RSA key it sends (caching_sha2_password full authentication)',
            verifyMode: 'verify-identity',
            allowed: x.allowUnverifiedPassword,
          });
          if (x.channel.tls) send(cleartextPassword(x.password));
          else {
            awaitingPublicKey = true;
            send(Buffer.from([0x02])); // request_public_key
          }
        } else
          throw new ProtocolViolationError(
            MYSQL_CODES,
            `unexpected caching_sha2_password message from the backend (${data.length} bytes)`,
          );
        break;
      }
      default:
        throw new ProtocolViolationError(
          MYSQL_CODES,
          `unexpected packet 0x${(payload[0] ?? 0).toString(16)} from the backend during authentication`,
        );
    }
  }
}

/** The backend's ERR, passed on with its code; 1045 might be a rotated password (a fresh credential is tried). */
function refused(err: MysqlCode, message: string): BackendRefusedError<MysqlCode> {
  const code = { code: err.code, sqlstate: err.sqlstate };
  return new BackendRefusedError(code, message, err.code === MysqlError.accessDenied.code);
}

/** A backend that breaks the protocol is a backend that cannot be used. */
function asBackendError(err: unknown, where: string): unknown {
  if (err instanceof ProtocolViolationError)
    return new BackendUnreachableError(MYSQL_CODES, `backend ${where}: ${err.message}`);
  return err;
}
