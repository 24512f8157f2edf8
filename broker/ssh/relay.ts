// Relays an authenticated local SSH connection onto the upstream client, channel by channel:
// sessions (pty, env, shell/exec/subsystem, window-change, signals, exit status, EOF), local
// forwards (direct-tcpip, direct-streamlocal) and remote forwards (tcpip-forward,
// streamlocal-forward). Every byte stream is a pipe, so SSH window flow control on one side
// becomes stream backpressure on the other.
import type { Writable } from 'node:stream';
import type { Client, ClientChannel, Connection, PseudoTtyInfo, ServerChannel, Session } from 'ssh2';
import type { SessionMeter } from '../connector';
import type { Logger } from '../log';
import { sendExit } from './ssh2-internals';

export interface RelayContext {
  readonly log: Logger;
  readonly meter: SessionMeter;
}

const MAX_ENV_VARS = 64;

const FLUSH_MARKER = Buffer.alloc(0);

/**
 * Runs `fn` once everything written to `stream` so far has been handed to SSH: an empty write
 * queued behind the data completes after it ('drain' would not fire for a buffer that never
 * passed the high-water mark).
 */
function afterWrites(stream: Writable, fn: () => void): void {
  if (stream.destroyed || stream.writableEnded) return;
  if (stream.writableLength === 0) fn();
  else stream.write(FLUSH_MARKER, () => fn());
}

type ExitInfo = { code: number } | { signal: string; dumped: boolean; message: string };

/** Pipes a local (server-side) channel and an upstream (client-side) channel both ways. */
function bridge(local: ServerChannel, up: ClientChannel, ctx: RelayContext, session: boolean): void {
  local.on('data', (chunk: Buffer) => ctx.meter.toTarget(chunk.length));
  up.on('data', (chunk: Buffer) => ctx.meter.toClient(chunk.length));
  // Client EOF becomes EOF upstream; the upstream channel stays half-open until it closes.
  local.pipe(up);
  up.pipe(local, { end: false });
  // OpenSSH's order toward the client: data, EOF, exit-status/exit-signal, close. ssh2 emits
  // 'exit' as soon as it arrives, possibly before the last data was read, so it waits for EOF.
  let exit: ExitInfo | undefined;
  let eofSent = false;
  let exitSent = false;
  const sendExitOnce = () => {
    if (!exit || !eofSent || exitSent) return;
    exitSent = true;
    try {
      sendExit(local, exit);
    } catch {
      sendExit(local, { code: 255 }); // a signal name the local side cannot express
    }
  };
  // A session's EOF waits for the exit status (or the upstream close): a client that has sent
  // its own EOF closes the channel on ours, and a status arriving after that would be lost.
  let statusKnown = () => {};
  const statusArrived = new Promise<void>((resolve) => (statusKnown = resolve));
  if (session) {
    up.stderr.on('data', (chunk: Buffer) => ctx.meter.toClient(chunk.length));
    up.stderr.pipe(local.stderr, { end: false });
    up.on('exit', (code: number | null, signal?: string, dumped?: boolean, message?: string) => {
      exit =
        code !== null && code !== undefined
          ? { code }
          : { signal: signal ?? 'SIGKILL', dumped: dumped === true, message: message ?? '' };
      statusKnown();
      sendExitOnce();
    });
    up.on('close', statusKnown);
  }
  // EOF (then the exit status) once what was written before it has gone out; CLOSE after that.
  let eofDone: Promise<void> = Promise.resolve();
  up.on('end', () => {
    eofDone = new Promise((resolve) => {
      const eof = () => {
        local.eof();
        eofSent = true;
        sendExitOnce();
        resolve();
      };
      if (session) void statusArrived.then(() => afterWrites(local.stderr, () => afterWrites(local, eof)));
      else afterWrites(local, eof);
    });
  });
  up.on('close', () => void eofDone.then(() => local.end()));
  local.on('close', () => up.destroy());
  const onError = (side: string) => (error: Error) => {
    ctx.log.debug('channel error', { side, error: error.message });
    local.destroy();
    up.destroy();
  };
  local.on('error', onError('client'));
  up.on('error', onError('target'));
}

function ptyOptions(info: PseudoTtyInfo) {
  return {
    rows: info.rows,
    cols: info.cols,
    height: info.height,
    width: info.width,
    term: info.term,
    modes: info.modes,
  };
}

type OpenUpstream = (cb: (err: Error | undefined, channel: ClientChannel) => void) => void;

function relaySession(session: Session, upstream: Client, ctx: RelayContext): void {
  let pty: PseudoTtyInfo | undefined;
  const env: Record<string, string> = {};
  let up: ClientChannel | undefined;
  let started = false;
  let closed = false;

  session.on('pty', (accept, _reject, info) => {
    pty = info;
    accept?.();
  });
  session.on('env', (accept, reject, { key, val }) => {
    if (Object.keys(env).length >= MAX_ENV_VARS) return reject?.();
    env[key] = val;
    accept?.();
  });
  session.on('window-change', (accept, _reject, info) => {
    if (up) up.setWindow(info.rows, info.cols, info.height, info.width);
    else if (pty) pty = { ...pty, rows: info.rows, cols: info.cols, height: info.height, width: info.width };
    accept?.();
  });
  session.on('signal', (accept, reject, { name }) => {
    try {
      if (!up) return reject?.();
      up.signal(name);
      accept?.();
    } catch {
      reject?.(); // not a signal name SSH defines
    }
  });
  session.on('x11', (_accept, reject) => reject?.());
  session.on('auth-agent', (_accept, reject) => reject?.());
  session.on('close', () => {
    closed = true;
    up?.destroy();
  });

  // The local channel is accepted at once: ssh2 drops a session whose client sends EOF
  // (empty stdin) before the request is answered. The upstream channel follows; until it
  // exists, client bytes wait in the local channel's buffer (and its SSH window).
  const start = (
    what: string,
    accept: () => ServerChannel | undefined,
    reject: (() => void) | undefined,
    open: OpenUpstream,
  ) => {
    if (started) return reject?.();
    started = true;
    const local = accept();
    if (!local) return;
    const fail = (message: string) => {
      ctx.log.info('the target refused a session request', { request: what, error: message });
      local.stderr.write(`Sesame: the target refused the ${what} request: ${message}\r\n`);
      sendExit(local, { code: 255 });
      local.end();
    };
    const asked = pty;
    try {
      open((err, channel) => {
        if (err) return fail(err.message);
        if (closed) return channel.destroy();
        up = channel;
        // The terminal was resized while the upstream channel was opening.
        if (pty && pty !== asked) channel.setWindow(pty.rows, pty.cols, pty.height, pty.width);
        bridge(local, channel, ctx, true);
      });
    } catch (error) {
      fail((error as Error).message);
    }
  };

  session.on('shell', (accept, reject) =>
    start('shell', accept, reject, (cb) => upstream.shell(pty ? ptyOptions(pty) : false, { env }, cb)),
  );
  session.on('exec', (accept, reject, { command }) =>
    start('exec', accept, reject, (cb) => upstream.exec(command, pty ? { env, pty: ptyOptions(pty) } : { env }, cb)),
  );
  session.on('subsystem', (accept, reject, { name }) =>
    start(`subsystem ${name}`, accept, reject, (cb) => upstream.subsys(name, cb)),
  );
}

/** Installs every relay handler on an authenticated local connection. */
export function relayConnection(connection: Connection, upstream: Client, ctx: RelayContext): void {
  connection.on('session', (accept) => {
    const session = accept();
    if (session) relaySession(session, upstream, ctx);
  });

  connection.on('tcpip', (accept, reject, info) => {
    try {
      upstream.forwardOut(info.srcIP, info.srcPort, info.destIP, info.destPort, (err, up) => {
        if (err) {
          ctx.log.info('the target refused a forward (direct-tcpip)', {
            destination: `${info.destIP}:${info.destPort}`,
            error: err.message,
          });
          return reject();
        }
        const local = accept();
        if (!local) return up.destroy();
        bridge(local, up, ctx, false);
      });
    } catch {
      reject();
    }
  });

  connection.on('openssh.streamlocal', (accept, reject, info) => {
    try {
      upstream.openssh_forwardOutStreamLocal(info.socketPath, (err, up) => {
        if (err) return reject();
        const local = accept();
        if (!local) return up.destroy();
        bridge(local, up, ctx, false);
      });
    } catch {
      reject();
    }
  });

  connection.on('request', (accept, reject, name, info) => {
    const done = (err: Error | null | undefined, port?: number) => {
      if (err) {
        ctx.log.info('the target refused a forwarding request', { request: name, error: err.message });
        return reject?.();
      }
      accept?.(port);
    };
    try {
      const bind = info as { bindAddr: string; bindPort: number; socketPath: string };
      if (name === 'tcpip-forward') upstream.forwardIn(bind.bindAddr, bind.bindPort, (err, port) => done(err, port));
      else if (name === 'cancel-tcpip-forward') upstream.unforwardIn(bind.bindAddr, bind.bindPort, (err) => done(err));
      else if (name === 'streamlocal-forward@openssh.com')
        upstream.openssh_forwardInStreamLocal(bind.socketPath, (err) => done(err));
      else if (name === 'cancel-streamlocal-forward@openssh.com')
        upstream.openssh_unforwardInStreamLocal(bind.socketPath, (err) => done(err));
      else reject?.();
    } catch (error) {
      done(error as Error);
    }
  });

  upstream.on('tcp connection', (info, accept, reject) => {
    connection.forwardOut(info.destIP, info.destPort, info.srcIP, info.srcPort, (err, local) => {
      if (err) return reject();
      bridge(local, accept(), ctx, false);
    });
  });
  upstream.on('unix connection', (info, accept, reject) => {
    connection.openssh_forwardOutStreamLocal(info.socketPath, (err, local) => {
      if (err) return reject();
      bridge(local, accept() as ClientChannel, ctx, false);
    });
  });
}
