// Awaitable reads of whole MySQL packets during the handshake (broker/connector-kit's buffered reader
// over this protocol's framing), each checked against the sequence id the protocol expects
// next. `release` hands over any bytes already read, so the data phase loses none.
import type { Socket } from 'node:net';
import { ProtocolViolationError, createBufferedReader } from '../connector-kit';
import { MYSQL_CODES, MysqlError } from './errors';
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

/**
 * A client's packet with the wrong sequence id, refused as soon as its header is in, as MariaDB's
 * my_net_read does: the client sees the server's ERR 1156, the log the ids.
 */
function outOfOrder(
  peer: 'client' | 'backend',
  got: number,
  what: string,
  expected: number,
): ProtocolViolationError<unknown> {
  const message = `the ${peer} sent sequence id ${got} while ${what} (expected ${expected})`;
  return peer === 'client'
    ? new ProtocolViolationError(MYSQL_CODES, message, {
        code: MysqlError.packetsOutOfOrder,
        clientMessage: 'Got packets out of order',
      })
    : new ProtocolViolationError(MYSQL_CODES, message);
}

export function createPacketReader(socket: Socket, options: PacketReaderOptions): PacketReader {
  const { peer } = options;
  // A client's oversized packet is read through and dropped, so it can be answered as a server would.
  const framer = createPacketFramer(options.maxPayload ?? MAX_HANDSHAKE_PACKET, peer, {
    discardOversized: peer === 'client',
  });
  const reader = createBufferedReader(socket, framer, { peer, signal: options.signal, codes: MYSQL_CODES });
  return {
    async read(seq, what) {
      const expected = seq & 0xff;
      const packet = await reader.until(() => {
        // A client's sequence id is checked on its header; a backend's packet is read first, so
        // one that is not MySQL at all is reported by its length.
        const header = peer === 'client' ? framer.header() : undefined;
        if (header && header.seq !== expected) throw outOfOrder(peer, header.seq, what, expected);
        return framer.next();
      }, what);
      if (packet.seq !== expected) throw outOfOrder(peer, packet.seq, what, expected);
      return packet;
    },
    release: () => reader.release(),
  };
}
