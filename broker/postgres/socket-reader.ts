// Awaitable reads of whole protocol packets from a socket during the handshake. When the
// handshake is done, `release` detaches it and hands over any bytes already read, so the data
// phase can be piped without losing a byte.
import type { Socket } from 'node:net';
import { PeerClosedError, BackendConnectError, ProtocolError } from './errors';
import { createFrameReader, type Message } from './protocol';

export interface SocketReader {
  readStartupPacket(what: string): Promise<Buffer>;
  readMessage(what: string): Promise<Message>;
  /** Exactly one byte (the SSLRequest answer); more bytes buffered behind it are an attack. */
  readSingleByte(what: string): Promise<number>;
  /** Detaches from the socket, pauses it, and returns the unconsumed bytes. */
  release(): Buffer;
}

export interface SocketReaderOptions {
  readonly peer: 'client' | 'backend';
  readonly maxMessageSize: number;
  readonly signal: AbortSignal;
}

export function createSocketReader(socket: Socket, options: SocketReaderOptions): SocketReader {
  const frames = createFrameReader(options.maxMessageSize);
  const { peer, signal } = options;
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onData = (chunk: Buffer) => {
    frames.push(chunk);
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

  async function until<T>(attempt: () => T | undefined, what: string): Promise<T> {
    for (;;) {
      const value = attempt();
      if (value !== undefined) return value;
      if (signal.aborted) throw signal.reason as Error;
      if (failure) {
        const text = `the ${peer} connection failed while ${what}: ${failure.message}`;
        throw peer === 'backend' ? new BackendConnectError(text) : new ProtocolError(text);
      }
      if (ended) {
        if (frames.buffered > 0) throw new ProtocolError(`the ${peer} sent a truncated packet while ${what}`);
        throw new PeerClosedError(peer, what);
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
  }

  return {
    readStartupPacket: (what) => until(() => frames.readStartupPacket(), what),
    readMessage: (what) => until(() => frames.readMessage(), what),
    async readSingleByte(what) {
      const bytes = await until(() => (frames.buffered > 0 ? frames.takeRest() : undefined), what);
      if (bytes.length !== 1) throw new ProtocolError(`the ${peer} sent unexpected bytes after its answer while ${what}`);
      return bytes[0]!;
    },
    release() {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      socket.pause();
      notify();
      return frames.takeRest();
    },
  };
}
