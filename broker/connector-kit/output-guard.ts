// A client that sends requests and never reads the answers must not make us buffer without
// bound: while more than `limit` bytes wait to be sent on the socket, nothing more is read
// from it. Used where a library (ssh2) or a request/answer loop writes on its own.
import type { Socket } from 'node:net';

export const OUTPUT_LIMIT = 256 * 1024;

/** Pause reading `socket` whenever its unsent output exceeds `limit`; resume on drain. */
export function limitUnreadOutput(socket: Socket, limit = OUTPUT_LIMIT): void {
  const check = () => {
    if (socket.writableLength > limit && !socket.isPaused()) {
      socket.pause();
      socket.once('drain', () => {
        if (!socket.destroyed) socket.resume();
      });
    }
  };
  // After each chunk is handled (its answers written), look at what is queued.
  socket.on('data', () => process.nextTick(check));
}

/** Resolves once the socket's unsent output is under `limit` again (or the socket is gone). */
export function outputBelow(socket: Socket, limit = OUTPUT_LIMIT): Promise<void> {
  if (socket.writableLength <= limit || socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.once('drain', done);
    socket.once('close', done);
  });
}
