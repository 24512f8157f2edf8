// The command phase: bytes flow both ways untouched, with stream backpressure (a slow reader
// pauses the other side), counted for the session's stats. The client→backend direction runs
// through the COM_CHANGE_USER watch, which reads packet headers only.
import type { Socket } from 'node:net';
import type { SessionMeter } from '../connector';
import { createCommandTracker } from './command-tracker';

/** How long a half-closed side may take to flush and close before it is destroyed. */
const CLOSE_GRACE_MS = 5_000;

export type PipeOutcome = 'closed' | 'change-user-refused';

export interface PipeOptions {
  readonly client: Socket;
  readonly backend: Socket;
  readonly meter: SessionMeter;
  /** Client bytes read during the handshake but not consumed (normally none). */
  readonly pendingFromClient: Buffer;
  /** The ERR packet (whole, with header) that answers a COM_CHANGE_USER before the session ends. */
  readonly changeUserRefusal: () => Buffer;
}

/**
 * Pipes until both sockets have closed. A clean end on one side ends the other after its queued
 * bytes are flushed (so a client's COM_QUIT reaches the server); an error destroys both. A
 * COM_CHANGE_USER is not forwarded: the client gets the refusal and the session ends, since the
 * backend may still be answering an earlier pipelined command.
 */
export function pipeSession(o: PipeOptions): Promise<PipeOutcome> {
  const { client, backend, meter } = o;
  return new Promise((resolve) => {
    let outcome: PipeOutcome = 'closed';
    if (client.destroyed || backend.destroyed) {
      client.destroy();
      backend.destroy();
      return resolve(outcome);
    }
    let open = 2;
    const closed = () => {
      if (--open === 0) resolve(outcome);
    };
    client.once('close', closed);
    backend.once('close', closed);
    const endOther = (other: Socket) => () => {
      if (other.destroyed) return;
      other.end();
      setTimeout(() => other.destroy(), CLOSE_GRACE_MS).unref();
    };
    client.once('close', endOther(backend));
    backend.once('close', endOther(client));
    const destroyBoth = () => {
      client.destroy();
      backend.destroy();
    };
    client.on('error', destroyBoth);
    backend.on('error', destroyBoth);

    const tracker = createCommandTracker();
    const refuse = () => {
      outcome = 'change-user-refused';
      client.off('data', forward);
      backend.unpipe(client);
      backend.destroy();
      client.end(o.changeUserRefusal());
      setTimeout(() => client.destroy(), CLOSE_GRACE_MS).unref();
    };
    const forward = (chunk: Buffer) => {
      const cut = tracker.scan(chunk);
      const pass = cut < 0 ? chunk : chunk.subarray(0, cut);
      if (pass.length > 0) {
        meter.toTarget(pass.length);
        if (!backend.write(pass)) client.pause();
      }
      if (cut >= 0) refuse();
    };
    backend.on('drain', () => {
      if (outcome === 'closed') client.resume();
    });
    client.on('end', () => {
      if (!backend.destroyed) backend.end();
    });

    backend.on('data', (chunk: Buffer) => meter.toClient(chunk.length));
    backend.pipe(client);
    if (o.pendingFromClient.length > 0) forward(o.pendingFromClient);
    if (outcome === 'closed') {
      client.on('data', forward);
      client.resume();
    }
  });
}

/** Sends `last` (if any), half-closes, and resolves once the socket is closed (or forced shut). */
export function closeGracefully(socket: Socket, last?: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    timer.unref();
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    // Nothing more is read from this peer; discard what it sends so its FIN is seen.
    socket.resume();
    socket.on('data', () => {});
    if (last) socket.end(last);
    else socket.end();
  });
}
