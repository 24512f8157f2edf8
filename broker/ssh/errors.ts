// Why an SSH session could not be set up, in words the developer sees in their terminal:
// the message goes to the client as an auth banner and in the disconnect, and to the log.
// It names the connection, the host and the credential source, never a credential.
export type SshFailureKind = 'host-key' | 'connect' | 'credential' | 'auth' | 'busy' | 'client-auth' | 'timeout' | 'internal';

export class SshSessionError extends Error {
  constructor(
    readonly kind: SshFailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'SshSessionError';
  }
}

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
