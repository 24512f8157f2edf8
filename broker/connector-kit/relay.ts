// The data phase's hot path: bytes from one socket written to the other, counted, with
// backpressure. Both sockets read into a reused buffer, so in the data phase a chunk costs no
// allocation and no stream events in the broker:
// - a backend socket opened with `connectForRelay` through Node's public `onread` option; during
//   the handshake each chunk is copied into its readable stream, so readers see 'data' as usual;
// - an accepted client socket (Node's server has no `onread` option) is switched over when the
//   relay starts, through the same mechanism `onread` sets up (`adoptReusedReads`).
// Measured with bench/README.md's ping-pong and pgbench -S: reading the client side through
// 'data' events cost the hop ~5 µs of CPU per round trip more than socat (its user-space share
// was 4× socat's); with reused reads on both sides the broker's CPU per round trip is socat's.
//
// A socket gets a buffer of its own only when it first reads in the data phase. Until then (the
// handshake, and a connection that stays idle) it reads into one buffer shared by every socket,
// and each chunk read there is copied before anything keeps it: the next read, on any socket,
// overwrites it. So an idle connection holds no read buffer: 10,000 idle connections used to
// hold 2 × 64 KiB each (1.3 GB of external memory for V8 to account, ~8 KiB resident each).
import net from 'node:net';
import tls from 'node:tls';

/** Node's own read size: one chunk is at most this many bytes. */
const READ_BUFFER_BYTES = 64 * 1024;

/** Where sockets without a buffer of their own read (see above); made at the first read. */
let shared: Buffer | undefined;

interface ReusedReads {
  /** This socket's own buffer, from its first read in the data phase on. */
  own?: Buffer;
  /** The last chunk in `own` is still queued in a write: the next read must land in a fresh buffer. */
  retained: boolean;
  /** Where chunks go once the data phase relays them; until then they are pushed (copied) into the stream. */
  sink?: (chunk: Buffer) => boolean;
}

const reusedReads = new WeakMap<net.Socket, ReusedReads>();

/** The `onread` pair: the buffer to read into next, and what a read does (`push` a copy until the relay starts). */
function reusedReadHooks(state: ReusedReads, push: (copy: Buffer) => boolean) {
  return {
    // Asked for before every read.
    buffer: () => {
      if (state.retained) {
        state.retained = false;
        state.own = Buffer.allocUnsafe(READ_BUFFER_BYTES);
      }
      return state.own ?? (shared ??= Buffer.allocUnsafe(READ_BUFFER_BYTES));
    },
    // Returning false stops reading until `socket.resume()`.
    callback: (bytes: number, buffer: Uint8Array) => {
      const chunk = (buffer as Buffer).subarray(0, bytes);
      if (buffer === state.own) return state.sink!(chunk);
      // Read into the shared buffer: copy it out before anything keeps it.
      if (!state.sink) return push(Buffer.from(chunk));
      state.own = Buffer.allocUnsafe(READ_BUFFER_BYTES); // relaying: the next reads land here
      const more = state.sink(Buffer.from(chunk));
      state.retained = false; // a queued write keeps the copy, not `own`
      return more;
    },
  };
}

/** `net.connect` to `host:port` with reads into a reused buffer (see `relayChunks`). */
export function connectForRelay(host: string, port: number): net.Socket {
  const state: ReusedReads = { retained: false };
  const socket: net.Socket = net.connect({ host, port, onread: reusedReadHooks(state, (copy) => socket.push(copy)) });
  reusedReads.set(socket, state);
  return socket;
}

/**
 * Switches an open plain socket (an accepted client) to reads into a reused buffer, as the
 * `onread` option would have set it up: net.Socket keeps that option in three symbol-keyed slots
 * (`kBuffer`, `kBufferCb`, `kBufferGen`, in Node 12 through 22) that every read, `pause()` and
 * `resume()` consult, and its handle's `useUserBuffer` points libuv's reads at the buffer. Not
 * a public API, so it is feature-detected: where a slot or the method is missing (another Node,
 * a TLS socket, a socket already reading into a buffer of its own) it returns undefined and the
 * relay uses 'data' events, slower but the same bytes.
 */
function adoptReusedReads(socket: net.Socket): ReusedReads | undefined {
  if (socket instanceof tls.TLSSocket || socket.destroyed || socket.connecting) return undefined;
  const slots = new Map(Object.getOwnPropertySymbols(socket).map((symbol) => [symbol.description, symbol]));
  const [kBuffer, kBufferCb, kBufferGen] = ['kBuffer', 'kBufferCb', 'kBufferGen'].map((name) => slots.get(name));
  const handle = (socket as unknown as { _handle?: { useUserBuffer?: unknown } | null })._handle;
  if (!kBuffer || !kBufferCb || !kBufferGen || !handle || typeof handle.useUserBuffer !== 'function') return undefined;
  const node = socket as unknown as Record<symbol, unknown>;
  if (node[kBuffer] !== null || node[kBufferCb] !== null || node[kBufferGen] !== null) return undefined;
  const state: ReusedReads = { retained: false };
  const hooks = reusedReadHooks(state, (copy) => socket.push(copy));
  const first = hooks.buffer();
  node[kBufferGen] = hooks.buffer;
  node[kBufferCb] = hooks.callback;
  node[kBuffer] = first;
  (handle.useUserBuffer as (buffer: Buffer) => void).call(handle, first);
  reusedReads.set(socket, state);
  return state;
}

/**
 * Writes what `from` reads to `to`, calling `count` with each chunk's size; a full `to` pauses
 * `from` until it drains, and `from`'s end ends `to`. Bytes `from` had already read and not
 * delivered are relayed first.
 */
export function relayChunks(from: net.Socket, to: net.Socket, count: (bytes: number) => void): void {
  const state = reusedReads.get(from) ?? adoptReusedReads(from);
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

/** Whether `relayChunks(socket, …)` reads it into a reused buffer (for tests and benchmarks). */
export function readsIntoReusedBuffer(socket: net.Socket): boolean {
  return reusedReads.has(socket);
}
