// Where a MySQL/MariaDB connection goes and how the broker logs in there. Validated once, when
// the connector is created, with errors that name the field at fault.
import { z } from 'zod';
import { backendTargetFields, resolveTlsTarget, withDefaultSslmode, type SslmodeOrigin } from '../connector-kit';

export const MYSQL_SSL_MODES = ['disable', 'preferred', 'required', 'verify-ca', 'verify-identity'] as const;
export type MysqlSslMode = (typeof MYSQL_SSL_MODES)[number];

export const mysqlTargetSchema = z
  .object({
    ...backendTargetFields,
    /** Default schema on the backend; see `databaseFrom`. */
    database: z.string().min(1).max(64).optional(),
    /**
     * disable: never TLS. preferred: TLS when the backend offers it. required: TLS or fail.
     * verify-ca: TLS with the chain verified. verify-identity: also the host name. With a
     * `caFile`, preferred and required verify the chain too. Unset: verify-identity for a host
     * other than this machine, preferred for loopback.
     */
    sslmode: z.enum(MYSQL_SSL_MODES).optional(),
    /** Whose database wins when both name one: the configured (default) or the client's. */
    databaseFrom: z.enum(['config', 'client']).default('config'),
  })
  .strict();

/** A target as written in config (defaults optional). */
export type MysqlTarget = z.input<typeof mysqlTargetSchema>;

/** A validated target with defaults applied (sslmode too) and the CA file read. */
export type ResolvedMysqlTarget = Omit<z.infer<typeof mysqlTargetSchema>, 'sslmode'> & {
  readonly sslmode: MysqlSslMode;
  readonly ca?: Buffer;
} & SslmodeOrigin;

/** The mysql client's default (preferred) stays for loopback; another host is verified fully. */
export const MYSQL_SSLMODE_DEFAULTS = { remote: 'verify-identity', loopback: 'preferred' } as const;

export class MysqlTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MysqlTargetError';
  }
}

export function resolveMysqlTarget(input: unknown): ResolvedMysqlTarget {
  const target = resolveTlsTarget(mysqlTargetSchema, input, 'mysql', (message) => new MysqlTargetError(message));
  return withDefaultSslmode<typeof target, MysqlSslMode>(target, MYSQL_SSLMODE_DEFAULTS);
}
