// The contract between the core (routing, tokens, ACL, leases, wrapping) and the pluggable
// backends mounted under it: secrets engines (kv, database, ssh) and auth methods (userpass,
// approle, jwt, oidc). A backend sees only its own paths, relative to its mount, and answers
// with plain data; the core builds Vault's envelope, mints tokens and tracks leases.
import type { IncomingHttpHeaders } from 'node:http';

/** Vault's logical operations; they are also the ACL capabilities a request needs. */
export type Operation = 'read' | 'list' | 'create' | 'update' | 'delete' | 'patch';

export interface BackendRequest {
  operation: Operation;
  /** Path relative to the mount, no leading slash: "login/alice", "data/app/db", "". */
  path: string;
  /** The JSON body (always an object; `{}` for GET/DELETE/LIST or an empty body). */
  body: Record<string, unknown>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The calling token, or undefined on unauthenticated paths (logins). */
  token?: CallerToken;
  /** Namespace path of the request: "" for root, "team-a/" otherwise. */
  namespace: string;
  /** Where the request came from (login endpoints may bind to CIDRs). */
  remoteAddress: string;
}

export interface CallerToken {
  id: string;
  accessor: string;
  policies: string[];
  displayName: string;
  meta: Record<string, string> | null;
  /** True when the token holds `sudo` on the requested path (or is root). */
  sudo: boolean;
}

/** What a successful login asks the core to mint (the token is always an orphan). */
export interface LoginResult {
  policies: string[];
  /** Becomes `auth.metadata` and the token's `meta`. */
  metadata?: Record<string, string>;
  displayName: string;
  /** Seconds; 0 means the mount default. */
  ttl?: number;
  /** Seconds; 0 means the mount/system max. */
  maxTtl?: number;
  explicitMaxTtl?: number;
  period?: number;
  numUses?: number;
  renewable?: boolean;
  noDefaultPolicy?: boolean;
  /** Data the backend wants back on renewal (e.g. the username), never shown to clients. */
  internal?: Record<string, unknown>;
}

/** A secret the core turns into a lease owned by the calling token. */
export interface LeasedSecret {
  /** Seconds; 0 means the mount default. */
  ttl: number;
  /** Seconds; 0 means the mount/system max. */
  maxTtl: number;
  renewable: boolean;
  /** Handed back to revokeLease/renewLease (e.g. the database username). */
  internal: Record<string, unknown>;
}

export interface BackendResponse {
  /** `data` of the envelope; null/absent with nothing else means 204. */
  data?: Record<string, unknown> | null;
  warnings?: string[];
  /** Auth methods: mint a token and answer with the `auth` block. */
  login?: LoginResult;
  /** Secrets engines: create a lease; `lease_id` is `<mount><request path>/<id>`. */
  secret?: LeasedSecret;
  /** `lease_duration` of data that has no lease (KV v1 answers its `ttl` refresh hint). */
  leaseDuration?: number;
  /** Status other than 200 with an envelope (KV v2 answers 404 with data for deleted versions). */
  status?: number;
  /** A non-envelope answer (e.g. `ssh/public_key` as text). */
  raw?: { status: number; contentType: string; body: string };
  /** Extra top-level envelope fields (sys/mounts repeats its map at the top, as Vault does). */
  topLevel?: Record<string, unknown>;
}

export interface LeaseInfo {
  id: string;
  /** Seconds the lease lasts now (after a renewal request was capped). */
  ttl: number;
  internal: Record<string, unknown>;
}

export interface RenewRequest {
  /** Requested increment in seconds (0: the backend's choice). */
  increment: number;
  internal: Record<string, unknown>;
}

export interface Backend {
  /**
   * Paths, relative to the mount, that need no token: exact ("login") or with a trailing `*`
   * ("login/*"). Logins live here.
   */
  readonly unauthenticatedPaths?: readonly string[];
  /** Paths that also need `sudo` (relative, same syntax). */
  readonly sudoPaths?: readonly string[];
  handle(req: BackendRequest): Promise<BackendResponse | undefined>;
  /**
   * For POST/PUT: does the target already exist? Decides whether the ACL needs `create`
   * (absent) or `update` (present). Without it every write is an `update`, as in Vault.
   */
  exists?(req: BackendRequest): Promise<boolean>;
  /** A lease this backend created expired or was revoked: undo it (drop the user...). */
  revokeLease?(lease: LeaseInfo): Promise<void>;
  /** A lease is being renewed; throw a VaultError to refuse. */
  renewLease?(req: RenewRequest): Promise<void>;
  /** A token minted by this auth method is being renewed; throw a VaultError to refuse. */
  renewLogin?(req: RenewRequest): Promise<void>;
  /** The mount is being disabled or the server stopped. */
  close?(): Promise<void>;
}

export interface MountConfig {
  /** Seconds; 0 = system default (768h). */
  defaultLeaseTtl: number;
  /** Seconds; 0 = system max (768h). */
  maxLeaseTtl: number;
}

export interface MountContext {
  /** "secret/", "auth/userpass/" (always with a trailing slash). */
  path: string;
  type: string;
  accessor: string;
  /** `options` given at enable time (kv: `{version: "2"}`). */
  options: Record<string, string>;
  namespace: string;
  /** Effective TTLs of the mount, read at call time (tune may change them). */
  config(): { defaultLeaseTtl: number; maxLeaseTtl: number };
  /** Revoke every lease under this mount's prefix + `prefix` (used by role deletion etc.). */
  revokeLeasesWithPrefix(prefix: string): Promise<void>;
}

export type BackendFactory = (ctx: MountContext) => Backend;
