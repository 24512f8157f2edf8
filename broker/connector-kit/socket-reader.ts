// Awaitable reads of whole protocol packets from a socket during the handshake, for any framing
// (PostgreSQL messages, MySQL packets). When the handshake is done, `release` detaches it and
// hands over any bytes already read, so the data phase can be piped without losing a byte.
import type { Socket } from 'node:net';
import { BackendUnreachableError, PeerClosedError, ProtocolViolationError, type ErrorCodes } from './errors';

export type Peer = 'client' | 'backend';

/** A protocol's frame decoder: bytes go in, whole packets come out through the reader's `until`. */
export interface Framing {
  push(chunk: Buffer): void;
  /** Everything buffered and not yet taken as a packet. */
  takeRest(): Buffer;
  readonly buffered: number;
}

export interface BufferedReaderOptions<C> {
  readonly peer: Peer;
  readonly signal: AbortSignal;
  /** The protocol's codes for a failed socket, a truncated packet and a peer that left. */
  readonly codes: ErrorCodes<C>;
  /** How a packet cut short by the peer's EOF is described (the log's words; PostgreSQL's "incomplete startup packet"). */
  readonly truncated?: (what: string) => string;
}

export interface BufferedReader {
  /** Waits until `attempt` (a read from the framing) returns a value; `what` names the wait in errors. */
  until<T>(attempt: () => T | undefined, what: string): Promise<T>;
  /** Detaches from the socket, pauses it, and returns the unconsumed bytes. */
  release(): Buffer;
}

export function createBufferedReader<C>(
  socket: Socket,
  framing: Framing,
  options: BufferedReaderOptions<C>,
): BufferedReader {
  const { peer, signal, codes } = options;
  // A client that broke off is told nothing, as a real server tells it nothing: it is gone, or
  // it sent bytes no server answers. The log says what happened.
  const toClient = peer === 'client' ? { clientMessage: null } : undefined;
  const truncated = options.truncated ?? ((what: string) => `the ${peer} sent a truncated packet while ${what}`);
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
        if (failure) {
          const message = `the ${peer} connection failed while ${what}: ${failure.message}`;
          throw peer === 'backend'
            ? new BackendUnreachableError(codes, message)
            : new ProtocolViolationError(codes, message, toClient);
        }
        if (ended) {
          if (framing.buffered > 0) throw new ProtocolViolationError(codes, truncated(what), toClient);
          throw new PeerClosedError(codes, peer, what);
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
