// The client leg of the connection phase: the broker's own greeting, the client's
// HandshakeResponse41, and — when the client answered with another plugin than the one the
// greeting named — an AuthSwitchRequest back to mysql_native_password, as a real server does.
// Whatever auth data the client sends is ignored: it holds no password, the broker does.
import type { Socket } from 'node:net';
import { ProtocolViolationError } from '../connector-kit';
import { MYSQL_CODES, MysqlError, type Deadline } from './errors';
import type { PacketReader } from './packet-reader';
import {
  NATIVE_PASSWORD,
  encodeAuthSwitch,
  encodePacket,
  encodeServerGreeting,
  parseHandshakeResponse,
  type HandshakeResponse,
  type ServerGreeting,
} from './protocol';

/** The sequence id of the next packet the broker sends to the client (for OK or ERR). */
export interface ClientSequence {
  next: number;
}

export async function greetClient(
  client: Socket,
  reader: PacketReader,
  greeting: ServerGreeting,
  sequence: ClientSequence,
  deadline: Deadline,
): Promise<HandshakeResponse> {
  client.write(encodePacket(0, encodeServerGreeting({ ...greeting, authPlugin: NATIVE_PASSWORD })));
  sequence.next = 1;
  deadline.phase("waiting for the client's handshake response", MysqlError.clientTimeout);
  const packet = await reader.read(1, "reading the client's handshake response");
  sequence.next = 2;
  const hello = parseHandshakeResponse(packet.payload);
  if (hello.kind === 'ssl') {
    throw new ProtocolViolationError(
      MYSQL_CODES,
      'the client asked for TLS, which the broker does not offer on the local connection; ' +
        'connect without it (mariadb --skip-ssl, mysql --ssl-mode=DISABLED)',
    );
  }
  if (hello.authPlugin !== undefined && hello.authPlugin !== NATIVE_PASSWORD) {
    client.write(encodePacket(2, encodeAuthSwitch(NATIVE_PASSWORD, greeting.scramble)));
    sequence.next = 3;
    deadline.phase('waiting for the client to answer the auth switch', MysqlError.clientTimeout);
    await reader.read(3, 'reading the auth switch response of the client');
    sequence.next = 4;
  }
  const { kind: _kind, ...response } = hello;
  return response;
}
