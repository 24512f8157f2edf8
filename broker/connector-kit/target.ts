// A connector's target as configured: parsed with the protocol's schema, every problem named by
// its field (`target.port: …`), the CA file read once, at creation, and an sslmode the config
// does not name chosen by where the server is: full verification for a host other than this
// machine, the protocol's old default for loopback.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** `timeouts.handshakeMs`: the whole connection phase (default 15 s). */
export const timeoutsSchema = z
  .object({ handshakeMs: z.number().int().min(1).max(600_000).default(15_000) })
  .strict()
  .default({ handshakeMs: 15_000 });

/** Concurrent clients a connection serves (config's `maxSessions`); more are refused in the client's protocol. */
export const maxSessionsSchema = z.number().int().min(1).max(100_000).optional();

/**
 * The fields every database target shares: where the backend is, the CA that signs its
 * certificate, the handshake timeout and the client cap (more clients are refused in the
 * client's protocol). Each protocol adds its sslmode vocabulary and how it logs in.
 */
export const backendTargetFields = {
  host: z.string().min(1).max(255),
  port: z.number().int().min(1).max(65535),
  /** PEM file of the CA(s) that sign the backend's certificate. */
  caFile: z.string().min(1).optional(),
  timeouts: timeoutsSchema,
  /** Concurrent clients this connection serves. */
  maxSessions: maxSessionsSchema,
  /**
   * Send the password (or a hash that stands for it: PostgreSQL md5) to a server that TLS did not
   * verify. Off: such a request is refused (see `password-channel.ts`). The name says what it is.
   */
  insecureAllowPasswordWithoutVerifiedTls: z.boolean().default(false),
};

/** The fields every TLS-capable target shares (sslmode unset: see `withDefaultSslmode`). */
export interface TlsTargetFields {
  host: string;
  sslmode?: string | undefined;
  caFile?: string | undefined;
}

/** True for 127.0.0.0/8, ::1 (also IPv4-mapped) and localhost: addresses only this machine answers. */
export function isLoopbackHost(host: string): boolean {
  const bare = host
    .replace(/^\[|\]$/g, '')
    .toLowerCase()
    .replace(/^::ffff:(?=\d)/, '');
  return (
    bare === 'localhost' ||
    bare.endsWith('.localhost') ||
    bare === '::1' ||
    bare === '0:0:0:0:0:0:0:1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare)
  );
}

/** The sslmode a target gets when its config names none. */
export interface SslmodeDefaults<M extends string> {
  /** For a host other than this machine: full verification. */
  readonly remote: M;
  /** For loopback: the protocol's long-standing default. */
  readonly loopback: M;
}

/** Whether the sslmode came from the config or from `withDefaultSslmode`, for error messages. */
export interface SslmodeOrigin {
  /** True when the config named no sslmode and the default for the host was taken. */
  readonly sslmodeDefaulted: boolean;
}

/** `target` with its sslmode, chosen by `defaults` when the config named none. */
export function withDefaultSslmode<T extends TlsTargetFields, M extends string>(
  target: T,
  defaults: SslmodeDefaults<M>,
): Omit<T, 'sslmode'> & { sslmode: M } & SslmodeOrigin {
  const sslmode =
    (target.sslmode as M | undefined) ?? (isLoopbackHost(target.host) ? defaults.loopback : defaults.remote);
  return { ...target, sslmode, sslmodeDefaulted: target.sslmode === undefined };
}

/**
 * What a TLS failure adds when the sslmode was not named: the config predates the default (or
 * never chose), so the message says which setting changes the outcome.
 */
export function defaultedSslmodeNote(
  target: SslmodeOrigin & { sslmode: string; host: string },
  change: string,
): string {
  if (!target.sslmodeDefaulted || isLoopbackHost(target.host)) return '';
  return `; target.sslmode is not set, and for a host other than this machine it defaults to ${target.sslmode}: ${change}`;
}

/**
 * Parses `input` with `schema`; `fail(message)` builds the protocol's target error. A `caFile`
 * is refused with sslmode `disable`, and must hold a PEM certificate.
 */
export function resolveTlsTarget<S extends z.ZodType<TlsTargetFields>>(
  schema: S,
  input: unknown,
  protocol: string,
  fail: (message: string) => Error,
): z.output<S> & { readonly ca?: Buffer } {
  type Resolved = z.output<S> & { readonly ca?: Buffer };
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `target.${i.path.join('.') || '(root)'}: ${i.message}`);
    throw fail(`invalid ${protocol} target: ${issues.join('; ')}`);
  }
  const target = parsed.data;
  if (target.caFile && target.sslmode === 'disable') {
    throw fail(`invalid ${protocol} target: target.caFile is set but target.sslmode is disable`);
  }
  if (!target.caFile) return target as Resolved;
  try {
    const ca = readFileSync(target.caFile);
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in it');
    return { ...target, ca } as Resolved;
  } catch (err) {
    throw fail(
      `invalid ${protocol} target: target.caFile: cannot read a CA certificate from ${target.caFile}: ${(err as Error).message}`,
    );
  }
}
