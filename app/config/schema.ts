// The config file's schema. Each connection protocol and credential source is one variant,
// so an error names exactly the field at fault and the values that would be accepted.
import { z } from 'zod';
import { parseDurationMs } from './duration';

const duration = z
  .union([z.string(), z.number()])
  .refine((v) => parseDurationMs(v) !== undefined, { message: 'expected a duration such as 30s, 5m or 1h30m' })
  .transform((v) => parseDurationMs(v)!)
  .meta({ format: 'duration' });

const listenHint = 'expected HOST:PORT (e.g. 127.0.0.1:15432) or unix:/absolute/path';
const hostPort = z
  .string({ error: listenHint })
  .regex(/^(?:\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$|^unix:\/.+$/, { message: listenHint });

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

const mount = (name: string) =>
  z.string().default(name).describe(`Where the auth method is mounted in Vault (\`auth/<mount>\`).`);

export const AuthConfig = z.discriminatedUnion('method', [
  z
    .object({
      method: z.literal('token').describe('A Vault token: typed into the login form, or read from `tokenFile`.'),
      tokenFile: z
        .string()
        .optional()
        .describe(
          "A file holding the token (Vault Agent's token_file): Sesame logs in with it at start without asking.",
        ),
    })
    .strict()
    .describe('Token'),
  z
    .object({
      method: z.literal('userpass').describe('Username and password, typed into the login form.'),
      mount: mount('userpass'),
      username: z.string().optional().describe('Filled into the login form.'),
    })
    .strict()
    .describe('Username and password'),
  z
    .object({
      method: z.literal('approle').describe('AppRole: a role id and a secret id, for machines.'),
      mount: mount('approle'),
      roleIdFile: z
        .string()
        .optional()
        .describe(
          'A file holding the role id; with secretIdFile, Sesame logs in (and again when the token ends) without asking.',
        ),
      secretIdFile: z.string().optional().describe('A file holding the secret id.'),
    })
    .strict()
    .describe('AppRole'),
  z
    .object({
      method: z.literal('jwt').describe('A JWT signed by an issuer Vault trusts.'),
      mount: mount('jwt'),
      role: z.string().describe('The Vault role to log in as.'),
      jwtFile: z
        .string()
        .optional()
        .describe('A file holding the JWT: Sesame logs in with it without asking (re-read at each login).'),
    })
    .strict()
    .describe('JWT'),
  z
    .object({
      method: z.literal('oidc').describe("OIDC: the identity provider's sign-in page opens in the system browser."),
      mount: mount('oidc'),
      role: z.string().optional().describe("The Vault role to log in as (the mount's default_role when absent)."),
      callbackPort: port
        .default(8250)
        .describe(
          "The loopback port the browser returns to (Vault's allowed_redirect_uris must list http://localhost:<port>/oidc/callback).",
        ),
    })
    .strict()
    .describe('OIDC'),
]);
export type AuthConfig = z.infer<typeof AuthConfig>;

export const VaultConfig = z
  .object({
    address: z
      .url({ protocol: /^https?$/, message: 'expected an http(s) URL such as https://vault.example.com:8200' })
      .describe("Vault's address, e.g. https://vault.example.com:8200."),
    namespace: z
      .string()
      .optional()
      .describe('The Vault Enterprise namespace every request goes to (X-Vault-Namespace).'),
    caCert: z
      .string()
      .optional()
      .describe("A PEM file with the CA that signed Vault's TLS certificate, when the system's CAs do not."),
    auth: AuthConfig.default({ method: 'token' }).describe('How Sesame logs in to Vault.'),
    holdClientsFor: duration
      .optional()
      .describe(
        'How long a client that connects while Sesame needs a Vault login (expired, revoked, logged out) waits for one — its handshake waits too — before it is refused; 0s refuses at once (default 2m).',
      ),
  })
  .strict()
  .describe('Where Vault is and how to log in.');

export const AgentCacheConfig = z
  .object({
    persist: z
      .boolean()
      .default(false)
      .describe(
        "Keep cached tokens and leases across restarts (Vault Agent's cache persist): they are written to `agent-cache` beside this file, encrypted with AES-256-GCM under a key kept in the OS keychain, and restored at the next start while the session token is the same. KV secrets are never written. Without an OS keychain nothing is written (Settings and the log say why).",
      ),
    staticSecrets: z
      .boolean()
      .default(true)
      .describe(
        "Cache KV secrets read through the proxy (Vault Proxy's cache_static_secrets), in memory only, served only to tokens Vault has allowed to read them. Vault Proxy's default is false; Sesame's is true.",
      ),
    staticSecretRefresh: duration
      .refine((ms) => ms >= 1000, { message: 'expected at least 1s' })
      .optional()
      .describe(
        "How often each cached KV secret's readers are re-checked with sys/capabilities-self and the secret re-read (Vault Proxy's static_secret_token_capability_refresh_interval; default 30s).",
      ),
  })
  .strict();

export const AgentConfig = z
  .object({
    listen: hostPort
      .optional()
      .describe(
        'Where the Vault-Agent-compatible caching proxy listens (VAULT_AGENT_ADDR for the vault CLI and SDKs); off when absent.',
      ),
    tokenSink: z
      .string()
      .optional()
      .describe(
        "A file Sesame keeps the session token in (mode 0600) for the vault CLI, like Vault Agent's file sink; removed at logout.",
      ),
    requireRequestHeader: z
      .boolean()
      .default(true)
      .describe(
        "Refuse requests without `X-Vault-Request: true` (Vault Agent's require_request_header). The vault CLI and the Vault SDKs send it; a web page cannot, so it cannot spend your session. Set false only for a tool that cannot send it.",
      ),
    cache: AgentCacheConfig.optional().describe(
      "What the caching proxy keeps (Vault Agent's cache stanza). Tokens and leases created through the proxy are always cached in memory.",
    ),
  })
  .strict()
  .describe('The token agent: the caching proxy and the token sink.');

export const DaemonConfig = z
  .object({
    health: loopbackHostPort.optional().describe('Where `sesame daemon` serves GET /live and GET /ready.'),
  })
  .strict()
  .describe('Daemon mode (`sesame daemon`).');

const fieldMap = z.record(z.string(), z.string());
const fixedValues = fieldMap
  .optional()
  .describe('Fixed, non-secret credential fields (e.g. `username`) beside the ones fetched.');

export const CredentialsConfig = z
  .discriminatedUnion('from', [
    z
      .object({
        from: z
          .literal('vault-kv')
          .describe('A static secret in Vault KV (v1 or v2); keys `username` and `password` by default.'),
        path: z.string().min(1).describe('`secret/orders-db`: the first segment is the mount unless `mount` is given.'),
        mount: z.string().optional().describe('The KV mount, when it has slashes in it.'),
        version: z
          .union([z.literal(1), z.literal(2)])
          .default(2)
          .describe('The KV engine version.'),
        fields: fieldMap.optional().describe('Credential field → key in the secret, when the secret uses other names.'),
        values: fixedValues,
        maxAge: duration
          .default(30_000)
          .describe(
            'How long a value read is reused before Vault is asked again (default 30s); while Vault cannot answer, the last value keeps serving.',
          ),
      })
      .strict()
      .describe('Vault KV'),
    z
      .object({
        from: z
          .literal('vault-dynamic')
          .describe('Dynamic database credentials (`database/creds/<role>`): Vault creates a user.'),
        path: z.string().min(1).describe('`database/creds/<role>`.'),
        lease: z
          .enum(['shared', 'per-connection'])
          .default('shared')
          .describe(
            '`shared`: one renewed lease for all clients; `per-connection`: a fresh user per client, revoked when it leaves.',
          ),
        renewIncrement: duration.optional().describe("Asked for at each renewal (default: the lease's own TTL)."),
        values: fixedValues,
      })
      .strict()
      .describe('Vault database secrets engine'),
    z
      .object({
        from: z
          .literal('vault-ssh-sign')
          .describe("An ephemeral SSH key per connection, signed by Vault's SSH CA (`<mount>/sign/<role>`)."),
        mount: z.string().min(1).default('ssh-client-signer').describe("The SSH secrets engine's mount."),
        role: z.string().min(1).describe('The signing role.'),
        principals: z
          .array(z.string().min(1))
          .min(1)
          .describe('Users the certificate is valid for (`valid_principals`).'),
        ttl: z.string().optional().describe("Requested lifetime, e.g. `5m`; Vault caps it at the role's max_ttl."),
        extensions: fieldMap.optional().describe('Certificate extensions to ask for (e.g. `permit-pty: ""`).'),
      })
      .strict()
      .describe('Vault SSH certificates'),
    z
      .object({
        from: z.literal('env').describe("Values from Sesame's own environment."),
        fields: fieldMap.describe('Credential field → environment variable name.'),
        values: fixedValues,
      })
      .strict()
      .describe('Environment variables'),
    z
      .object({
        from: z.literal('file').describe('Values from files (read at every connection).'),
        fields: fieldMap.describe('Credential field → file whose content is the value.'),
        values: fixedValues,
      })
      .strict()
      .describe('Files'),
    z
      .object({
        from: z
          .literal('literal')
          .describe('Values written in the config itself: for tests only, never for a real password.'),
        values: fieldMap.describe('Credential field → value.'),
      })
      .strict()
      .describe('Literal (tests only)'),
  ])
  .superRefine((source, ctx) => {
    if (
      source.from === 'literal' ||
      source.from === 'vault-dynamic' ||
      source.from === 'vault-ssh-sign' ||
      !source.values ||
      !source.fields
    )
      return;
    for (const key of Object.keys(source.values)) {
      if (key in source.fields)
        ctx.addIssue({
          code: 'custom',
          path: ['values', key],
          message: `'${key}' is both fetched (fields) and fixed (values); keep one`,
        });
    }
  });
export type CredentialsConfig = z.infer<typeof CredentialsConfig>;

const connectionBase = {
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, { message: 'expected a name of letters, digits, . _ - (up to 63)' })
    .describe("The connection's name, shown everywhere and in every error its clients see."),
  listen: hostPort.describe('The local address clients connect to: a loopback HOST:PORT or unix:/path.'),
  autoStart: z
    .boolean()
    .default(false)
    .describe('Start listening when Sesame starts (the daemon starts every connection).'),
  credentials: CredentialsConfig.describe('Where the credential comes from.'),
  gui: z
    .string()
    .min(1)
    .max(1000)
    .optional()
    .describe('"Open in …": a known GUI\'s name, or a command template with {url} {host} {port} {user} {database}.'),
};
const targetHost = z.string().min(1).describe('The server to log in to.');
const caCert = z.string().optional().describe("A PEM file with the CA that signed the server's certificate.");
const insecureAllowPasswordWithoutVerifiedTls = z
  .boolean()
  .optional()
  .describe(
    'Insecure: send the password to a server TLS did not verify. Verified means sslmode verify-full ' +
      '(PostgreSQL) or verify-identity (MySQL), or a chain checked against caCert. Otherwise a PostgreSQL ' +
      "cleartext or md5 password request, or MySQL's caching_sha2_password full authentication (the password in " +
      'clear, or RSA-encrypted with a key the server sends), is refused with an error naming this setting. Set ' +
      'true to send it anyway: whoever answers at the target address then gets the password. SCRAM and the ' +
      'native/caching_sha2 scrambles never reveal the password and work without it.',
  );

export const PostgresConnectionConfig = z
  .object({
    ...connectionBase,
    protocol: z.literal('postgres').describe('PostgreSQL.'),
    target: z
      .object({
        host: targetHost,
        port: port.default(5432).describe("The server's port."),
        database: z.string().optional().describe('The database to open when the client names none.'),
        sslmode: z
          .enum(['disable', 'prefer', 'require', 'verify-ca', 'verify-full'])
          .optional()
          .describe(
            "TLS to the server, libpq's sslmode. When absent: verify-full for a host other than this machine " +
              '(with caCert, or the system CAs), prefer for localhost, 127.x.x.x and ::1.',
          ),
        caCert,
        insecureAllowPasswordWithoutVerifiedTls,
      })
      .strict()
      .describe('The PostgreSQL server.'),
  })
  .strict()
  .describe('PostgreSQL');

export const MysqlConnectionConfig = z
  .object({
    ...connectionBase,
    protocol: z.literal('mysql').describe('MySQL or MariaDB.'),
    target: z
      .object({
        host: targetHost,
        port: port.default(3306).describe("The server's port."),
        database: z.string().min(1).max(64).optional().describe('The database to use when the client names none.'),
        sslmode: z
          .enum(['disable', 'preferred', 'required', 'verify-ca', 'verify-identity'])
          .optional()
          .describe(
            "TLS to the server, the mysql client's --ssl-mode. When absent: verify-identity for a host other than " +
              'this machine (with caCert, or the system CAs), preferred for localhost, 127.x.x.x and ::1.',
          ),
        caCert,
        insecureAllowPasswordWithoutVerifiedTls,
      })
      .strict()
      .describe('The MySQL/MariaDB server.'),
  })
  .strict()
  .describe('MySQL / MariaDB');

const keyLines = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

export const SshConnectionConfig = z
  .object({
    ...connectionBase,
    protocol: z.literal('ssh').describe('SSH (ssh, scp, sftp, port forwards).'),
    target: z
      .object({
        host: targetHost,
        port: port.default(22).describe("The server's port."),
        user: z
          .string()
          .min(1)
          .optional()
          .describe("The login user upstream; when absent, the credential's `username`."),
        hostKey: keyLines.optional().describe('Accepted host key line(s): `ssh-ed25519 AAAA…`.'),
        knownHosts: z.string().min(1).optional().describe('A known_hosts file with a line for this host.'),
        hostCa: keyLines.optional().describe('Host CA public key line(s): host certificates they signed are accepted.'),
      })
      .strict()
      .refine((t) => t.hostKey !== undefined || t.knownHosts !== undefined || t.hostCa !== undefined, {
        message: 'set hostKey, knownHosts or hostCa: Sesame verifies the host it logs in to',
      })
      .describe(
        'The SSH server. One of hostKey, knownHosts or hostCa is required: Sesame verifies the host it logs in to.',
      ),
    clientAuth: z
      .discriminatedUnion('method', [
        z
          .object({ method: z.literal('none').describe('Any local client on loopback.') })
          .strict()
          .describe('none'),
        z
          .object({
            method: z.literal('publicKey').describe('Only clients holding one of these keys.'),
            publicKeys: z.array(z.string().min(1)).min(1).describe('Public key lines, as in authorized_keys.'),
          })
          .strict()
          .describe('publicKey'),
      ])
      .default({ method: 'none' })
      .describe('How the local client logs in to the broker.'),
  })
  .strict()
  .describe('SSH');

export const SshAgentConnectionConfig = z
  .object({
    ...connectionBase,
    protocol: z
      .literal('ssh-agent')
      .describe('An ssh-agent (SSH_AUTH_SOCK) holding a Vault identity; nothing can be exported from it.'),
    listen: z
      .string({ error: 'expected unix:/absolute/path (SSH_AUTH_SOCK is a unix socket)' })
      .regex(/^unix:\/.+$/, {
        message: 'expected unix:/absolute/path (SSH_AUTH_SOCK is a unix socket)',
      })
      .describe('The agent socket: unix:/absolute/path (set SSH_AUTH_SOCK to the path).'),
    key: z
      .object({
        comment: z.string().max(256).optional().describe('The comment `ssh-add -l` shows.'),
        lifetime: duration.optional().describe("How long a signed key lives before it is signed again (ssh-add's -t)."),
        confirm: z
          .boolean()
          .default(false)
          .describe(
            "Ask in the Sesame window before a new client process signs with the key (ssh-add's -c): Allow once, Allow for this session (until it exits or you log out) or Deny; no answer within 60 s is a deny. Listing keys is not asked about. Not available in `sesame daemon`, which has no one to ask.",
          ),
      })
      .strict()
      .default({ confirm: false })
      .describe('How the agent offers the key.'),
  })
  .strict()
  .describe('ssh-agent');

export const ConnectionConfig = z.discriminatedUnion('protocol', [
  PostgresConnectionConfig,
  MysqlConnectionConfig,
  SshConnectionConfig,
  SshAgentConnectionConfig,
]);
export type ConnectionConfig = z.infer<typeof ConnectionConfig>;
export type ConnectionProtocol = ConnectionConfig['protocol'];

export const SesameConfig = z
  .object({
    vault: VaultConfig,
    agent: AgentConfig.optional(),
    daemon: DaemonConfig.optional(),
    connections: z.array(ConnectionConfig).default([]).describe('The brokered connections.'),
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    config.connections.forEach((c, i) => {
      if (seen.has(c.name))
        ctx.addIssue({
          code: 'custom',
          path: ['connections', i, 'name'],
          message: `the name '${c.name}' is already used by connections[${seen.get(c.name)}]`,
        });
      seen.set(c.name, i);
    });
    const listens = new Map<string, number>();
    config.connections.forEach((c, i) => {
      if (!c.listen.endsWith(':0') && listens.has(c.listen))
        ctx.addIssue({
          code: 'custom',
          path: ['connections', i, 'listen'],
          message: `${c.listen} is already used by connections[${listens.get(c.listen)}]`,
        });
      listens.set(c.listen, i);
    });
  });
export type SesameConfig = z.infer<typeof SesameConfig>;
