// TLS toward the backend, after the SSLRequest, verified as the target's sslmode says.
import net from 'node:net';
import tls from 'node:tls';
import { awaitTlsHandshake, defaultedSslmodeNote, verifiesServer } from '../connector-kit';
import { MYSQL_CODES, MysqlError, type Deadline } from './errors';
import type { ResolvedMysqlTarget } from './target';

/** Whether TLS under the target's sslmode verifies the server (a password may go there). */
export function tlsVerifiesServer(target: ResolvedMysqlTarget): boolean {
  return verifiesServer({
    fullVerification: target.sslmode === 'verify-identity',
    verifyChain: chainVerified(target),
    ca: target.ca,
  });
}

const chainVerified = (target: ResolvedMysqlTarget) =>
  target.sslmode === 'verify-ca' || target.sslmode === 'verify-identity' || !!target.ca;

/** Wraps `raw` (already past its SSLRequest) in TLS; rejects with a BackendUnreachableError. */
export async function upgradeToTls(
  raw: net.Socket,
  target: ResolvedMysqlTarget,
  deadline: Deadline,
): Promise<tls.TLSSocket> {
  const where = `${target.host}:${target.port}`;
  deadline.phase(`in the TLS handshake with the backend ${where}`, MysqlError.backendUnreachable);
  const verifyChain = chainVerified(target);
  const socket = tls.connect({
    socket: raw,
    // The identity check uses `host` (an IP is matched against IP SANs); SNI takes names only.
    host: target.host,
    servername: net.isIP(target.host) ? undefined : target.host,
    ca: target.ca,
    rejectUnauthorized: verifyChain,
    checkServerIdentity: target.sslmode === 'verify-identity' ? tls.checkServerIdentity : () => undefined,
    minVersion: 'TLSv1.2',
  });
  try {
    const note = defaultedSslmodeNote(target, "set target.caCert to the CA file that signed the server's certificate");
    await awaitTlsHandshake(socket, { where, sslmode: target.sslmode, verifyChain, note }, deadline, MYSQL_CODES);
  } catch (err) {
    socket.destroy();
    throw err;
  }
  return socket;
}
