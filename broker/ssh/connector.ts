// The SSH connector: runs an SSH server (ssh2) on one accepted local socket. The local client
// logs in with `none` (loopback only) or its own public key; the broker logs in to the target
// with the credential (certificate, private key or password), verifies the target's host key,
// and relays every channel. Set-up failures reach the client as an auth banner and a DISCONNECT
// description, so `ssh` prints why; the listener keeps serving others. The client count, the
// abort hook and the credential (fetch, one fresh fetch on a refusal, release) are
// broker/connector-kit's; why the rest is not its runner: README.md.
import type { Socket } from 'node:net';
import ssh2, { type AuthContext, type Client, type Connection } from 'ssh2';
import type { Connector, ConnectorContext, Credential } from '../connector';
import {
  ClientConnectionError,
  InternalError,
  TooManyClientsError,
  createClientCount,
  holdCredentials,
  isAnswerable,
  loginWithCredential,
  watchAbort,
  type HeldCredentials,
} from '../connector-kit';
import { coalesceWrites } from './coalesce';
import { describeError, SSH_CODES, type SshClientError, type SshFailureKind } from './errors';
import { loadSshHostKey } from './host-key';
import { createHostVerifier, type HostKeyLearned } from './host-verify';
import { parsePublicKeyLine, SshKeyError } from './keys';
import { relayConnection } from './relay';
import { defaultLocalCiphers, DISCONNECT_REASON, disconnectWithMessage, sendAuthBanner } from './ssh2-internals';
import { resolveSshTarget, SshTargetError, type ResolvedSshTarget, type SshTarget } from './target';
import { connectUpstream } from './upstream';
import { limitUnreadOutput } from '../connector-kit/output-guard';

export interface SshConnectorOptions {
  readonly target: SshTarget;
  /** The local endpoint's host key (OpenSSH private key text from createSshHostKey()); the caller keeps it. */
  readonly hostKey: string;
  /** Absent: local clients log in with `none` (loopback only). Set: only these public keys may log in. */
  readonly clientAuth?: { readonly publicKeys: readonly string[] };
  /** Trust-on-first-use recorded the target's key: persist it as target.hostKey. */
  readonly onHostKeyLearned?: (learned: HostKeyLearned) => void;
  /**
   * Ciphers offered to local clients, in ssh2's names. Default: ssh2's list when its native
   * crypto binding is built, else AES-GCM only (see defaultLocalCiphers in ssh2-internals).
   */
  readonly localCiphers?: readonly string[];
}

export interface SshConnector extends Connector {
  readonly target: ResolvedSshTarget;
  /** The local endpoint's host key: public line and `SHA256:…` fingerprint, to show and pin. */
  readonly hostKey: { readonly publicKey: string; readonly fingerprint: string };
  /** Clients logged in (or logging in) now. */
  readonly activeClients: number;
}

const DISCONNECT_FOR: Record<SshFailureKind, number> = {
  'host-key': DISCONNECT_REASON.HOST_NOT_ALLOWED,
  connect: DISCONNECT_REASON.BY_APPLICATION,
  credential: DISCONNECT_REASON.NO_MORE_AUTH_METHODS,
  auth: DISCONNECT_REASON.NO_MORE_AUTH_METHODS,
  busy: DISCONNECT_REASON.BY_APPLICATION,
  'client-auth': DISCONNECT_REASON.NO_MORE_AUTH_METHODS,
  timeout: DISCONNECT_REASON.BY_APPLICATION,
  internal: DISCONNECT_REASON.BY_APPLICATION,
};

function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return true; // a unix socket: its file mode guards it
  return /^(127\.|::1$|::ffff:127\.)/.test(address);
}

export function createSshConnector(options: SshConnectorOptions): SshConnector {
  if (!options || typeof options !== 'object') throw new SshTargetError('createSshConnector: options are required');
  const target = resolveSshTarget(options.target);
  const hostKey = loadSshHostKey(options.hostKey);
  const allowedKeys = (options.clientAuth?.publicKeys ?? []).map((line, i) => {
    try {
      const parsed = parsePublicKeyLine(line, `clientAuth.publicKeys[${i}]`);
      const key = ssh2.utils.parseKey(line.trim());
      if (key instanceof Error || Array.isArray(key))
        throw new SshKeyError(`clientAuth.publicKeys[${i}] is not a supported public key`);
      return { blob: parsed.blob, key };
    } catch (error) {
      throw new SshTargetError(`invalid ssh client auth: ${(error as Error).message}`);
    }
  });
  if (options.clientAuth && allowedKeys.length === 0)
    throw new SshTargetError('invalid ssh client auth: clientAuth.publicKeys is empty');
  const verifier = createHostVerifier(target, { onHostKeyLearned: options.onHostKeyLearned });
  const ciphers = options.localCiphers ? [...options.localCiphers] : defaultLocalCiphers();
  const serverConfig = {
    hostKeys: [hostKey.privateKey],
    ident: 'Sesame',
    keepaliveInterval: target.keepaliveIntervalMs,
    keepaliveCountMax: target.keepaliveCountMax,
    ...(ciphers ? { algorithms: { cipher: ciphers as never } } : {}),
  };
  try {
    new ssh2.Server(serverConfig); // ssh2 checks the algorithm names here
  } catch (error) {
    throw new SshTargetError(`invalid ssh connector options: ${(error as Error).message}`);
  }
  // The words are the client's to see.
  const clients = createClientCount(
    target.maxSessions,
    (max) => new TooManyClientsError(SSH_CODES, `too many sessions: at most ${max} at once`),
  );

  /**
   * What to do with one local auth attempt: 'yes' starts the upstream login, 'pk-ok' answers a
   * publickey query (the client signs next), 'no' refuses.
   */
  function clientProven(auth: AuthContext, socket: Socket): 'yes' | 'pk-ok' | 'no' {
    const query = auth.method === 'publickey' && !auth.signature;
    if (allowedKeys.length === 0) {
      if (!isLoopback(socket.remoteAddress)) return 'no';
      return query ? 'pk-ok' : 'yes';
    }
    if (auth.method !== 'publickey') return 'no';
    const match = allowedKeys.find((k) => k.blob.equals(auth.key.data));
    if (!match) return 'no';
    if (query || !auth.blob) return 'pk-ok';
    return match.key.verify(auth.blob, auth.signature!, auth.hashAlgo) === true ? 'yes' : 'no';
  }

  /** Logs in upstream; a refused login (maybe a rotated secret) is retried once with a fresh credential. */
  function openUpstream(
    ctx: ConnectorContext,
    clientUser: string,
    held: HeldCredentials,
    onHold: (held: boolean) => void,
  ): Promise<{ client: Client; user: string; credential: Credential }> {
    const source = ctx.credentials.description;
    // No deadline: the client's whole login has one timer (handshakeMs, paused while the
    // credential waits for a Vault login), the upstream login its own (connectMs).
    return loginWithCredential(ctx, { codes: SSH_CODES, held, onHold }, async (pending) => {
      const credential = await pending.get();
      const user = target.user ?? credential.values.username ?? clientUser;
      const client = await connectUpstream({
        target,
        verifier,
        login: { user, credential, source },
        log: ctx.log,
        signal: ctx.signal,
      });
      return { client, user, credential };
    });
  }

  function serve(socket: Socket, ctx: ConnectorContext): Promise<void> {
    const started = Date.now();
    return new Promise<void>((resolve) => {
      let leave: (() => void) | undefined;
      const held = holdCredentials(ctx);
      let upstream: Client | undefined;
      let connection: Connection | undefined;
      let authenticated = false;
      let setup: Promise<void> | undefined;
      socket.on('error', (error) => ctx.log.debug('client socket error', { error: error.message }));
      socket.setNoDelay(true);
      coalesceWrites(socket);
      // ssh2 answers some requests on its own; a client that never reads them is not buffered for.
      limitUnreadOutput(socket);

      const refuse = (conn: Connection, error: SshClientError, banner: boolean) => {
        // One line: Vault's multi-line errors would break the client's display.
        const text = `Sesame (${ctx.connectionName}): ${error.message}`.replace(/\s+/g, ' ').trim();
        try {
          if (banner) sendAuthBanner(conn, text);
          disconnectWithMessage(conn, DISCONNECT_FOR[error.code], text);
        } catch (sendError) {
          ctx.log.debug('could not send the disconnect', { error: describeError(sendError) });
        }
        socket.end();
        setTimeout(() => socket.destroy(), 2_000).unref();
      };

      const onAbort = () => {
        if (connection)
          refuse(
            connection,
            new ClientConnectionError(SSH_CODES.aborted, `connection '${ctx.connectionName}' was turned off`),
            false,
          );
        else socket.destroy();
        upstream?.end();
      };
      // A signal that is already aborted fires no event: that case is handled below.
      const stopWatching = watchAbort(ctx.signal, onAbort);
      const onHandshakeTimeout = () => {
        if (authenticated) return;
        ctx.log.info('client did not complete the SSH login in time');
        if (connection)
          refuse(
            connection,
            new ClientConnectionError<SshFailureKind>(
              'timeout',
              `the SSH login did not complete within ${target.timeouts.handshakeMs} ms`,
            ),
            false,
          );
        else socket.destroy();
      };
      let handshakeTimer: NodeJS.Timeout | undefined = setTimeout(onHandshakeTimeout, target.timeouts.handshakeMs);
      // While the credential waits for a Vault login the clock stops; then the login gets its whole time again.
      const holdHandshake = (on: boolean) => {
        clearTimeout(handshakeTimer);
        handshakeTimer = on || authenticated ? undefined : setTimeout(onHandshakeTimeout, target.timeouts.handshakeMs);
      };
      socket.once('close', () => {
        clearTimeout(handshakeTimer);
        stopWatching();
        upstream?.end();
        leave?.();
        held.end();
        ctx.log.debug('session ended', { ms: Date.now() - started });
        resolve();
      });
      if (ctx.signal.aborted) return onAbort();

      const server = new ssh2.Server(serverConfig, (conn) => {
        connection = conn;
        conn.on('error', (error: Error) => ctx.log.debug('client connection error', { error: error.message }));
        conn.on('authentication', (auth) => {
          const proven = clientProven(auth, socket);
          if (proven === 'no') {
            return allowedKeys.length > 0
              ? auth.reject(['publickey'])
              : refuse(
                  conn,
                  new ClientConnectionError<SshFailureKind>('client-auth', 'only local clients may connect'),
                  true,
                );
          }
          if (proven === 'pk-ok') return auth.accept();
          if (setup) return auth.reject(); // one login per connection
          setup = (async () => {
            leave = clients.admit();
            const opened = await openUpstream(ctx, auth.username, held, holdHandshake);
            upstream = opened.client;
            if (socket.destroyed) return void upstream.end();
            upstream.on('error', (error: Error) => ctx.log.debug('upstream error', { error: error.message }));
            upstream.once('close', () => {
              if (!socket.destroyed)
                refuse(
                  conn,
                  new ClientConnectionError(
                    SSH_CODES.backendClosed,
                    `${target.host} port ${target.port} closed the connection`,
                  ),
                  false,
                );
            });
            conn.once('ready', () => relayConnection(conn, opened.client, ctx));
            authenticated = true;
            auth.accept();
            ctx.log.info('session started', {
              user: opened.user,
              target: `${target.host}:${target.port}`,
              source: opened.credential.path,
              setupMs: Date.now() - started,
            });
          })().catch((error: unknown) => {
            const failure = isAnswerable<SshFailureKind>(error) ? error : new InternalError(SSH_CODES);
            if (failure.code === 'internal')
              ctx.log.error('internal error in the ssh connector', { error: describeError(error) });
            else ctx.log.warn('session refused', { kind: failure.code, error: failure.message });
            refuse(conn, failure, true);
          });
        });
      });
      server.injectSocket(socket);
    });
  }

  return {
    target,
    hostKey: { publicKey: hostKey.publicKey, fingerprint: hostKey.fingerprint },
    get activeClients() {
      return clients.active;
    },
    serve,
  };
}
