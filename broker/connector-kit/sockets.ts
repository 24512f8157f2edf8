// The two sockets of a client connection: how they end together, and how one is closed politely
// after a last message (an ErrorResponse, an ERR packet).
import type { Socket } from 'node:net';

/** How long a half-closed side may take to flush and close before it is destroyed. */
export const CLOSE_GRACE_MS = 5_000;

/**
 * Ties the lives of a client's two sockets and resolves once both have closed. A clean end on one
 * side ends the other after its queued bytes are flushed (so a client's goodbye reaches the
 * server); an error destroys both. Call it before piping.
 */
export function untilBothClosed(client: Socket, backend: Socket): Promise<void> {
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
