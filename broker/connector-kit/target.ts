// A connector's target as configured: parsed with the protocol's schema, every problem named by
// its field (`target.port: …`), and the CA file read once, at creation.
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
};

/** The fields every TLS-capable target shares. */
export interface TlsTargetFields {
  sslmode: string;
  caFile?: string | undefined;
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
