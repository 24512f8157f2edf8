// Awaitable reads of whole MySQL packets during the handshake (broker/connector-kit's buffered reader
// over this protocol's framing), each checked against the sequence id the protocol expects
// next. `release` hands over any bytes already read, so the data phase loses none.
import type { Socket } from 'node:net';
import { ProtocolViolationError, createBufferedReader } from '../connector-kit';
import { MYSQL_CODES } from './errors';
import { createPacketFramer, MAX_HANDSHAKE_PACKET, type Packet } from './protocol';

export interface PacketReader {
  /** The next packet, which must carry sequence id `seq`. */
  read(seq: number, what: string): Promise<Packet>;
  /** Detaches from the socket, pauses it, and returns the unconsumed bytes. */
  release(): Buffer;
}

export interface PacketReaderOptions {
  readonly peer: 'client' | 'backend';
  readonly signal: AbortSignal;
  readonly maxPayload?: number;
}

export function createPacketReader(socket: Socket, options: PacketReaderOptions): PacketReader {
  const { peer } = options;
  const framer = createPacketFramer(options.maxPayload ?? MAX_HANDSHAKE_PACKET, peer);
  const reader = createBufferedReader(socket, framer, { peer, signal: options.signal, codes: MYSQL_CODES });
  return {
    async read(seq, what) {
      const packet = await reader.until(() => framer.next(), what);
      if (packet.seq !== (seq & 0xff)) {
        throw new ProtocolViolationError(
          MYSQL_CODES,
          `the ${peer} sent sequence id ${packet.seq} while ${what} (expected ${seq & 0xff})`,
        );
      }
      return packet;
    },
    release: () => reader.release(),
  };
}
