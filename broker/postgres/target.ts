// Where a Postgres connection goes and how the broker logs in there. Validated once, when the
// connector is created, with errors that name the field at fault.
import { z } from 'zod';
import { backendTargetFields, resolveTlsTarget } from '../connector-kit';

export const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export const postgresTargetSchema = z
  .object({
    ...backendTargetFields,
    /** Database on the backend; see `databaseFrom`. */
    database: z.string().min(1).max(63).optional(),
    /** Backend user, overriding the credential's `username` (when `userFrom` is 'credential'). */
    user: z.string().min(1).max(63).optional(),
    sslmode: z.enum(SSL_MODES).default('prefer'),
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

/** A validated target with defaults applied and the CA file read. */
export type ResolvedPostgresTarget = z.infer<typeof postgresTargetSchema> & { readonly ca?: Buffer };

export class PostgresTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PostgresTargetError';
  }
}

export function resolvePostgresTarget(input: unknown): ResolvedPostgresTarget {
  return resolveTlsTarget(postgresTargetSchema, input, 'postgres', (message) => new PostgresTargetError(message));
}
