// The SSH connector: runs an SSH server session (ssh2) on one accepted local socket. The local
// client logs in with `none` (loopback only) or its own public key; the broker logs in to the
// target with the credential (certificate, private key or password), verifies the target's
// host key, and relays every channel. Set-up failures reach the client as an auth banner and
// a DISCONNECT description, so `ssh` prints why; the listener keeps serving others.
import type { Socket } from 'node:net';
import ssh2, { type AuthContext, type Client, type Connection } from 'ssh2';
import type { Connector, ConnectorContext, Credential } from '../connector';
import { coalesceWrites } from './coalesce';
import { describeError, SshSessionError, type SshFailureKind } from './errors';
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
  readonly activeSessions: number;
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
      if (key instanceof Error || Array.isArray(key)) throw new SshKeyError(`clientAuth.publicKeys[${i}] is not a supported public key`);
      return { blob: parsed.blob, key };
    } catch (error) {
      throw new SshTargetError(`invalid ssh client auth: ${(error as Error).message}`);
    }
  });
  if (options.clientAuth && allowedKeys.length === 0) throw new SshTargetError('invalid ssh client auth: clientAuth.publicKeys is empty');
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
  let activeSessions = 0;

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

  async function openUpstream(ctx: ConnectorContext, clientUser: string, hold: (c: Credential) => void): Promise<{ client: Client; user: string; credential: Credential }> {
    const source = ctx.credentials.description;
    for (let attempt = 1; ; attempt++) {
      let credential: Credential;
      try {
        credential = await ctx.credentials.get(attempt > 1 ? { refresh: true } : undefined);
      } catch (error) {
        throw new SshSessionError('credential', `could not get the credential from ${source}: ${(error as Error).message}`);
      }
      hold(credential);
      const user = target.user ?? credential.values.username ?? clientUser;
      try {
        const client = await connectUpstream({ target, verifier, login: { user, credential, source }, log: ctx.log, signal: ctx.signal });
        return { client, user, credential };
      } catch (error) {
        // A refused login may be a rotated secret: fetch a fresh credential once.
        if (!(error instanceof SshSessionError) || error.kind !== 'auth' || attempt > 1) throw error;
        ctx.log.info('the target refused the credential; fetching a fresh one', { source });
      }
    }
  }

  function releaseCredential(ctx: ConnectorContext, credential: Credential): void {
    void ctx.credentials.release?.(credential).catch((error: unknown) => ctx.log.warn('releasing the credential failed', { error: describeError(error) }));
  }

  function serve(socket: Socket, ctx: ConnectorContext): Promise<void> {
    const started = Date.now();
    return new Promise<void>((resolve) => {
      let counted = false;
      let upstream: Client | undefined;
      let credential: Credential | undefined;
      let connection: Connection | undefined;
      let authenticated = false;
      let setup: Promise<void> | undefined;
      socket.on('error', (error) => ctx.log.debug('client socket error', { error: error.message }));
      socket.setNoDelay(true);
      coalesceWrites(socket);
      // ssh2 answers some requests on its own; a client that never reads them is not buffered for.
      limitUnreadOutput(socket);

      const refuse = (conn: Connection, error: SshSessionError, banner: boolean) => {
        // One line: Vault's multi-line errors would break the client's display.
        const text = `Sesame (${ctx.connectionName}): ${error.message}`.replace(/\s+/g, ' ').trim();
        try {
          if (banner) sendAuthBanner(conn, text);
          disconnectWithMessage(conn, DISCONNECT_FOR[error.kind], text);
        } catch (sendError) {
          ctx.log.debug('could not send the disconnect', { error: describeError(sendError) });
        }
        socket.end();
        setTimeout(() => socket.destroy(), 2_000).unref();
      };

      const onAbort = () => {
        if (connection) refuse(connection, new SshSessionError('connect', `connection '${ctx.connectionName}' was turned off`), false);
        else socket.destroy();
        upstream?.end();
      };
      const handshakeTimer = setTimeout(() => {
        if (authenticated) return;
        ctx.log.info('client did not complete the SSH login in time');
        if (connection) refuse(connection, new SshSessionError('timeout', `the SSH login did not complete within ${target.timeouts.handshakeMs} ms`), false);
        else socket.destroy();
      }, target.timeouts.handshakeMs);
      socket.once('close', () => {
        clearTimeout(handshakeTimer);
        ctx.signal.removeEventListener('abort', onAbort);
        upstream?.end();
        if (counted) activeSessions--;
        if (credential) releaseCredential(ctx, credential);
        ctx.log.debug('session ended', { ms: Date.now() - started });
        resolve();
      });
      if (ctx.signal.aborted) return onAbort();
      ctx.signal.addEventListener('abort', onAbort, { once: true });

      const server = new ssh2.Server(serverConfig, (conn) => {
        connection = conn;
        conn.on('error', (error: Error) => ctx.log.debug('client connection error', { error: error.message }));
        conn.on('authentication', (auth) => {
          const proven = clientProven(auth, socket);
          if (proven === 'no') {
            return allowedKeys.length > 0 ? auth.reject(['publickey']) : refuse(conn, new SshSessionError('client-auth', 'only local clients may connect'), true);
          }
          if (proven === 'pk-ok') return auth.accept();
          if (setup) return auth.reject(); // one login per connection
          setup = (async () => {
            if (target.maxSessions !== undefined && activeSessions >= target.maxSessions) {
              throw new SshSessionError('busy', `too many sessions: at most ${target.maxSessions} at once`);
            }
            activeSessions++;
            counted = true;
            const opened = await openUpstream(ctx, auth.username, (c) => {
              // A credential replaced after a refused login is done with.
              if (credential && credential !== c) releaseCredential(ctx, credential);
              credential = c;
            });
            upstream = opened.client;
            if (socket.destroyed) return void upstream.end();
            upstream.on('error', (error: Error) => ctx.log.debug('upstream error', { error: error.message }));
            upstream.once('close', () => {
              if (!socket.destroyed) refuse(conn, new SshSessionError('connect', `${target.host} port ${target.port} closed the connection`), false);
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
            const failure = error instanceof SshSessionError ? error : new SshSessionError('internal', 'internal error in the broker (see its log)');
            if (failure.kind === 'internal') ctx.log.error('internal error in the ssh connector', { error: describeError(error) });
            else ctx.log.warn('session refused', { kind: failure.kind, error: failure.message });
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
    get activeSessions() {
      return activeSessions;
    },
    serve,
  };
}
