// The byte channel to the backend: TCP, then TLS as libpq's sslmode says. The same channel
// carries client connections and forwarded CancelRequests, so a cancel key never crosses the
// network in clear when the connection itself would not.
import net from 'node:net';
import tls from 'node:tls';
import { tlsServerEndPoint } from './channel-binding';
import { BackendUnreachableError, defaultedSslmodeNote, verifiesServer } from '../connector-kit';
import { PG_CODES, SqlState, type Deadline } from './errors';
import { sslRequest } from './protocol';
import { createSocketReader } from './socket-reader';
import { awaitTlsHandshake, connectTcp } from '../connector-kit';
import type { ResolvedPostgresTarget } from './target';

export interface BackendTransport {
  /** A net.Socket or tls.TLSSocket; has a no-op 'error' listener, so failures surface as 'close'. */
  readonly socket: net.Socket;
  readonly tls: boolean;
  /** TLS verified the server (see connector-kit's `verifiesServer`): a password may go here. */
  readonly verified: boolean;
  /** tls-server-end-point binding data, when on TLS and the certificate's hash is known. */
  readonly channelBinding?: Buffer;
}

/** Where a client's backend really is (the resolved address), so a cancel reaches that server. */
export interface BackendAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Connects to `target` (or to `via`, a resolved address of it: TLS still verifies `target.host`)
 * and negotiates TLS per its sslmode.
 */
export async function openBackendTransport(
  target: ResolvedPostgresTarget,
  deadline: Deadline,
  via?: BackendAddress,
): Promise<BackendTransport> {
  const where = `${target.host}:${target.port}`;
  deadline.phase(`connecting to the backend ${where}`, SqlState.connectionFailure);
  const raw = await connectTcp(via?.host ?? target.host, via?.port ?? target.port, where, deadline, PG_CODES);
  let secure: tls.TLSSocket | undefined;
  try {
    if (target.sslmode === 'disable') return { socket: raw, tls: false, verified: false };

    deadline.phase(`waiting for the backend ${where} to answer the SSL request`, SqlState.connectionFailure);
    raw.write(sslRequest());
    const reader = createSocketReader(raw, { peer: 'backend', maxMessageSize: 1, signal: deadline.signal });
    let answer: number;
    try {
      answer = await reader.readSingleByte('waiting for the answer to the SSL request');
    } finally {
      reader.release();
    }
    if (answer === 0x4e /* N */) {
      if (target.sslmode === 'prefer') return { socket: raw, tls: false, verified: false };
      throw new BackendUnreachableError(
        PG_CODES,
        `the backend ${where} does not accept TLS, and sslmode is ${target.sslmode}` +
          defaultedSslmodeNote(target, 'set target.sslmode: disable if this server really has no TLS'),
      );
    }
    if (answer !== 0x53 /* S */) {
      throw new BackendUnreachableError(
        PG_CODES,
        `the backend ${where} answered the SSL request with an unexpected byte 0x${answer.toString(16)}`,
      );
    }

    deadline.phase(`in the TLS handshake with the backend ${where}`, SqlState.connectionFailure);
    // libpq: with a root certificate configured, 'require' verifies the chain like 'verify-ca'.
    const verifyChain =
      target.sslmode === 'verify-ca' ||
      target.sslmode === 'verify-full' ||
      (target.sslmode === 'require' && !!target.ca);
    const socket = tls.connect({
      socket: raw,
      ca: target.ca,
      // `host` is what the certificate is checked against; without it Node checks "localhost".
      host: target.host,
      servername: net.isIP(target.host) ? undefined : target.host,
      rejectUnauthorized: verifyChain,
      checkServerIdentity: target.sslmode === 'verify-full' ? tls.checkServerIdentity : () => undefined,
      ALPNProtocols: ['postgresql'],
      minVersion: 'TLSv1.2',
    });
    secure = socket;
    const note = defaultedSslmodeNote(target, "set target.caCert to the CA file that signed the server's certificate");
    await awaitTlsHandshake(socket, { where, sslmode: target.sslmode, verifyChain, note }, deadline, PG_CODES);
    const certificate = socket.getPeerX509Certificate();
    let channelBinding: Buffer | undefined;
    try {
      channelBinding = certificate ? tlsServerEndPoint(certificate.raw) : undefined;
    } catch {
      channelBinding = undefined; // an unparsable certificate only costs us the PLUS variant
    }
    const verified = verifiesServer({
      fullVerification: target.sslmode === 'verify-full',
      verifyChain,
      ca: target.ca,
    });
    return { socket, tls: true, verified, ...(channelBinding && { channelBinding }) };
  } catch (err) {
    secure?.destroy();
    raw.destroy();
    throw err;
  }
}
