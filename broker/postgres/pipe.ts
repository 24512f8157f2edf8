// The data phase: bytes flow both ways untouched, with stream backpressure (a slow reader
// pauses the other side), counted for the session's stats.
import type { Socket } from 'node:net';
import type { SessionMeter } from '../connector';

/** How long a half-closed side may take to flush and close before it is destroyed. */
const CLOSE_GRACE_MS = 5_000;

/**
 * Pipes until both sockets have closed. A clean end on one side ends the other after its queued
 * bytes are flushed (so a client's Terminate reaches the server); an error destroys both.
 */
export function pipeSession(client: Socket, backend: Socket, meter: SessionMeter): Promise<void> {
  return new Promise((resolve) => {
    if (client.destroyed || backend.destroyed) {
      client.destroy();
      backend.destroy();
      return resolve();
    }
    let open = 2;
    const closed = () => {
      if (--open === 0) resolve();
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

    client.on('data', (chunk: Buffer) => meter.toTarget(chunk.length));
    backend.on('data', (chunk: Buffer) => meter.toClient(chunk.length));
    client.pipe(backend);
    backend.pipe(client);
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
    // Nothing more is read from this client; discard what it sends so its FIN is seen.
    socket.resume();
    socket.on('data', () => {});
    if (last) socket.end(last);
    else socket.end();
  });
}
