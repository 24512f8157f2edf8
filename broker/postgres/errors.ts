// Every failure of a session carries the SQLSTATE the client will see, so the connector can
// answer in the client's own protocol. Messages name paths, hosts and users, never a secret.

/** SQLSTATEs the broker itself sends (PostgreSQL appendix A). */
export const SqlState = {
  /** invalid_authorization_specification: the credential is missing, unusable or refused. */
  invalidAuthorization: '28000',
  /** connection_failure: the backend is unreachable or its TLS identity did not verify. */
  connectionFailure: '08006',
  /** protocol_violation: the peer sent bytes that are not PostgreSQL protocol. */
  protocolViolation: '08P01',
  /** feature_not_supported: e.g. an unknown major protocol version. */
  featureNotSupported: '0A000',
  /** too_many_connections. */
  tooManyConnections: '53300',
  /** internal_error: a bug in the broker. */
  internalError: 'XX000',
} as const;

/** A session failure with the SQLSTATE to report to the client. */
export class PgSessionError extends Error {
  constructor(
    readonly sqlstate: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PgSessionError';
  }
}

/** The peer broke the wire protocol (bad length, unknown message, truncated packet). */
export class ProtocolError extends PgSessionError {
  constructor(message: string) {
    super(SqlState.protocolViolation, message);
    this.name = 'ProtocolError';
  }
}

/** The credential source failed, or the credential lacks a field the protocol needs. */
export class CredentialError extends PgSessionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(SqlState.invalidAuthorization, message, options);
    this.name = 'CredentialError';
  }
}

/** The backend could not be reached, refused TLS, or failed TLS verification. */
export class BackendConnectError extends PgSessionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(SqlState.connectionFailure, message, options);
    this.name = 'BackendConnectError';
  }
}

/**
 * The backend answered with an ErrorResponse during startup. `backendCode` is its SQLSTATE;
 * `refusedCredential` says whether a fresh credential might succeed (rotation).
 */
export class BackendRefusedError extends PgSessionError {
  readonly refusedCredential: boolean;
  constructor(
    readonly backendCode: string,
    message: string,
  ) {
    const refused = backendCode === '28P01' || backendCode === '28000';
    super(refused ? SqlState.invalidAuthorization : backendCode, message);
    this.name = 'BackendRefusedError';
    this.refusedCredential = refused;
  }
}

/** The peer closed its socket before the handshake finished. */
export class PeerClosedError extends PgSessionError {
  constructor(
    readonly peer: 'client' | 'backend',
    phase: string,
  ) {
    super(SqlState.connectionFailure, `the ${peer} closed the connection while ${phase}`);
    this.name = 'PeerClosedError';
  }
}

/** A handshake phase ran out of time. */
export class PhaseTimeoutError extends PgSessionError {
  constructor(sqlstate: string, phase: string, ms: number) {
    super(sqlstate, `timed out after ${ms} ms while ${phase}`);
    this.name = 'PhaseTimeoutError';
  }
}

/** The connection was turned off while the session was starting. */
export class SessionAbortedError extends PgSessionError {
  constructor() {
    super(SqlState.connectionFailure, 'the connection was turned off');
    this.name = 'SessionAbortedError';
  }
}

export { describeError } from '../connector-kit';
