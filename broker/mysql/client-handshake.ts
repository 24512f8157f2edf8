// The client leg of the connection phase: the broker's own greeting, the client's
// HandshakeResponse41, and — when the client answered with another plugin than the one the
// greeting named — an AuthSwitchRequest back to mysql_native_password, as a real server does.
// Whatever auth data the client sends is ignored: it holds no password, the broker does.
// With a local TLS identity the greeting offers CLIENT_SSL: a client's SSL request packet is
// followed by the TLS handshake, and the rest of the phase runs inside TLS (sequence ids go on).
// Bad input is answered as MariaDB 10.11 answers it: a packet out of sequence with ERR 1156 as
// soon as its header is in, any response it cannot use with ERR 1043 "Bad handshake" (in the
// pre-4.1 format to a pre-4.1 client), a client that stalls or leaves with nothing; the log
// keeps the broker's own reason.
import type { Socket } from 'node:net';
import { ClientConnectionError, ProtocolViolationError } from '../connector-kit';
import { MYSQL_CODES, MysqlError, type Deadline } from './errors';
import type { PacketReader } from './packet-reader';
import {
  Cap,
  MAX_HANDSHAKE_PACKET,
  NATIVE_PASSWORD,
  encodeAuthSwitch,
  encodePacket,
  encodeServerGreeting,
  has,
  parseHandshakeResponse,
  type HandshakeResponse,
  type ServerGreeting,
} from './protocol';

/** The sequence id of the next packet the broker sends to the client (for OK or ERR), and its format. */
export interface ClientSequence {
  next: number;
  /** False once a client said it speaks the pre-4.1 protocol: its ERR has no SQLSTATE. */
  protocol41?: boolean;
}

/** The client's channel: the accepted socket, or TLS over it after its SSL request. */
export interface ClientChannel {
  readonly socket: Socket;
  readonly reader: PacketReader;
  /** Present when the broker serves TLS (the greeting then offers it): handshake, then the TLS channel. */
  readonly startTls?: () => Promise<ClientChannel>;
}

/** MariaDB's answer to a response it cannot use; the log has `reason`. */
const badHandshake = (reason: string) =>
  new ProtocolViolationError(MYSQL_CODES, reason, { clientMessage: 'Bad handshake' });

/** Waits on the client are let go without a word when they run out, as connect_timeout does. */
const UNSAID = { clientMessage: null } as const;

export async function greetClient(
  plain: ClientChannel,
  greeting: ServerGreeting,
  sequence: ClientSequence,
  deadline: Deadline,
): Promise<{ response: HandshakeResponse; channel: ClientChannel }> {
  let channel = plain;
  plain.socket.write(encodePacket(0, encodeServerGreeting({ ...greeting, authPlugin: NATIVE_PASSWORD })));
  let seq = 1;
  sequence.next = seq;
  deadline.phase("waiting for the client's handshake response", MysqlError.clientTimeout, UNSAID);
  let hello = await readResponse(channel, seq, sequence);
  if (hello.kind === 'ssl') {
    if (!channel.startTls || !has(greeting.capabilities, Cap.SSL))
      throw badHandshake(
        'the client asked for TLS, which the broker does not offer on this connection; ' +
          'connect without it (mariadb --skip-ssl, mysql --ssl-mode=DISABLED)',
      );
    channel = await channel.startTls();
    seq += 1;
    sequence.next = seq;
    deadline.phase("waiting for the client's handshake response over TLS", MysqlError.clientTimeout, UNSAID);
    hello = await readResponse(channel, seq, sequence);
    if (hello.kind === 'ssl') throw badHandshake('the client asked for TLS a second time, inside TLS');
  }
  seq += 1;
  if (hello.authPlugin !== undefined && hello.authPlugin !== NATIVE_PASSWORD) {
    channel.socket.write(encodePacket(seq, encodeAuthSwitch(NATIVE_PASSWORD, greeting.scramble)));
    sequence.next = seq + 1;
    deadline.phase('waiting for the client to answer the auth switch', MysqlError.clientTimeout, UNSAID);
    await channel.reader.read(seq + 1, 'reading the auth switch response of the client');
    seq += 2;
    sequence.next = seq;
  }
  const { kind: _kind, ...response } = hello;
  return { response, channel };
}

/** Reads and parses the client's packet `seq` (its SSL request or HandshakeResponse41); bad ones are "Bad handshake". */
async function readResponse(channel: ClientChannel, seq: number, sequence: ClientSequence) {
  const packet = await channel.reader.read(seq, "reading the client's handshake response");
  sequence.next = seq + 1;
  // A server takes a pre-4.1 client at its word and answers it in that format.
  if (packet.payload.length >= 2 && !has(packet.payload.readUInt16LE(0), Cap.PROTOCOL_41)) sequence.protocol41 = false;
  if (packet.oversized !== undefined)
    throw badHandshake(
      `the client sent a packet of ${packet.oversized} bytes during the handshake (at most ${MAX_HANDSHAKE_PACKET}); is it speaking the MySQL protocol?`,
    );
  try {
    return parseHandshakeResponse(packet.payload);
  } catch (error) {
    if (error instanceof ClientConnectionError) throw badHandshake(error.message);
    throw error;
  }
}
