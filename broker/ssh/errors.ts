// Why an SSH client connection could not be set up, in words the developer sees in their
// terminal: the message goes to the client as an auth banner and in the DISCONNECT, and to the
// log. The classes are broker/connector-kit's; SSH's code is the failure kind, which picks the
// DISCONNECT reason. Messages name the connection, the host and the credential source, never a
// credential.
import type { ClientConnectionError, ErrorCodes } from '../connector-kit';

export type SshFailureKind =
  'host-key' | 'connect' | 'credential' | 'auth' | 'busy' | 'client-auth' | 'timeout' | 'internal';

/** The kind of each failure role (ssh2 answers protocol violations itself). */
export const SSH_CODES: ErrorCodes<SshFailureKind> = {
  protocolViolation: 'connect',
  credential: 'credential',
  backendUnreachable: 'connect',
  clientClosed: 'connect',
  backendClosed: 'connect',
  aborted: 'connect',
  tooManyClients: 'busy',
  internal: 'internal',
};

/** A failure the client is told about. */
export type SshClientError = ClientConnectionError<SshFailureKind>;

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** A network error code in words. */
export function describeConnectError(error: NodeJS.ErrnoException, where: string): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return `${where} refused the TCP connection (nothing listening?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${where}: the host name does not resolve`;
    case 'ETIMEDOUT':
      return `${where} did not answer in time`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${where} is unreachable`;
    case 'ECONNRESET':
      return `${where} closed the connection during the SSH handshake`;
    default:
      return `${where}: ${error.message}`;
  }
}
