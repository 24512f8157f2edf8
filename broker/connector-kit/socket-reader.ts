// Awaitable reads of whole protocol packets from a socket during the handshake, for any framing
// (PostgreSQL messages, MySQL packets). When the handshake is done, `release` detaches it and
// hands over any bytes already read, so the data phase can be piped without losing a byte.
import type { Socket } from 'node:net';

export type Peer = 'client' | 'backend';

/** A protocol's frame decoder: bytes go in, whole packets come out through the reader's `until`. */
export interface Framing {
  push(chunk: Buffer): void;
  /** Everything buffered and not yet taken as a packet. */
  takeRest(): Buffer;
  readonly buffered: number;
}

/** How a protocol reports what went wrong on the socket, as its own session errors. */
export interface ReaderErrors {
  /** The socket failed (reset, TLS error) while waiting. */
  connectionFailed(peer: Peer, message: string): Error;
  /** The peer closed in the middle of a packet. */
  truncated(message: string): Error;
  /** The peer closed cleanly before the awaited packet. */
  closed(peer: Peer, what: string): Error;
}

export interface BufferedReaderOptions {
  readonly peer: Peer;
  readonly signal: AbortSignal;
  readonly errors: ReaderErrors;
}

export interface BufferedReader {
  /** Waits until `attempt` (a read from the framing) returns a value; `what` names the wait in errors. */
  until<T>(attempt: () => T | undefined, what: string): Promise<T>;
  /** Detaches from the socket, pauses it, and returns the unconsumed bytes. */
  release(): Buffer;
}

export function createBufferedReader(socket: Socket, framing: Framing, options: BufferedReaderOptions): BufferedReader {
  const { peer, signal, errors } = options;
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onData = (chunk: Buffer) => {
    framing.push(chunk);
    notify();
  };
  const onEnd = () => {
    ended = true;
    notify();
  };
  const onError = (err: Error) => {
    failure = err;
    notify();
  };
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('close', onEnd);
  socket.on('error', onError);
  // A socket released by an earlier reader is paused; a 'data' listener alone does not resume it.
  socket.resume();

  return {
    async until(attempt, what) {
      for (;;) {
        const value = attempt();
        if (value !== undefined) return value;
        if (signal.aborted) throw signal.reason as Error;
        if (failure) throw errors.connectionFailed(peer, `the ${peer} connection failed while ${what}: ${failure.message}`);
        if (ended) {
          if (framing.buffered > 0) throw errors.truncated(`the ${peer} sent a truncated packet while ${what}`);
          throw errors.closed(peer, what);
        }
        await new Promise<void>((resolve) => {
          const done = () => {
            signal.removeEventListener('abort', done);
            resolve();
          };
          wake = done;
          signal.addEventListener('abort', done);
        });
      }
    },
    release() {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      socket.pause();
      notify();
      return framing.takeRest();
    },
  };
}
