// A connector serves one client connection of one protocol, given a way to fetch the
// credential. It owns the authentication phase toward the target and then pipes the data
// phase. It never hands the credential to the client, a log or an error message.
import type { PeerProcess } from './peer-process';
import type { Socket } from 'node:net';
import type { Logger } from './log';

/** Credential values by key (`username`, `password`, `private_key`, …) plus where they came from. */
export interface Credential {
  readonly values: Readonly<Record<string, string>>;
  /** Vault path the credential was read from, e.g. `secret/data/orders-db`. Safe to show. */
  readonly path: string;
  /** Vault lease id for dynamic secrets. Safe to show. */
  readonly leaseId?: string;
  /** Absolute time the credential stops being valid (lease end), if known. */
  readonly expiresAt?: Date;
}

export interface CredentialRequest {
  /** Drop any cached value first (the target refused it: rotation). */
  refresh?: boolean;
  /**
   * Told when fetching starts (true) and stops (false) waiting for a Vault login: the client's
   * handshake deadline waits meanwhile, and the app says who is waiting.
   */
  onHold?(held: boolean): void;
  /** Do not wait for a Vault login (a check, not a client): fail at once when there is no session. */
  noWait?: boolean;
}

export interface CredentialFetcher {
  /**
   * The credential for one client connection. `refresh: true` drops any cached value first:
   * the connector asks for it once when the target refused the cached credential (rotation).
   */
  get(options?: CredentialRequest): Promise<Credential>;
  /** The client connection that used `credential` has ended (per-connection leases end here). */
  release?(credential: Credential): Promise<void>;
  /** Where credentials come from, for error messages: `vault-kv secret/data/orders-db`. */
  readonly description: string;
  /** The connection is gone (removed, changed, app quitting): end what the source holds (leases). */
  close?(): Promise<void>;
  /** What new clients get while Vault cannot answer (absent: the source does not use Vault). */
  offlineOutlook?(): OfflineOutlook;
}

/** Whether a Vault-backed source keeps serving new clients without Vault, until when, and why. */
export interface OfflineOutlook {
  keepsWorking: boolean;
  /** The end of what it serves from (a lease's or a certificate's); absent: as long as Sesame runs. */
  until?: Date;
  /** In words, for the UI: "serving the value read at 14:02", "each client needs a new user". */
  detail: string;
}

/** Live counters for one connection; the supervisor turns them into the UI's stats. */
export interface SessionMeter {
  toTarget(bytes: number): void;
  toClient(bytes: number): void;
}

/** How a client session ended, in the audit log's words. Never carries a credential value. */
export interface SessionEnd {
  /**
   * `client`: the client closed; `server`: the target closed; `broker`: Sesame ended it (the
   * connection turned off, a limit); `refused`: refused before the data phase (the credential,
   * too many clients, the target's refusal); `error`: it failed (a protocol or network error).
   */
  by: 'client' | 'server' | 'broker' | 'refused' | 'error';
  /** What happened, in words (an error's message). */
  message?: string;
}

export interface ConnectorContext {
  /** The configured connection's name: every client-facing error names it. */
  readonly connectionName: string;
  readonly credentials: CredentialFetcher;
  readonly log: Logger;
  readonly meter: SessionMeter;
  /** Aborted when the connection is turned off: every client connection closes its sockets. */
  readonly signal: AbortSignal;
  /** This client starts (true) or stops (false) waiting for a Vault login (its credential is held). */
  waitingForLogin?(held: boolean): void;
  /** How the session ended, told once by a connector that knows (the supervisor guesses otherwise). */
  sessionEnded?(end: SessionEnd): void;
  /** The local process on the other end, as the supervisor looked it up once (undefined: unknown). */
  readonly peer?: Promise<PeerProcess | undefined>;
}

export interface Connector {
  /**
   * Serve one accepted client socket until either side closes. Resolves when the client
   * connection is over; rejects only on programming errors (protocol errors are answered to the
   * client in its own protocol and end the connection normally).
   */
  serve(client: Socket, context: ConnectorContext): Promise<void>;
}
