// PostgreSQL's codes for the broker's failures (the classes are broker/connector-kit/errors.ts):
// every failure a client sees carries a SQLSTATE.
import type { ErrorCodes, PhaseDeadline } from '../connector-kit';

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

/** The SQLSTATE of each failure role. */
export const PG_CODES: ErrorCodes<string> = {
  protocolViolation: SqlState.protocolViolation,
  credential: SqlState.invalidAuthorization,
  backendUnreachable: SqlState.connectionFailure,
  clientClosed: SqlState.connectionFailure,
  backendClosed: SqlState.connectionFailure,
  aborted: SqlState.connectionFailure,
  tooManyClients: SqlState.tooManyConnections,
  internal: SqlState.internalError,
};

/** The handshake's clock; each phase names the SQLSTATE a timeout there reports. */
export type Deadline = PhaseDeadline<string>;
