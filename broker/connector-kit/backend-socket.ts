// Reaching a backend under the handshake's deadline: the TCP connection and the TLS handshake,
// with errors that name the backend and say whether TLS verification or the handshake failed.
// The protocol's negotiation in between (SSLRequest) stays with the protocol.
import type net from 'node:net';
import type tls from 'node:tls';
import { BackendUnreachableError, type ErrorCodes } from './errors';
import { connectForRelay } from './relay';

interface Race {
  race<T>(promise: Promise<T>): Promise<T>;
}

/** Sockets keep a no-op 'error' listener, so failures surface as 'close' and never crash. */
const ignoreError = () => {};

/** Node's TLS error codes that mean "the certificate did not verify". */
const VERIFY_FAILURE = /CERT|SIGNATURE|ISSUER|ALTNAME|SELF_SIGNED|VERIFY/;

/**
 * A TCP connection to `host:port` (`where` names the configured backend in errors), with
 * TCP_NODELAY and keep-alive, ready for `relayChunks` in the data phase. On failure the socket
 * is destroyed and a BackendUnreachableError thrown.
 */
export async function connectTcp<C>(
  host: string,
  port: number,
  where: string,
  deadline: Race,
  codes: ErrorCodes<C>,
): Promise<net.Socket> {
  const fail = (message: string) => new BackendUnreachableError(codes, message);
  const socket = connectForRelay(host, port);
  socket.on('error', ignoreError);
  try {
    await deadline.race(
      new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', (err: NodeJS.ErrnoException) =>
          reject(fail(`cannot reach the backend ${where}: ${err.code ?? err.message}`)),
        );
      }),
    );
  } catch (err) {
    socket.destroy();
    throw err;
  }
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 60_000);
  return socket;
}

export interface TlsHandshake {
  /** The configured backend, for messages. */
  readonly where: string;
  readonly sslmode: string;
  /** Whether the chain is being verified (a failure is then reported as a verification failure). */
  readonly verifyChain: boolean;
  /** Appended to a verification failure: what to change (see `defaultedSslmodeNote`). */
  readonly note?: string;
}

/** Waits for `socket` (from `tls.connect`) to finish its handshake; rejects with a BackendUnreachableError. */
export async function awaitTlsHandshake<C>(
  socket: tls.TLSSocket,
  handshake: TlsHandshake,
  deadline: Race,
  codes: ErrorCodes<C>,
): Promise<void> {
  const { where, sslmode, verifyChain, note = '' } = handshake;
  const fail = (message: string) => new BackendUnreachableError(codes, message);
  socket.on('error', ignoreError);
  await deadline.race(
    new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', (err: NodeJS.ErrnoException) => {
        const verifying = verifyChain && VERIFY_FAILURE.test(err.code ?? '');
        reject(
          fail(
            verifying
              ? `TLS verification of the backend ${where} failed (sslmode ${sslmode}): ${err.message}${note}`
              : `TLS handshake with the backend ${where} failed: ${err.message}`,
          ),
        );
      });
      socket.once('close', () => reject(fail(`the backend ${where} closed the connection during the TLS handshake`)));
    }),
  );
}
