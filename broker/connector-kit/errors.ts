// One set of failure classes for every connector. Each instance carries the code the client
// will see: a SQLSTATE for PostgreSQL, an ERR code and SQLSTATE for MySQL, the failure kind
// that picks SSH's DISCONNECT reason. A class whose code follows from its role takes the
// protocol's code table; one whose code depends on the case takes the code. Messages name
// paths, hosts and users, never a secret, so they can be shown to the client as they are.

/** A protocol's code for each role (PostgreSQL: `SqlState`, MySQL: `MysqlError`, SSH: its kinds). */
export interface ErrorCodes<C> {
  /** The peer sent bytes that are not the protocol. */
  readonly protocolViolation: C;
  /** The credential could not be had, lacks a field, or was refused even after a fresh fetch. */
  readonly credential: C;
  /** The backend cannot be reached or used; also a timeout before any phase named its own code. */
  readonly backendUnreachable: C;
  /** The client, or the backend, closed its socket in the middle of the handshake. */
  readonly clientClosed: C;
  readonly backendClosed: C;
  /** The connection was turned off. */
  readonly aborted: C;
  /** More clients than `maxSessions`. */
  readonly tooManyClients: C;
  /** A bug in the broker. */
  readonly internal: C;
}

/**
 * How a failure is told to the client, when that differs from the logged `message`: the real
 * server's own words (MySQL's "Bad handshake"), a detail line, or nothing at all — a real server
 * closes on some bad input without a word (PostgreSQL's COMMERROR: logged, never sent).
 */
export interface ClientAnswer {
  /** What the client sees in place of `message`; `null`: close without a word (the log keeps `message`). */
  readonly clientMessage?: string | null;
  /** A second line for protocols that carry one (PostgreSQL's DETAIL). */
  readonly detail?: string;
}

/** Why a client connection failed, with the code its protocol reports it with. */
export class ClientConnectionError<C = unknown> extends Error {
  /** See ClientAnswer; undefined: the client sees `message`. */
  readonly clientMessage: string | null | undefined;
  readonly detail: string | undefined;
  constructor(
    readonly code: C,
    message: string,
    options?: { cause?: unknown } & ClientAnswer,
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ClientConnectionError';
    this.clientMessage = options?.clientMessage;
    this.detail = options?.detail;
  }
}

/** Whether `err` can be answered to the client as it is (anything else is a bug in the broker). */
export function isAnswerable<C>(err: unknown): err is ClientConnectionError<C> {
  // A credential source's own CredentialError has no code until a connector wraps it.
  return err instanceof ClientConnectionError && err.code !== undefined;
}

/** The peer broke the wire protocol (bad length, unknown message, truncated packet). */
export class ProtocolViolationError<C> extends ClientConnectionError<C> {
  constructor(codes: ErrorCodes<C>, message: string, answer?: ClientAnswer & { code?: C }) {
    super(answer?.code ?? codes.protocolViolation, message, answer);
    this.name = 'ProtocolViolationError';
  }
}

export type CredentialErrorKind =
  'missing-field' | 'not-found' | 'vault' | 'no-session' | 'config' | 'unusable' | 'refused';

/**
 * Why a credential could not be had or used. Credential sources throw it without a code (they
 * know no protocol); a connector raises it, or wraps a source's, with its protocol's code.
 */
export class CredentialError<C = undefined> extends ClientConnectionError<C> {
  constructor(
    readonly kind: CredentialErrorKind,
    message: string,
    /** The VaultError kind when the cause was Vault (unreachable, sealed, permission-denied…). */
    readonly vaultKind?: string,
    options?: { code: C; cause?: unknown },
  ) {
    super(options?.code as C, message, options);
    this.name = 'CredentialError';
  }
}

/** The backend cannot be reached or used: TCP, TLS refused or not verified, a broken handshake. */
export class BackendUnreachableError<C> extends ClientConnectionError<C> {
  constructor(codes: ErrorCodes<C>, message: string, options?: { cause?: unknown }) {
    super(codes.backendUnreachable, message, options);
    this.name = 'BackendUnreachableError';
  }
}

/**
 * The backend refused the login. The client sees `code` (usually the backend's own);
 * `refusedCredential` says whether a fresh credential might succeed (rotation).
 */
export class BackendRefusedError<C> extends ClientConnectionError<C> {
  constructor(
    code: C,
    message: string,
    readonly refusedCredential: boolean,
  ) {
    super(code, message);
    this.name = 'BackendRefusedError';
  }
}

/** The peer closed its socket before the handshake finished. A client that left is told nothing. */
export class PeerClosedError<C> extends ClientConnectionError<C> {
  constructor(
    codes: ErrorCodes<C>,
    readonly peer: 'client' | 'backend',
    phase: string,
  ) {
    super(
      peer === 'client' ? codes.clientClosed : codes.backendClosed,
      `the ${peer} closed the connection while ${phase}`,
      peer === 'client' ? { clientMessage: null } : undefined,
    );
    this.name = 'PeerClosedError';
  }
}

/**
 * A handshake phase ran out of time; the phase chose the code, and whether the client is told
 * (a real server lets a client that stalls its own startup go without a word).
 */
export class PhaseTimeoutError<C> extends ClientConnectionError<C> {
  constructor(code: C, phase: string, ms: number, answer?: ClientAnswer) {
    super(code, `timed out after ${ms} ms while ${phase}`, answer);
    this.name = 'PhaseTimeoutError';
  }
}

/** The connection was turned off while the client connection was starting. */
export class AbortedError<C> extends ClientConnectionError<C> {
  constructor(codes: ErrorCodes<C>) {
    super(codes.aborted, 'the connection was turned off');
    this.name = 'AbortedError';
  }
}

/** More clients than the connection's `maxSessions`. */
export class TooManyClientsError<C> extends ClientConnectionError<C> {
  constructor(codes: ErrorCodes<C>, message: string) {
    super(codes.tooManyClients, message);
    this.name = 'TooManyClientsError';
  }
}

/** Something the broker does not do: a protocol version, an auth method, a command. */
export class UnsupportedError<C> extends ClientConnectionError<C> {
  constructor(code: C, message: string, answer?: ClientAnswer) {
    super(code, message, answer);
    this.name = 'UnsupportedError';
  }
}

/** A bug in the broker: the client is told only that much; the log has the rest. */
export class InternalError<C> extends ClientConnectionError<C> {
  constructor(codes: ErrorCodes<C>) {
    super(codes.internal, 'internal error in the broker (see its log)');
    this.name = 'InternalError';
  }
}

/** A short, safe description of any thrown value (errors from our code never hold secrets). */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * The backend asked for the password where TLS did not verify who receives it (a cleartext or
 * md5 request without verified TLS; MySQL's full authentication or RSA key exchange): the broker
 * sent nothing. The client sees the protocol's credential code and which setting would change it.
 */
export class UnverifiedChannelError<C> extends ClientConnectionError<C> {
  constructor(codes: ErrorCodes<C>, message: string) {
    super(codes.credential, message);
    this.name = 'UnverifiedChannelError';
  }
}
