// The config file's schema. Each connection protocol and credential source is one variant,
// so an error names exactly the field at fault and the values that would be accepted.
import { z } from 'zod';
import { parseDurationMs } from './duration';

const duration = z
  .union([z.string(), z.number()])
  .refine((v) => parseDurationMs(v) !== undefined, { message: 'expected a duration such as 30s, 5m or 1h30m' })
  .transform((v) => parseDurationMs(v)!);

const listenHint = 'expected HOST:PORT (e.g. 127.0.0.1:15432) or unix:/absolute/path';
const hostPort = z.string({ error: listenHint }).regex(/^(?:\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$|^unix:\/.+$/, { message: listenHint });

const loopbackHint = 'expected a loopback HOST:PORT such as 127.0.0.1:8480 (127.x.x.x, [::1] or localhost)';
/** True for 127.0.0.0/8, ::1 and localhost: the addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}
const loopbackHostPort = z
  .string({ error: loopbackHint })
  .regex(/^(?:\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, { message: loopbackHint })
  .refine((v) => isLoopbackHost(v.slice(0, v.lastIndexOf(':'))), { message: loopbackHint });

const port = z.number().int().min(1).max(65535);

export const AuthConfig = z.discriminatedUnion('method', [
  z.object({
    method: z.literal('token'),
    /** A file holding the token (Vault Agent's token_file): logs in at start without asking. */
    tokenFile: z.string().optional(),
  }).strict(),
  z.object({ method: z.literal('userpass'), mount: z.string().default('userpass'), username: z.string().optional() }).strict(),
  z.object({ method: z.literal('approle'), mount: z.string().default('approle'), roleIdFile: z.string().optional(), secretIdFile: z.string().optional() }).strict(),
  z.object({ method: z.literal('jwt'), mount: z.string().default('jwt'), role: z.string(), jwtFile: z.string().optional() }).strict(),
  z.object({ method: z.literal('oidc'), mount: z.string().default('oidc'), role: z.string().optional(), callbackPort: port.default(8250) }).strict(),
]);
export type AuthConfig = z.infer<typeof AuthConfig>;

export const VaultConfig = z.object({
  address: z.url({ protocol: /^https?$/, message: 'expected an http(s) URL such as https://vault.example.com:8200' }),
  namespace: z.string().optional(),
  caCert: z.string().optional(),
  auth: AuthConfig.default({ method: 'token' }),
}).strict();

export const AgentConfig = z.object({
  listen: hostPort.optional(),
  tokenSink: z.string().optional(),
}).strict();

/** Daemon mode (`sesame daemon`): where the /live and /ready endpoints listen. */
export const DaemonConfig = z.object({
  health: loopbackHostPort.optional(),
}).strict();

const fieldMap = z.record(z.string(), z.string());
/** Fixed, non-secret credential fields (e.g. the user name) beside the ones fetched. */
const fixedValues = fieldMap.optional();

export const CredentialsConfig = z.discriminatedUnion('from', [
  z.object({
    from: z.literal('vault-kv'),
    /** `secret/orders-db`: the first segment is the mount unless `mount` is given. */
    path: z.string().min(1),
    mount: z.string().optional(),
    version: z.union([z.literal(1), z.literal(2)]).default(2),
    /** Credential field → key in the secret, when the secret uses other names. */
    fields: fieldMap.optional(),
    values: fixedValues,
    maxAge: duration.default(30_000),
  }).strict(),
  /** Dynamic database credentials: one renewed lease for all clients, or a fresh user per client. */
  z.object({
    from: z.literal('vault-dynamic'),
    /** `database/creds/<role>` */
    path: z.string().min(1),
    lease: z.enum(['shared', 'per-connection']).default('shared'),
    /** Seconds asked for at each renewal (default: the lease's own TTL). */
    renewIncrement: duration.optional(),
    values: fixedValues,
  }).strict(),
  /** An ephemeral SSH key per connection, signed by Vault's SSH CA (`<mount>/sign/<role>`). */
  z.object({
    from: z.literal('vault-ssh-sign'),
    mount: z.string().min(1).default('ssh-client-signer'),
    role: z.string().min(1),
    /** Users the certificate is valid for (`valid_principals`). */
    principals: z.array(z.string().min(1)).min(1),
    /** Requested lifetime, e.g. `5m`; Vault caps it at the role's max_ttl. */
    ttl: z.string().optional(),
    extensions: fieldMap.optional(),
  }).strict(),
  /** Credential field → environment variable name. */
  z.object({ from: z.literal('env'), fields: fieldMap, values: fixedValues }).strict(),
  /** Credential field → file whose content is the value (read at every connection). */
  z.object({ from: z.literal('file'), fields: fieldMap, values: fixedValues }).strict(),
  z.object({ from: z.literal('literal'), values: fieldMap }).strict(),
]).superRefine((source, ctx) => {
  if (source.from === 'literal' || source.from === 'vault-dynamic' || source.from === 'vault-ssh-sign' || !source.values || !source.fields) return;
  for (const key of Object.keys(source.values)) {
    if (key in source.fields) ctx.addIssue({ code: 'custom', path: ['values', key], message: `'${key}' is both fetched (fields) and fixed (values); keep one` });
  }
});
export type CredentialsConfig = z.infer<typeof CredentialsConfig>;

const connectionBase = {
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, { message: 'expected a name of letters, digits, . _ - (up to 63)' }),
  listen: hostPort,
  /** Start listening when the app starts. */
  autoStart: z.boolean().default(false),
  credentials: CredentialsConfig,
  /** "Open in …": a known GUI's name or a command template with {url} {host} {port} {user} {database}. */
  gui: z.string().min(1).max(1000).optional(),
};

export const PostgresConnectionConfig = z.object({
  ...connectionBase,
  protocol: z.literal('postgres'),
  target: z.object({
    host: z.string().min(1),
    port: port.default(5432),
    database: z.string().optional(),
    sslmode: z.enum(['disable', 'prefer', 'require', 'verify-ca', 'verify-full']).default('prefer'),
    caCert: z.string().optional(),
  }).strict(),
}).strict();

export const MysqlConnectionConfig = z.object({
  ...connectionBase,
  protocol: z.literal('mysql'),
  target: z.object({
    host: z.string().min(1),
    port: port.default(3306),
    database: z.string().min(1).max(64).optional(),
    sslmode: z.enum(['disable', 'preferred', 'required', 'verify-ca', 'verify-identity']).default('preferred'),
    caCert: z.string().optional(),
  }).strict(),
}).strict();

const keyLines = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

export const SshConnectionConfig = z.object({
  ...connectionBase,
  protocol: z.literal('ssh'),
  target: z.object({
    host: z.string().min(1),
    port: port.default(22),
    /** Login user upstream; when absent, the credential's `username`. */
    user: z.string().min(1).optional(),
    /** Accepted host key line(s): `ssh-ed25519 AAAA…`. */
    hostKey: keyLines.optional(),
    /** A known_hosts file (path) with a line for this host. */
    knownHosts: z.string().min(1).optional(),
    /** Host CA public key line(s): host certificates they signed are accepted. */
    hostCa: keyLines.optional(),
  }).strict().refine((t) => t.hostKey !== undefined || t.knownHosts !== undefined || t.hostCa !== undefined, {
    message: 'set hostKey, knownHosts or hostCa: Sesame verifies the host it logs in to',
  }),
  /** How the local client logs in to the broker: `none` (loopback only) or one of these public keys. */
  clientAuth: z.discriminatedUnion('method', [
    z.object({ method: z.literal('none') }).strict(),
    z.object({ method: z.literal('publicKey'), publicKeys: z.array(z.string().min(1)).min(1) }).strict(),
  ]).default({ method: 'none' }),
}).strict();

export const SshAgentConnectionConfig = z.object({
  ...connectionBase,
  protocol: z.literal('ssh-agent'),
  listen: z.string({ error: 'expected unix:/absolute/path (SSH_AUTH_SOCK is a unix socket)' }).regex(/^unix:\/.+$/, {
    message: 'expected unix:/absolute/path (SSH_AUTH_SOCK is a unix socket)',
  }),
  /** How the agent offers the key (ssh-add's -c and -t). */
  key: z.object({
    comment: z.string().max(256).optional(),
    lifetime: duration.optional(),
    confirm: z.boolean().default(false),
  }).strict().default({ confirm: false }),
}).strict();

export const ConnectionConfig = z.discriminatedUnion('protocol', [
  PostgresConnectionConfig,
  MysqlConnectionConfig,
  SshConnectionConfig,
  SshAgentConnectionConfig,
]);
export type ConnectionConfig = z.infer<typeof ConnectionConfig>;
export type ConnectionProtocol = ConnectionConfig['protocol'];

export const SesameConfig = z.object({
  vault: VaultConfig,
  agent: AgentConfig.optional(),
  daemon: DaemonConfig.optional(),
  connections: z.array(ConnectionConfig).default([]),
}).strict().superRefine((config, ctx) => {
  const seen = new Map<string, number>();
  config.connections.forEach((c, i) => {
    if (seen.has(c.name)) ctx.addIssue({ code: 'custom', path: ['connections', i, 'name'], message: `the name '${c.name}' is already used by connections[${seen.get(c.name)}]` });
    seen.set(c.name, i);
  });
  const listens = new Map<string, number>();
  config.connections.forEach((c, i) => {
    if (!c.listen.endsWith(':0') && listens.has(c.listen)) ctx.addIssue({ code: 'custom', path: ['connections', i, 'listen'], message: `${c.listen} is already used by connections[${listens.get(c.listen)}]` });
    listens.set(c.listen, i);
  });
});
export type SesameConfig = z.infer<typeof SesameConfig>;
