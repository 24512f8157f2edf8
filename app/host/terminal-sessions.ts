// In-app terminals: each one is an ssh2 client logged into a connection's own local endpoint
// (auth `none`, as any local ssh client would), so the session goes through the broker like
// `ssh -p PORT user@127.0.0.1` does — same certificate, same activity, same counters. The
// endpoint's host key (from the keychain) is pinned, so nothing else on the port is trusted.
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import ssh2 from 'ssh2';
import type { ClientChannel } from 'ssh2';
import type { Logger } from '../../broker/log';
import { ApiError, type AppEvent } from '../api';
import type { ConnectionConfig } from '../config';
import type { SshHostKeys } from './ssh';

export interface TerminalSessionsOptions {
  hostKeys: SshHostKeys;
  emit(event: AppEvent): void;
  log: Logger;
  /** At most this many terminals at once (default 8). */
  max?: number;
  /** How long the SSH handshake and shell may take (default 20 s). */
  openTimeoutMs?: number;
}

export interface OpenTerminal {
  config: Extract<ConnectionConfig, { protocol: 'ssh' }>;
  /** The connection's local address as its view shows it (`127.0.0.1:PORT` or `unix:/path`). */
  listen: string;
  cols: number;
  rows: number;
}

export interface TerminalSessions {
  open(request: OpenTerminal): Promise<string>;
  input(id: string, data: string): void;
  resize(id: string, cols: number, rows: number): void;
  /** Ends the session; an id already gone is fine (the shell may have exited first). */
  close(id: string): void;
  closeAll(): Promise<void>;
}

interface Session {
  name: string;
  client: ssh2.Client;
  stream: ClientChannel;
  ended: Promise<void>;
}

export function createTerminalSessions(options: TerminalSessionsOptions): TerminalSessions {
  const { hostKeys, emit, log } = options;
  const max = options.max ?? 8;
  const sessions = new Map<string, Session>();
  let opening = 0;

  const find = (id: string): Session => {
    const session = sessions.get(id);
    if (!session)
      throw new ApiError('not-found', `There is no open terminal with id '${id}' (it may have exited).`, 'id');
    return session;
  };

  async function open({ config, listen, cols, rows }: OpenTerminal): Promise<string> {
    const { name } = config;
    if (sessions.size + opening >= max)
      throw new ApiError(
        'conflict',
        `At most ${max} terminals can be open at once: close one before opening another for '${name}'.`,
      );
    const hostKey = hostKeys.get(name);
    if (!hostKey)
      throw new ApiError('conflict', `The local SSH host key of '${name}' is not ready yet: turn it on first.`, 'name');
    const pinned = hostKey.publicKey.split(' ')[1];
    opening += 1;
    try {
      const client = new ssh2.Client();
      const id = randomUUID();
      const stream = await connectShell(
        client,
        {
          sock: connectTo(listen),
          username: config.target.user ?? os.userInfo().username,
          // Raw key blob; only the endpoint's own key (kept in the keychain) is accepted.
          hostVerifier: (key: Buffer) => key.toString('base64') === pinned,
          readyTimeout: options.openTimeoutMs ?? 20_000,
          keepaliveInterval: 30_000,
        },
        { term: 'xterm-256color', cols, rows },
      ).catch((error: Error) => {
        client.end();
        throw new ApiError('conflict', `Could not open a terminal on '${name}': ${plainReason(error)}.`, 'name');
      });
      sessions.set(id, { name, client, stream, ended: relay(id, name, client, stream) });
      log.info('terminal opened', { connection: name, id });
      return id;
    } finally {
      opening -= 1;
    }
  }

  /** Output as events until the channel closes; then one exit event and the session is gone. */
  function relay(id: string, name: string, client: ssh2.Client, stream: ClientChannel): Promise<void> {
    const decoder = new StringDecoder('utf8');
    // Chunks that arrive together go out as one event (a burst of small packets is one message).
    let pending = '';
    let scheduled = false;
    const flush = () => {
      scheduled = false;
      if (pending) emit({ event: 'terminal.output', payload: { id, data: pending } });
      pending = '';
    };
    const send = (data: string) => {
      pending += data;
      if (pending.length >= 64 * 1024) flush();
      else if (pending && !scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    };
    stream.on('data', (chunk: Buffer) => send(decoder.write(chunk)));
    stream.stderr.on('data', (chunk: Buffer) => send(chunk.toString('utf8')));
    let exit: { code?: number; signal?: string } = {};
    stream.on('exit', (code: number | null, signal?: string) => {
      exit = code !== null && code !== undefined ? { code } : signal ? { signal } : {};
    });
    let failure: string | undefined;
    client.on('error', (error) => (failure = plainReason(error)));
    return new Promise((resolve) => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        send(decoder.end());
        flush();
        sessions.delete(id);
        client.end();
        emit({
          event: 'terminal.exit',
          payload: { id, ...exit, ...(failure ? { message: `The session on '${name}' ended: ${failure}.` } : {}) },
        });
        log.info('terminal closed', { connection: name, id, ...exit });
        resolve();
      };
      stream.on('close', finish);
      client.on('close', finish);
    });
  }

  return {
    open,
    input(id, data) {
      find(id).stream.write(data);
    },
    resize(id, cols, rows) {
      find(id).stream.setWindow(rows, cols, 0, 0);
    },
    close(id) {
      const session = sessions.get(id);
      if (!session) return;
      session.stream.close();
      session.client.end();
    },
    async closeAll() {
      const all = [...sessions.values()];
      // The host is stopping: drop the sockets rather than wait for goodbyes.
      for (const session of all) session.client.destroy();
      await Promise.all(all.map((s) => s.ended));
    },
  };
}

function connectTo(listen: string): net.Socket {
  if (listen.startsWith('unix:')) return net.connect(listen.slice('unix:'.length));
  const colon = listen.lastIndexOf(':');
  return net.connect({ host: listen.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(listen.slice(colon + 1)) });
}

function connectShell(
  client: ssh2.Client,
  config: ssh2.ConnectConfig,
  pty: ssh2.PseudoTtyOptions,
): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    client.once('error', reject);
    client.once('close', () => reject(new Error('the connection closed during set-up')));
    client.once('ready', () => {
      client.shell(pty, (error, stream) => {
        client.off('error', reject);
        if (error) reject(error);
        else resolve(stream);
      });
    });
    client.connect(config);
  });
}

/** ssh2's errors in words a user can act on; they name no secret (none is used here). */
function plainReason(error: Error & { level?: string; code?: string }): string {
  if (error.code === 'ECONNREFUSED') return 'nothing listens on its local address (is it on?)';
  if (error.level === 'client-authentication')
    return 'the local endpoint refused the login (does it ask for a public key?)';
  if (/host key|verification failed/i.test(error.message))
    return "the local endpoint's host key is not the one in the keychain";
  if (/timed out/i.test(error.message)) return 'the SSH handshake timed out';
  return error.message.replace(/\.$/, '');
}
