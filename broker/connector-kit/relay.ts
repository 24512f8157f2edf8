// The data phase's hot path: bytes from one socket written to the other, counted, with
// backpressure. A backend socket opened with `connectForRelay` reads into a reused buffer
// (Node's `onread`), so in the data phase a chunk costs no allocation and no stream events in
// the broker: about a quarter less broker CPU per MB of a large result (COPY) than
// `socket.pipe`, the same for small round trips (bench/README.md). During the handshake the
// same socket behaves like any other: each chunk is copied into its readable stream, so readers
// see 'data' as usual.
import net from 'node:net';

/** Node's own read size: one chunk is at most this many bytes. */
const READ_BUFFER_BYTES = 64 * 1024;

interface ReusedReads {
  buffer: Buffer;
  /** The last chunk is still queued in a write: the next read must land in a fresh buffer. */
  retained: boolean;
  /** Where chunks go once the data phase relays them; until then they are pushed (copied) into the stream. */
  sink?: (chunk: Buffer) => boolean;
}

const reusedReads = new WeakMap<net.Socket, ReusedReads>();

/** `net.connect` to `host:port` with reads into a reused buffer (see `relayChunks`). */
export function connectForRelay(host: string, port: number): net.Socket {
  const state: ReusedReads = { buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES), retained: false };
  const socket: net.Socket = net.connect({
    host,
    port,
    onread: {
      // Asked for before every read.
      buffer: () => {
        if (state.retained) {
          state.retained = false;
          state.buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
        }
        return state.buffer;
      },
      // Returning false stops reading until `socket.resume()`.
      callback: (bytes, buffer) => {
        const chunk = (buffer as Buffer).subarray(0, bytes);
        return state.sink ? state.sink(chunk) : socket.push(Buffer.from(chunk));
      },
    },
  });
  reusedReads.set(socket, state);
  return socket;
}

/**
 * Writes what `from` reads to `to`, calling `count` with each chunk's size; a full `to` pauses
 * `from` until it drains, and `from`'s end ends `to`. Bytes `from` had already read and not
 * delivered are relayed first.
 */
export function relayChunks(from: net.Socket, to: net.Socket, count: (bytes: number) => void): void {
  const state = reusedReads.get(from);
  if (state) {
    state.sink = (chunk) => {
      count(chunk.length);
      const more = to.write(chunk);
      // A write that did not complete at once keeps a view of the buffer it was given.
      if (to.writableLength > 0) state.retained = true;
      return more;
    };
    const unread = from.read() as Buffer | null;
    if (unread) state.sink(unread);
  } else {
    from.on('data', (chunk: Buffer) => {
      count(chunk.length);
      if (!to.write(chunk)) from.pause();
    });
  }
  to.on('drain', () => from.resume());
  from.on('end', () => to.end());
  from.resume();
}
