// MySQL's codes for the broker's failures (the classes are broker/connector-kit/errors.ts):
// every failure a client sees carries the error code and SQLSTATE of its ERR packet.
import type { ErrorCodes, PhaseDeadline } from '../connector-kit';

/** The (code, SQLSTATE) pairs the broker itself sends. */
export const MysqlError = {
  /** ER_CON_COUNT_ERROR: more clients than the connection allows. */
  tooManyConnections: { code: 1040, sqlstate: '08004' },
  /** ER_HANDSHAKE_ERROR: the client sent bytes that are not a MySQL handshake. */
  badHandshake: { code: 1043, sqlstate: '08S01' },
  /** ER_ACCESS_DENIED_ERROR: the credential is missing, unusable or refused. */
  accessDenied: { code: 1045, sqlstate: '28000' },
  /** ER_UNKNOWN_ERROR: a bug in the broker. */
  internal: { code: 1105, sqlstate: 'HY000' },
  /** ER_NET_READ_INTERRUPTED: the client stalled during the handshake (it is let go without a word). */
  clientTimeout: { code: 1159, sqlstate: '08S01' },
  /** ER_NET_PACKETS_OUT_OF_ORDER: "Got packets out of order", a client packet with the wrong sequence id. */
  packetsOutOfOrder: { code: 1156, sqlstate: '08S01' },
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

/** What an ERR packet carries besides its message. */
export interface MysqlCode {
  readonly code: number;
  readonly sqlstate: string;
}

/** The ERR of each failure role. */
export const MYSQL_CODES: ErrorCodes<MysqlCode> = {
  protocolViolation: MysqlError.badHandshake,
  credential: MysqlError.accessDenied,
  backendUnreachable: MysqlError.backendUnreachable,
  clientClosed: MysqlError.badHandshake,
  backendClosed: MysqlError.backendUnreachable,
  aborted: MysqlError.backendUnreachable,
  tooManyClients: MysqlError.tooManyConnections,
  internal: MysqlError.internal,
};

/** The handshake's clock; each phase names the ERR a timeout there reports. */
export type Deadline = PhaseDeadline<MysqlCode>;
