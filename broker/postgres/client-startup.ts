// The client's side of the startup, answered as PostgreSQL 15's postmaster answers it: SSLRequest
// gets 'S' and a TLS handshake when the broker has a local TLS identity, else 'N'; GSSENCRequest
// gets 'N'; each is taken once (bytes pipelined behind one are refused, CVE-2021-23214),
// then the StartupMessage (or a CancelRequest) is read; a protocol other than 3, a broken
// parameter list or a missing user gets the server's FATAL; a newer minor version or _pq_
// options get NegotiateProtocolVersion(3.0). What the postmaster only logs (a bad length, a
// packet cut short, a client that stalls) the broker only logs too, and closes without a word.
import type { Socket } from 'node:net';
import { ProtocolViolationError, UnsupportedError } from '../connector-kit';
import { PG_CODES, SqlState, type Deadline } from './errors';
import { PROTOCOL_3_0, negotiateProtocolVersion, parseStartupPacket, type NegotiationDone } from './protocol';
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

/** Where the startup is read from: the accepted socket, and after 'S' the TLS socket over it. */
export interface StartupChannel {
  readonly socket: Socket;
  readonly reader: SocketReader;
  /** Present when the broker serves TLS: runs the handshake (after 'S') and returns the TLS channel. */
  readonly startTls?: () => Promise<StartupChannel>;
}

/** What the client said about itself that shapes how an error is sent to it. */
export interface ClientProtocol {
  /** The major protocol version of its startup packet: below 3, errors go in protocol 2's format. */
  major: number;
}

const DECLINE = Buffer.from('N');
const ACCEPT = Buffer.from('S');
const MITM_DETAIL = 'This could be either a client-software bug or evidence of an attempted man-in-the-middle attack.';

export async function readClientStartup(
  plain: StartupChannel,
  deadline: Deadline,
  protocol: ClientProtocol = { major: 3 },
): Promise<{ hello: ClientHello; channel: StartupChannel }> {
  const done: { -readonly [K in keyof NegotiationDone]: boolean } = { ssl: false, gss: false };
  let channel = plain;
  for (;;) {
    // A client that stalls its own startup is let go without a word, as authentication_timeout does.
    deadline.phase("waiting for the client's startup message", SqlState.connectionFailure, { clientMessage: null });
    const { reader, socket: client } = channel;
    const packet = parseStartupPacket(await reader.readStartupPacket("waiting for the client's startup message"), done);
    switch (packet.kind) {
      case 'ssl':
      case 'gssenc': {
        if (packet.kind === 'ssl' && channel.startTls) {
          client.write(ACCEPT);
          // Bytes sent before the handshake are not part of it (the postmaster has read them
          // already); once TLS is up they are refused inside it.
          const unencrypted = reader.release();
          channel = await channel.startTls();
          // After TLS, GSS encryption cannot follow (the postmaster's gss_done).
          done.ssl = done.gss = true;
          if (unencrypted.length > 0)
            throw new ProtocolViolationError(PG_CODES, 'received unencrypted data after SSL request', {
              detail: MITM_DETAIL,
            });
          break;
        }
        done[packet.kind === 'ssl' ? 'ssl' : 'gss'] = true;
        client.write(DECLINE);
        // Bytes sent before the answer did not wait for it: were TLS on, they would not be inside it.
        if (reader.buffered > 0)
          throw new ProtocolViolationError(
            PG_CODES,
            packet.kind === 'ssl'
              ? 'received unencrypted data after SSL request'
              : 'received unencrypted data after GSSAPI encryption request',
            { detail: MITM_DETAIL },
          );
        break;
      }
      case 'cancel':
        return { hello: packet, channel };
      case 'startup': {
        protocol.major = packet.major;
        if (packet.major !== 3) {
          throw new UnsupportedError(
            SqlState.featureNotSupported,
            `unsupported frontend protocol ${packet.major}.${packet.minor}: server supports 3.0 to 3.0`,
          );
        }
        const parameters = new Map<string, string>();
        const unrecognized: string[] = [];
        for (const [name, value] of packet.parameters) {
          if (name.startsWith('_pq_.')) unrecognized.push(name);
          else parameters.set(name, value);
        }
        if (packet.minor > 0 || unrecognized.length > 0)
          client.write(negotiateProtocolVersion(PROTOCOL_3_0, unrecognized));
        // The broker logs in as the credential's user, but a startup without one is not PostgreSQL.
        if (!parameters.get('user'))
          throw new ProtocolViolationError(PG_CODES, 'no PostgreSQL user name specified in startup packet', {
            code: SqlState.invalidAuthorization,
          });
        return { hello: { kind: 'startup', requestedMinor: packet.minor, parameters }, channel };
      }
    }
  }
}
