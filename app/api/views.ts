// View models: what the UI may know. They say *that* a credential exists (path, lease, TTL),
// never its value. Every field here is safe to log, render and send over the bridge.
import { z } from 'zod';

export const SessionState = z.enum([
  'logged-out',
  'logging-in',
  'authenticated',
  'renewing',
  'expiring',
  'expired',
  'error',
]);
export type SessionState = z.infer<typeof SessionState>;

export const AuthMethod = z.enum(['token', 'userpass', 'approle', 'jwt', 'oidc']);
export type AuthMethod = z.infer<typeof AuthMethod>;

export const SessionView = z.object({
  state: SessionState,
  vaultAddress: z.string(),
  namespace: z.string().optional(),
  method: AuthMethod.optional(),
  displayName: z.string().optional(),
  policies: z.array(z.string()).default([]),
  /** The token's accessor (not the token): safe to show, lets the user find it in Vault. */
  accessor: z.string().optional(),
  /** ISO time the token expires; absent for tokens without expiry (root). */
  expiresAt: z.string().optional(),
  renewable: z.boolean().optional(),
  /** Plain-words reason for `error` and `expired`. */
  error: z.string().optional(),
  /** While an OIDC login waits on the browser: the URL the user may copy. */
  pendingAuthUrl: z.string().optional(),
  /** Log out revokes the token (Sesame created it by logging in); otherwise it is only forgotten. */
  revokesOnLogout: z.boolean().optional(),
  /**
   * Clients held until someone logs in (oldest first): what the login panel, the tray and the
   * notification name ("psql (pid 4242) on orders-db is waiting").
   */
  waiting: z.array(z.object({ connection: z.string(), client: z.string(), since: z.string() })).optional(),
  /** How long a client that connects while a login is needed waits for it (ms; 0: refused at once). */
  holdsClientsForMs: z.number().int().nonnegative().optional(),
});
export type SessionView = z.infer<typeof SessionView>;

export const Protocol = z.enum(['postgres', 'mysql', 'ssh', 'ssh-agent', 'http']);
export type Protocol = z.infer<typeof Protocol>;

/** How people name each protocol, for the UI and for messages. */
export const PROTOCOL_LABELS: Record<Protocol, string> = {
  postgres: 'PostgreSQL',
  mysql: 'MySQL',
  ssh: 'SSH',
  'ssh-agent': 'SSH agent',
  http: 'HTTP',
};

export const ConnectionState = z.enum(['off', 'starting', 'ready', 'error']);
export type ConnectionState = z.infer<typeof ConnectionState>;

export const ConnectionStats = z.object({
  activeClients: z.number().int().nonnegative(),
  /** Clients held until someone logs in to Vault (their credential waits for the login). */
  waitingForLogin: z.number().int().nonnegative().optional(),
  sessionsServed: z.number().int().nonnegative(),
  bytesToTarget: z.number().nonnegative(),
  bytesToClient: z.number().nonnegative(),
  /** Median time the last clients waited for their credential, in ms (a per-connection lease's cost). */
  credentialWaitMs: z.number().nonnegative().optional(),
  lastError: z.string().optional(),
});
export type ConnectionStats = z.infer<typeof ConnectionStats>;

export const ConnectionView = z.object({
  name: z.string(),
  protocol: Protocol,
  state: ConnectionState,
  /** Where the user's tool connects: `127.0.0.1:15432` or `unix:/path`. */
  listen: z.string(),
  /** `host:port` of the real service, for display. */
  target: z.string(),
  /** The Vault path the credential comes from (never the credential). */
  credentialPath: z.string().optional(),
  /** A client-side connection string with no password (none is needed). */
  connectionString: z.string().optional(),
  /**
   * The CA certificate file a client verifies the local listener's TLS with (psql
   * `sslmode=verify-full sslrootcert=<file>`, mariadb `--ssl-ca=<file> --ssl-verify-server-cert`);
   * databases only. A public certificate, never a key.
   */
  tlsCaFile: z.string().optional(),
  error: z.string().optional(),
  stats: ConnectionStats,
  /**
   * Set while Vault cannot answer (down, sealed): whether new clients keep working from what
   * Sesame holds (a KV value, a shared lease, a loaded key), until when, and why.
   */
  offline: z.object({ keepsWorking: z.boolean(), until: z.string().optional(), detail: z.string() }).optional(),
  /** SSH: the local endpoint's host key (`SHA256:…`), what `ssh` asks the user to trust. */
  hostKeyFingerprint: z.string().optional(),
});
export type ConnectionView = z.infer<typeof ConnectionView>;

export const ActivityLevel = z.enum(['info', 'warn', 'error']);
export const ActivityEvent = z.object({
  id: z.string(),
  time: z.string(),
  level: ActivityLevel,
  kind: z.string(),
  message: z.string(),
  connection: z.string().optional(),
  /** A client session's address, `127.0.0.1:53122` (`local` for a unix socket). */
  client: z.string().max(200).optional(),
  /** The client's local process, when Sesame could tell (Linux): `psql`, pid 4242. */
  process: z
    .object({ pid: z.number().int().nonnegative(), name: z.string().max(200), exe: z.string().max(4096).optional() })
    .optional(),
});
export type ActivityEvent = z.infer<typeof ActivityEvent>;

export const AppInfo = z.object({
  version: z.string(),
  mode: z.enum(['electron', 'browser', 'daemon']),
  configPath: z.string(),
  /** True when no user config existed and the embedded sandbox was started instead. */
  sandbox: z.boolean(),
  /** True until the first run's form has saved a Vault address (no config file exists yet). */
  setup: z.boolean().default(false),
  /**
   * The built-in sandbox's demo logins, shown on the login form while the sandbox runs (so a
   * newcomer who logged out can log in again). Throwaway values of a throwaway Vault on
   * loopback — never present for a Vault of the user's.
   */
  sandboxLogins: z
    .array(
      z.object({
        method: z.enum(['userpass', 'oidc']),
        username: z.string(),
        password: z.string(),
        role: z.string().optional(),
      }),
    )
    .optional(),
});
export type AppInfo = z.infer<typeof AppInfo>;

/** Database GUIs Sesame knows how to start, by name (per-OS command lines in app/launchers). */
export const KnownGui = z.enum(['dbeaver', 'pgadmin4', 'datagrip', 'tableplus', 'mysql-workbench', 'beekeeper-studio']);
export type KnownGui = z.infer<typeof KnownGui>;

/** What "Open in …" / "Open terminal" started. Never carries a credential. */
export const LaunchResult = z.object({
  connection: z.string(),
  /** 'url': handed to the OS's handler for the scheme; 'command': a program was started. */
  how: z.enum(['url', 'command', 'terminal']),
  /** What was opened, in words: "TablePlus", "the handler for postgresql:// URLs", "ssh in a terminal". */
  opened: z.string(),
  /** The URL handed to the OS, when there was one (no password: none is needed). */
  url: z.string().optional(),
  /** What the user still has to do, when the program cannot be told the address. */
  hint: z.string().optional(),
});
export type LaunchResult = z.infer<typeof LaunchResult>;

/** The outcome of applying a changed config file to the running host. */
export const ReloadResult = z.object({
  added: z.array(z.string()),
  removed: z.array(z.string()),
  /** Restarted: their sessions were closed. */
  changed: z.array(z.string()),
  /** Left alone: their sessions kept running. */
  unchanged: z.array(z.string()),
  /** Settings that only take effect at the next start (e.g. `vault`). */
  restartNeeded: z.array(z.string()),
});
export type ReloadResult = z.infer<typeof ReloadResult>;

export const ConnectionRemoved = z.object({ name: z.string() });
export type ConnectionRemoved = z.infer<typeof ConnectionRemoved>;

/** Vault's health as the host last saw it (or as a check of a typed address found it). */
export const VaultHealthStatus = z.enum([
  'ok',
  'standby',
  'sealed',
  'uninitialized',
  'unreachable',
  'error',
  'unconfigured',
]);
export type VaultHealthStatus = z.infer<typeof VaultHealthStatus>;

/** Vault answers requests: an active or a standby node (or no Vault is configured yet). */
export function vaultAnswers(status: VaultHealthStatus): boolean {
  return status === 'ok' || status === 'standby' || status === 'unconfigured';
}

export const VaultHealthView = z.object({
  address: z.string(),
  status: VaultHealthStatus,
  version: z.string().optional(),
  clusterName: z.string().optional(),
  /** Plain words: what the status means for the user. */
  message: z.string(),
  checkedAt: z.string(),
});
export type VaultHealthView = z.infer<typeof VaultHealthView>;

/** The host started again (new Vault address, agent settings, first-run setup): reload everything. */
export const AppReset = z.object({ reason: z.string() });
export type AppReset = z.infer<typeof AppReset>;
