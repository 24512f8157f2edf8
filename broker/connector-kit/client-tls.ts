// TLS on the client's leg, for clients that insist on it (psql sslmode=require/verify-full, JDBC
// ssl=true, mysql --ssl-mode=REQUIRED): after the protocol's own negotiation (PostgreSQL's
// SSLRequest answered 'S', MySQL's SSL request packet), the accepted socket is wrapped in a
// server-side TLS socket with the identity the app issued (a certificate for localhost,
// 127.0.0.1 and ::1 from its local CA). The broker never asks for a client certificate.
import type { Socket } from 'node:net';
import tls from 'node:tls';
import type { PhaseDeadline } from './deadline';
import { ProtocolViolationError, PeerClosedError, type ClientAnswer, type ErrorCodes } from './errors';
import { createBufferedReader } from './socket-reader';

/** The first byte of a TLS record carrying a handshake message (a ClientHello). */
const TLS_HANDSHAKE_RECORD = 0x16;

/** The local leg's TLS identity, PEM: the server key and its certificate (chain). */
export interface LocalTlsIdentity {
  readonly key: string;
  readonly cert: string;
}

/** A reusable context for `identity`, made once per connector. */
export function localTlsContext(identity: LocalTlsIdentity): tls.SecureContext {
  return tls.createSecureContext({ key: identity.key, cert: identity.cert, minVersion: 'TLSv1.2' });
}

export interface ClientTlsOptions<C> {
  readonly context: tls.SecureContext;
  /** Bytes already read from the client that belong to the TLS handshake (MySQL clients do not wait). */
  readonly leftover?: Buffer;
  /** ALPN protocols the broker accepts (PostgreSQL: 'postgresql'). */
  readonly alpn?: string[];
  readonly deadline: PhaseDeadline<C>;
  readonly codes: ErrorCodes<C>;
  /** The code a timeout in the handshake reports (the client is not told: it is let go). */
  readonly timeoutCode: C;
  /**
   * Wait for the client's first byte before starting TLS, and answer in plain text, as the
   * protocol's server does, when none comes or it is not a ClientHello (MariaDB's "Bad
   * handshake"). Without it such a client is let go without a word (PostgreSQL).
   */
  readonly noHello?: ClientAnswer & { readonly code: C };
}

/**
 * Runs the TLS handshake with the client on `raw` (paused, its reader released) and returns the
 * TLS socket. A failed handshake is a ProtocolViolationError the client is not told about — a
 * server that cannot finish TLS has no channel to say anything on.
 */
export async function acceptClientTls<C>(raw: Socket, options: ClientTlsOptions<C>): Promise<tls.TLSSocket> {
  const { deadline, codes, noHello } = options;
  let leftover = options.leftover ?? Buffer.alloc(0);
  if (noHello) leftover = await awaitClientHello(raw, leftover, { deadline, codes, noHello });
  deadline.phase('in the TLS handshake with the client', options.timeoutCode, { clientMessage: null });
  raw.pause();
  // The TLS socket starts from what the plain one still holds, then reads its handle.
  if (leftover.length > 0) raw.unshift(leftover);
  const secure = new tls.TLSSocket(raw, {
    isServer: true,
    secureContext: options.context,
    requestCert: false,
    ...(options.alpn && { ALPNProtocols: options.alpn }),
  });
  secure.on('error', () => {});
  try {
    await deadline.race(
      new Promise<void>((resolve, reject) => {
        secure.once('secure', () => resolve());
        secure.once('error', (error: Error) =>
          reject(
            new ProtocolViolationError(codes, `the TLS handshake with the client failed: ${error.message}`, {
              clientMessage: null,
            }),
          ),
        );
        secure.once('close', () => reject(new PeerClosedError(codes, 'client', 'in the TLS handshake')));
      }),
    );
  } catch (error) {
    secure.destroy();
    throw error;
  }
  return secure;
}

/** The client's bytes once the first is in, checked to start a TLS handshake record; plain-text refusals otherwise. */
async function awaitClientHello<C>(
  raw: Socket,
  leftover: Buffer,
  o: { deadline: PhaseDeadline<C>; codes: ErrorCodes<C>; noHello: ClientAnswer & { readonly code: C } },
): Promise<Buffer> {
  let bytes = leftover;
  if (bytes.length === 0) {
    o.deadline.phase("waiting for the client's TLS ClientHello", o.noHello.code, o.noHello);
    const framing = {
      pending: Buffer.alloc(0),
      push(chunk: Buffer) {
        this.pending = Buffer.concat([this.pending, chunk]);
      },
      takeRest() {
        const rest = this.pending;
        this.pending = Buffer.alloc(0);
        return rest;
      },
      get buffered() {
        return this.pending.length;
      },
    };
    const reader = createBufferedReader(raw, framing, { peer: 'client', signal: o.deadline.signal, codes: o.codes });
    try {
      await reader.until(() => (framing.buffered > 0 ? true : undefined), "waiting for the client's TLS ClientHello");
    } finally {
      bytes = reader.release();
    }
  }
  if (bytes[0] !== TLS_HANDSHAKE_RECORD)
    throw new ProtocolViolationError(o.codes, 'the client sent no TLS ClientHello after asking for TLS', o.noHello);
  return bytes;
}
