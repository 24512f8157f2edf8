// Where a Postgres connection goes and how the broker logs in there. Validated once, when the
// connector is created, with errors that name the field at fault.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export const postgresTargetSchema = z
  .object({
    host: z.string().min(1).max(255),
    port: z.number().int().min(1).max(65535),
    /** Database on the backend; see `databaseFrom`. */
    database: z.string().min(1).max(63).optional(),
    /** Backend user, overriding the credential's `username` (when `userFrom` is 'credential'). */
    user: z.string().min(1).max(63).optional(),
    sslmode: z.enum(SSL_MODES).default('prefer'),
    /** PEM file of the CA(s) that sign the backend's certificate. */
    caFile: z.string().min(1).optional(),
    /** Whose user name the backend login uses: the credential's, or the client's startup `user`. */
    userFrom: z.enum(['credential', 'client']).default('credential'),
    /**
     * 'config': the configured database wins; 'client': the client's startup database wins.
     * Unset: the client's, except libpq's implied default (database = user name) yields to the
     * configured database.
     */
    databaseFrom: z.enum(['config', 'client']).optional(),
    timeouts: z
      .object({ handshakeMs: z.number().int().min(1).max(600_000).default(15_000) })
      .strict()
      .default({ handshakeMs: 15_000 }),
    /** Concurrent client sessions this connection serves; more are refused with 53300. */
    maxSessions: z.number().int().min(1).max(100_000).optional(),
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
  const parsed = postgresTargetSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `target.${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new PostgresTargetError(`invalid postgres target: ${issues.join('; ')}`);
  }
  const target = parsed.data;
  if (target.caFile && target.sslmode === 'disable') {
    throw new PostgresTargetError('invalid postgres target: target.caFile is set but target.sslmode is disable');
  }
  if (!target.caFile) return target;
  try {
    const ca = readFileSync(target.caFile);
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in it');
    return { ...target, ca };
  } catch (err) {
    throw new PostgresTargetError(
      `invalid postgres target: target.caFile: cannot read a CA certificate from ${target.caFile}: ${(err as Error).message}`,
    );
  }
}
