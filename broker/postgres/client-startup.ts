// The client's side of the startup: the broker declines TLS and GSS encryption on the local leg
// ('N'), reads the StartupMessage (or a CancelRequest), and tells clients that ask for a newer
// protocol minor version, or for _pq_ extensions, that it speaks 3.0.
import type { Socket } from 'node:net';
import { ProtocolViolationError, UnsupportedError } from '../connector-kit';
import { PG_CODES, SqlState, type Deadline } from './errors';
import { negotiateProtocolVersion, parseStartupPacket } from './protocol';
import type { SocketReader } from './socket-reader';

export type ClientHello =
  | { readonly kind: 'cancel'; readonly processId: number; readonly secretKey: Buffer }
  | {
      readonly kind: 'startup';
      /** The minor version the client asked for (the broker speaks 3.0 regardless). */
      readonly requestedMinor: number;
      /** Startup parameters minus the _pq_ extension options we declined. */
      readonly parameters: ReadonlyMap<string, string>;
    };

const DECLINE = Buffer.from('N');

export async function readClientStartup(
  reader: SocketReader,
  client: Socket,
  deadline: Deadline,
): Promise<ClientHello> {
  deadline.phase("waiting for the client's startup message", SqlState.connectionFailure);
  const declined = new Set<string>();
  for (;;) {
    const packet = parseStartupPacket(await reader.readStartupPacket("waiting for the client's startup message"));
    switch (packet.kind) {
      case 'ssl':
      case 'gssenc':
        // A client may ask for each encryption once (libpq: GSS first, then SSL).
        if (declined.has(packet.kind))
          throw new ProtocolViolationError(PG_CODES, `the client repeated its ${packet.kind} request`);
        declined.add(packet.kind);
        client.write(DECLINE);
        break;
      case 'cancel':
        return packet;
      case 'startup': {
        if (packet.major !== 3) {
          throw new UnsupportedError(
            SqlState.featureNotSupported,
            `unsupported frontend protocol ${packet.major}.${packet.minor}: the broker supports 3.0`,
          );
        }
        const parameters = new Map<string, string>();
        const unrecognized: string[] = [];
        for (const [name, value] of packet.parameters) {
          if (name.startsWith('_pq_.')) unrecognized.push(name);
          else parameters.set(name, value);
        }
        if (packet.minor > 0 || unrecognized.length > 0) client.write(negotiateProtocolVersion(0, unrecognized));
        return { kind: 'startup', requestedMinor: packet.minor, parameters };
      }
    }
  }
}
