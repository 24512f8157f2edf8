// Awaitable reads of whole PostgreSQL packets during the handshake: broker/connector-kit's buffered
// reader over this protocol's framing. `release` hands over the bytes already read, so the
// data phase is piped without losing one.
import type { Socket } from 'node:net';
import { ProtocolViolationError, createBufferedReader } from '../connector-kit';
import { PG_CODES } from './errors';
import { createFrameReader, type Message } from './protocol';

export interface SocketReader {
  readStartupPacket(what: string): Promise<Buffer>;
  readMessage(what: string): Promise<Message>;
  /** Exactly one byte (the SSLRequest answer); more bytes buffered behind it are an attack. */
  readSingleByte(what: string): Promise<number>;
  /** Bytes received and not yet taken as a packet. */
  readonly buffered: number;
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
  const reader = createBufferedReader(socket, frames, {
    peer: options.peer,
    signal: options.signal,
    codes: PG_CODES,
    // The client leg reads only startup packets: the postmaster's words for one cut short.
    ...(options.peer === 'client' && { truncated: () => 'incomplete startup packet' }),
  });
  return {
    readStartupPacket: (what) => reader.until(() => frames.readStartupPacket(), what),
    readMessage: (what) => reader.until(() => frames.readMessage(), what),
    async readSingleByte(what) {
      const bytes = await reader.until(() => (frames.buffered > 0 ? frames.takeRest() : undefined), what);
      if (bytes.length !== 1)
        throw new ProtocolViolationError(
          PG_CODES,
          `the ${options.peer} sent unexpected bytes after its answer while ${what}`,
        );
      return bytes[0]!;
    },
    get buffered() {
      return frames.buffered;
    },
    release: () => reader.release(),
  };
}
