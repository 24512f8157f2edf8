// ssh2 hands every SSH packet to socket.write on its own, so a burst of 32 KB packets becomes a
// burst of syscalls. Corking the socket for the rest of the tick turns each burst into one
// writev; the data and its order are unchanged, and write()'s backpressure signal still holds.
import type { Socket } from 'node:net';

export function coalesceWrites(socket: Socket): Socket {
  const write = socket.write;
  let corked = false;
  socket.write = function coalescedWrite(this: Socket, ...args: Parameters<Socket['write']>) {
    if (!corked && !socket.destroyed) {
      corked = true;
      socket.cork();
      process.nextTick(() => {
        corked = false;
        socket.uncork();
      });
    }
    return write.apply(this, args);
  } as Socket['write'];
  return socket;
}
