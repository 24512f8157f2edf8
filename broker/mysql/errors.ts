// Every failure of a MySQL session carries the error code and SQLSTATE the client will see in
// its ERR packet, so the connector answers in the client's own protocol. Messages name hosts,
// users and credential paths, never a secret.

/** The (code, SQLSTATE) pairs the broker itself sends. */
export const MysqlError = {
  /** ER_CON_COUNT_ERROR: more sessions than the connection allows. */
  tooManyConnections: { code: 1040, sqlstate: '08004' },
  /** ER_HANDSHAKE_ERROR: the client sent bytes that are not a MySQL handshake. */
  badHandshake: { code: 1043, sqlstate: '08S01' },
  /** ER_ACCESS_DENIED_ERROR: the credential is missing, unusable or refused. */
  accessDenied: { code: 1045, sqlstate: '28000' },
  /** ER_UNKNOWN_ERROR: a bug in the broker. */
  internal: { code: 1105, sqlstate: 'HY000' },
  /** ER_NET_READ_INTERRUPTED: the client stalled during the handshake. */
  clientTimeout: { code: 1159, sqlstate: '08S01' },
  /** ER_NOT_SUPPORTED_YET: a command the broker does not let through (COM_CHANGE_USER). */
  notSupported: { code: 1235, sqlstate: '42000' },
  /** ER_NOT_SUPPORTED_AUTH_MODE: the backend wants an auth plugin the broker cannot perform. */
  unsupportedAuth: { code: 1251, sqlstate: '08004' },
  /**
   * ER_CONNECT_TO_FOREIGN_DATA_SOURCE: the backend is unreachable, or its TLS identity did not
   * verify. Not CR_CONN_HOST_ERROR (2003): that is a client-side code, and libmariadb (the
   * mariadb/mysql CLI) answers an ERR carrying one before the greeting with "malformed packet"
   * instead of showing the broker's reason.
   */
  backendUnreachable: { code: 1429, sqlstate: 'HY000' },
} as const;

export interface ErrorKind {
  readonly code: number;
  readonly sqlstate: string;
}

/** A session failure with the ERR code and SQLSTATE to report to the client. */
export class MysqlSessionError extends Error {
  readonly code: number;
  readonly sqlstate: string;
  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MysqlSessionError';
    this.code = kind.code;
    this.sqlstate = kind.sqlstate;
  }
}

/** The peer broke the wire protocol (bad length, unexpected sequence id, malformed packet). */
export class ProtocolError extends MysqlSessionError {
  constructor(message: string, kind: ErrorKind = MysqlError.badHandshake) {
    super(kind, message);
    this.name = 'ProtocolError';
  }
}

/** The credential source failed, or the credential lacks a field the login needs. */
export class CredentialError extends MysqlSessionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(MysqlError.accessDenied, message, options);
    this.name = 'CredentialError';
  }
}

/** The backend could not be reached, refused TLS, or failed TLS verification. */
export class BackendConnectError extends MysqlSessionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(MysqlError.backendUnreachable, message, options);
    this.name = 'BackendConnectError';
  }
}

/**
 * The backend answered the login with an ERR packet. The client sees the backend's own code and
 * SQLSTATE; `refusedCredential` (1045) says whether a fresh credential might succeed (rotation).
 */
export class BackendRefusedError extends MysqlSessionError {
  readonly refusedCredential: boolean;
  constructor(kind: ErrorKind, message: string) {
    super(kind, message);
    this.name = 'BackendRefusedError';
    this.refusedCredential = kind.code === MysqlError.accessDenied.code;
  }
}

/** The backend asks for an authentication plugin the broker does not implement. */
export class UnsupportedAuthError extends MysqlSessionError {
  constructor(message: string) {
    super(MysqlError.unsupportedAuth, message);
    this.name = 'UnsupportedAuthError';
  }
}

/** The peer closed its socket before the handshake finished. */
export class PeerClosedError extends MysqlSessionError {
  constructor(
    readonly peer: 'client' | 'backend',
    phase: string,
  ) {
    super(peer === 'backend' ? MysqlError.backendUnreachable : MysqlError.badHandshake, `the ${peer} closed the connection while ${phase}`);
    this.name = 'PeerClosedError';
  }
}

/** A handshake phase ran out of time. */
export class PhaseTimeoutError extends MysqlSessionError {
  constructor(kind: ErrorKind, phase: string, ms: number) {
    super(kind, `timed out after ${ms} ms while ${phase}`);
    this.name = 'PhaseTimeoutError';
  }
}

/** The connection was turned off while the session was starting. */
export class SessionAbortedError extends MysqlSessionError {
  constructor() {
    super(MysqlError.backendUnreachable, 'the connection was turned off');
    this.name = 'SessionAbortedError';
  }
}

export { describeError } from '../connector-kit';
