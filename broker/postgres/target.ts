// Where a Postgres connection goes and how the broker logs in there. Validated once, when the
// connector is created, with errors that name the field at fault.
import { z } from 'zod';
import { backendTargetFields, resolveTlsTarget, withDefaultSslmode, type SslmodeOrigin } from '../connector-kit';

export const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export const postgresTargetSchema = z
  .object({
    ...backendTargetFields,
    /** Database on the backend; see `databaseFrom`. */
    database: z.string().min(1).max(63).optional(),
    /** Backend user, overriding the credential's `username` (when `userFrom` is 'credential'). */
    user: z.string().min(1).max(63).optional(),
    /** Unset: verify-full for a host other than this machine, prefer for loopback. */
    sslmode: z.enum(SSL_MODES).optional(),
    /** Whose user name the backend login uses: the credential's, or the client's startup `user`. */
    userFrom: z.enum(['credential', 'client']).default('credential'),
    /**
     * 'config': the configured database wins; 'client': the client's startup database wins.
     * Unset: the client's, except libpq's implied default (database = user name) yields to the
     * configured database.
     */
    databaseFrom: z.enum(['config', 'client']).optional(),
  })
  .strict();

/** A target as written in config (defaults optional). */
export type PostgresTarget = z.input<typeof postgresTargetSchema>;

/** A validated target with defaults applied (sslmode too) and the CA file read. */
export type ResolvedPostgresTarget = Omit<z.infer<typeof postgresTargetSchema>, 'sslmode'> & {
  readonly sslmode: SslMode;
  readonly ca?: Buffer;
} & SslmodeOrigin;

/** libpq's default (prefer) stays for loopback; another host is verified fully unless the config says otherwise. */
export const POSTGRES_SSLMODE_DEFAULTS = { remote: 'verify-full', loopback: 'prefer' } as const;

export class PostgresTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PostgresTargetError';
  }
}

export function resolvePostgresTarget(input: unknown): ResolvedPostgresTarget {
  const target = resolveTlsTarget(
    postgresTargetSchema,
    input,
    'postgres',
    (message) => new PostgresTargetError(message),
  );
  return withDefaultSslmode<typeof target, SslMode>(target, POSTGRES_SSLMODE_DEFAULTS);
}
