// The one rule for passwords on the way to a backend: the broker sends the password itself (or a
// hash that stands for it, PostgreSQL's md5) only to a server that TLS verified — full
// verification (host name and chain), or a chain verified against the configured CA. Proofs that
// never reveal the password (SCRAM, mysql_native_password and caching_sha2_password scrambles)
// need no such channel. A connection whose config sets the insecure opt-in sends it anyway.
import { UnverifiedChannelError, type ErrorCodes } from './errors';

/** The config field that opts a connection in; every refusal names it. */
export const INSECURE_PASSWORD_SETTING = 'target.insecureAllowPasswordWithoutVerifiedTls';

/** What the broker knows about the channel to the backend once TLS is (or is not) up. */
export interface BackendChannel {
  readonly tls: boolean;
  /** TLS verified the server: its host name and chain, or its chain against the configured CA. */
  readonly verified: boolean;
  readonly sslmode: string;
}

/**
 * Whether TLS under `sslmode` verifies the server well enough to receive a password: full
 * verification, or a chain checked against a CA the config names (a private CA signs only its
 * own servers; the system's public CAs sign anyone's name, which verify-ca would not check).
 */
export function verifiesServer(o: {
  readonly fullVerification: boolean;
  readonly verifyChain: boolean;
  readonly ca: unknown;
}): boolean {
  return o.fullVerification || (o.verifyChain && o.ca !== undefined);
}

export interface PasswordRequest {
  /** host:port of the backend. */
  readonly where: string;
  /** What the backend asks for, in words: "the password in clear text". */
  readonly asks: string;
  /** The sslmode that verifies the server fully, for the advice: verify-full, verify-identity. */
  readonly verifyMode: string;
  /** The target's insecure opt-in. */
  readonly allowed: boolean;
}

/** Throws UnverifiedChannelError unless the password may go over `channel`. */
export function checkPasswordChannel<C>(codes: ErrorCodes<C>, channel: BackendChannel, request: PasswordRequest): void {
  if (channel.verified || request.allowed) return;
  const over = channel.tls
    ? `TLS that did not verify the server (sslmode ${channel.sslmode})`
    : `a connection without TLS (sslmode ${channel.sslmode})`;
  throw new UnverifiedChannelError(
    codes,
    `the backend ${request.where} asks for ${request.asks} over ${over}; the broker sends a password only to a ` +
      `server whose certificate it verified (target.sslmode: ${request.verifyMode}; target.caCert for a private CA). ` +
      `To send it anyway, set ${INSECURE_PASSWORD_SETTING}: true`,
  );
}
