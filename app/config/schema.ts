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

const fieldMap = z.record(z.string(), z.string());

export const CredentialsConfig = z.discriminatedUnion('from', [
  z.object({
    from: z.literal('vault-kv'),
    /** `secret/orders-db`: the first segment is the mount unless `mount` is given. */
    path: z.string().min(1),
    mount: z.string().optional(),
    version: z.union([z.literal(1), z.literal(2)]).default(2),
    /** Credential field → key in the secret, when the secret uses other names. */
    fields: fieldMap.optional(),
    maxAge: duration.default(30_000),
  }).strict(),
  z.object({ from: z.literal('env'), fields: fieldMap }).strict(),
  z.object({ from: z.literal('literal'), values: fieldMap }).strict(),
]);
export type CredentialsConfig = z.infer<typeof CredentialsConfig>;

const connectionBase = {
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, { message: 'expected a name of letters, digits, . _ - (up to 63)' }),
  listen: hostPort,
  /** Start listening when the app starts. */
  autoStart: z.boolean().default(false),
  credentials: CredentialsConfig,
  gui: z.string().optional(),
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

export const ConnectionConfig = z.discriminatedUnion('protocol', [PostgresConnectionConfig]);
export type ConnectionConfig = z.infer<typeof ConnectionConfig>;

export const SesameConfig = z.object({
  vault: VaultConfig,
  agent: AgentConfig.optional(),
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
