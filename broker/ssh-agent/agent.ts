// An ssh-agent (SSH_AUTH_SOCK) whose keys are Vault-signed certificates and Vault KV keys held
// in memory. It lists and signs; it refuses to add, remove, lock or export keys. An optional
// approval hook is asked before a client connection's first signature (ssh-add -c).
import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Socket } from 'node:net';
import type { Connector, ConnectorContext } from '../connector';
import { createLogger, type Logger } from '../log';
import { startListener, type Listener } from '../listener';
import { WireError } from '../ssh';
import { createIdentityStore, type AgentIdentitySource, type AgentIdentityView } from './identities';
import { findPeer, type AgentPeer } from './peer';
import {
  AGENT,
  AgentProtocolError,
  createMessageReader,
  failure,
  identitiesAnswer,
  parseSignRequest,
  SIGN_FLAG,
  signResponse,
} from './protocol';
import { outputBelow } from '../connector-kit/output-guard';

/**
 * An answer to "may this process use the key?": `once` signs for this client connection (one
 * `ssh` login), `session` does too and tells the caller to remember the process, `deny` refuses
 * this connection's signatures. The agent itself remembers nothing beyond the connection.
 */
export type AgentApproval = 'once' | 'session' | 'deny';

export interface SshAgentOptions {
  readonly identities: readonly AgentIdentitySource[];
  /**
   * Asked before a client connection's first signature; listing keys is not asked about.
   * `signal` aborts when the client goes away before the answer (withdraw the question).
   */
  readonly approve?: (peer: AgentPeer, signal: AbortSignal) => Promise<AgentApproval>;
  readonly log?: Logger;
}

export interface SshAgentConnector extends Connector {
  /** Loads the identities (serve() does it on first use otherwise). */
  load(): Promise<void>;
  /** What the app may show: sources, fingerprints, expiry; never a key. */
  identities(): AgentIdentityView[];
  /** Stops re-signing timers. */
  close(): void;
}

export function createSshAgentConnector(options: SshAgentOptions): SshAgentConnector {
  if (!options || !Array.isArray(options.identities) || options.identities.length === 0) {
    throw new TypeError('ssh-agent: identities must list at least one credential source');
  }
  const log = options.log ?? createLogger('ssh-agent', () => {});
  const store = createIdentityStore(options.identities, log);
  let loaded: Promise<void> | undefined;

  function approval(peer: AgentPeer, signal: AbortSignal): Promise<boolean> {
    return options.approve!(peer, signal).then(
      (answer) => answer === 'once' || answer === 'session',
      (error: unknown) => {
        log.warn('the approval hook failed; refusing', { error: (error as Error).message });
        return false;
      },
    );
  }

  function sign(body: Buffer): Buffer {
    const request = parseSignRequest(body);
    const identity = store.find(request.keyBlob);
    if (!identity) return failure();
    let algorithm: string | undefined;
    if (identity.key.keyType === 'ssh-rsa') {
      algorithm =
        request.flags & SIGN_FLAG.RSA_SHA2_512
          ? 'rsa-sha2-512'
          : request.flags & SIGN_FLAG.RSA_SHA2_256
            ? 'rsa-sha2-256'
            : 'ssh-rsa';
    }
    return signResponse(identity.key.sign(request.data, algorithm));
  }

  async function serve(socket: Socket, ctx: ConnectorContext): Promise<void> {
    loaded ??= store.load();
    const onAbort = () => void socket.destroy();
    if (ctx.signal.aborted) return onAbort();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (error) => ctx.log.debug('agent client socket error', { error: error.message }));
    // A one-shot client may half-close right after its request: it still gets the answer.
    socket.allowHalfOpen = true;
    let allowed: Promise<boolean> | undefined;
    // The client went away: its pending question is withdrawn. A half-close ('end') alone is
    // not that (a one-shot client may still read the answer) unless its process has exited.
    const gone = new AbortController();
    let peerPid: number | undefined;
    socket.once('close', () => gone.abort());
    socket.once('end', () => {
      // The exit that caused the EOF may not be visible in /proc yet: look again shortly.
      for (const delay of [0, 250, 1_000]) {
        setTimeout(() => void (peerPid !== undefined && !processAlive(peerPid) && gone.abort()), delay).unref();
      }
    });
    let chain = Promise.resolve();
    let pending = 0;

    const answer = async (type: number, body: Buffer): Promise<Buffer> => {
      await loaded;
      // Like ssh-add -c: listing is free, a signature is asked about once per client connection.
      if (options.approve && type === AGENT.SIGN_REQUEST) {
        allowed ??= findPeer(socket, ctx.peer).then((peer) => {
          peerPid = peer.pid;
          ctx.log.info('agent client asks to sign', { pid: peer.pid, process: peer.processName });
          return approval(peer, gone.signal);
        });
        if (!(await allowed)) return failure();
      }
      switch (type) {
        case AGENT.REQUEST_IDENTITIES:
          return identitiesAnswer(store.list());
        case AGENT.SIGN_REQUEST:
          return sign(body);
        default:
          // Adding, removing, locking and extensions are refused: no key goes in or out.
          return failure();
      }
    };

    const read = createMessageReader((type, body) => {
      ctx.meter.toTarget(body.length + 5);
      // One at a time and in order, as the protocol requires; a flood pauses the socket.
      if (++pending > 16) socket.pause();
      // A client that asks and never reads: answer only once earlier answers have gone out.
      chain = chain
        .then(() => outputBelow(socket))
        .then(() => answer(type, body))
        .catch((error: unknown) => {
          if (error instanceof WireError) {
            ctx.log.info('malformed agent request', { error: error.message });
            return failure();
          }
          ctx.log.error('agent request failed', { error: (error as Error).message });
          return failure();
        })
        .then((reply) => {
          ctx.meter.toClient(reply.length);
          if (!socket.destroyed) socket.write(reply);
          if (--pending <= 16) socket.resume();
        });
    });

    await new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        try {
          read(chunk);
        } catch (error) {
          if (!(error instanceof AgentProtocolError)) throw error;
          ctx.log.info('agent client sent garbage; closing', { error: error.message });
          socket.destroy();
        }
      });
      socket.once('end', () => void chain.finally(() => socket.end()));
      socket.once('close', () => resolve());
    });
    ctx.signal.removeEventListener('abort', onAbort);
  }

  return {
    serve,
    load: () => (loaded ??= store.load()),
    identities: () => store.views(),
    close: () => store.close(),
  };
}

/** False once `pid` has exited (a zombie waiting for its parent has exited too). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

export interface RunningSshAgent {
  /** The SSH_AUTH_SOCK value. */
  readonly socketPath: string;
  readonly connector: SshAgentConnector;
  close(): Promise<void>;
}

/**
 * A standalone agent on a unix socket (mode 0600) in a private directory (0700): `socketPath`
 * if given (its directory must not be open to other users), else a new temp directory.
 */
export async function startSshAgent(
  options: SshAgentOptions & { socketPath?: string; context?: Omit<ConnectorContext, 'signal'> },
): Promise<RunningSshAgent> {
  const connector = createSshAgentConnector(options);
  let socketPath = options.socketPath;
  let ownDir: string | undefined;
  if (socketPath) {
    if (!path.isAbsolute(socketPath)) throw new TypeError(`ssh-agent: socketPath ${socketPath} must be absolute`);
    const dir = await stat(path.dirname(socketPath)).catch(() => undefined);
    if (dir && (dir.mode & 0o077) !== 0) {
      throw new Error(
        `ssh-agent: ${path.dirname(socketPath)} is open to other users (mode ${(dir.mode & 0o777).toString(8)}); use a private directory`,
      );
    }
  } else {
    ownDir = await mkdtemp(path.join(os.tmpdir(), 'sesame-agent-'));
    socketPath = path.join(ownDir, 'agent.sock');
  }
  const controller = new AbortController();
  setMaxListeners(0, controller.signal); // one listener per connected client
  const log = options.log ?? createLogger('ssh-agent', () => {});
  const context: ConnectorContext = {
    connectionName: 'ssh-agent',
    credentials: {
      description: 'agent identities',
      get: () => Promise.reject(new Error('the agent takes identities, not one credential')),
    },
    log,
    meter: { toTarget: () => {}, toClient: () => {} },
    ...options.context,
    signal: controller.signal,
  };
  await connector.load();
  let listener: Listener;
  try {
    listener = await startListener(`unix:${socketPath}`, (socket) => {
      connector
        .serve(socket, context)
        .catch((error: unknown) => log.error('agent session failed', { error: (error as Error).message }));
    });
  } catch (error) {
    connector.close();
    if (ownDir) await rm(ownDir, { recursive: true, force: true });
    throw error;
  }
  return {
    socketPath,
    connector,
    async close() {
      controller.abort();
      connector.close();
      await listener.close();
      if (ownDir) await rm(ownDir, { recursive: true, force: true });
    },
  };
}
