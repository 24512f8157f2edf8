// Where an SSH connection goes and how its host key is checked. Validated once, when the
// connector is created, with errors that name the field at fault.
import { z } from 'zod';
import { entryMatchesHost, parseKnownHosts, type KnownHostEntry } from './known-hosts';
import { parsePublicKeyLine, SshKeyError } from './keys';

const keyLines = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

export const sshTargetSchema = z
  .object({
    host: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[^\s-][^\s]*$/, 'must be a host name or address (no spaces, no leading "-")'),
    port: z.number().int().min(1).max(65535).default(22),
    /** Login user upstream; when absent, the credential's `username`, else the user the client asked for. */
    user: z.string().min(1).max(255).optional(),
    /** Accepted host key line(s): `ssh-ed25519 AAAA…`. */
    hostKey: keyLines.optional(),
    /** known_hosts text (one or more lines; `@cert-authority` and `@revoked` understood). */
    knownHosts: z.string().min(1).optional(),
    /** Host CA public key line(s): host certificates signed by them are accepted. */
    hostCa: keyLines.optional(),
    /** With no key configured: accept the first key seen and report it (onHostKeyLearned). */
    trustOnFirstUse: z.boolean().default(false),
    timeouts: z
      .object({
        /** TCP connect + key exchange + login upstream. */
        connectMs: z.number().int().min(100).max(600_000).default(20_000),
        /** Local client: from accept to a completed SSH login. */
        handshakeMs: z.number().int().min(100).max(600_000).default(30_000),
      })
      .strict()
      .default({ connectMs: 20_000, handshakeMs: 30_000 }),
    /** Keepalive both ways: a probe after this much silence. */
    keepaliveIntervalMs: z.number().int().min(1_000).max(3_600_000).default(15_000),
    /** Unanswered keepalives before the peer is considered gone. */
    keepaliveCountMax: z.number().int().min(1).max(100).default(4),
    /** Concurrent clients; more are refused with a message. */
    maxSessions: z.number().int().min(1).max(100_000).optional(),
  })
  .strict();

export type SshTarget = z.input<typeof sshTargetSchema>;

export interface ResolvedSshTarget extends Omit<z.infer<typeof sshTargetSchema>, 'hostKey' | 'hostCa' | 'knownHosts'> {
  /** Accepted plain host key blobs (from hostKey and matching known_hosts lines). */
  readonly hostKeys: readonly Buffer[];
  /** Trusted host CA key blobs (from hostCa and matching @cert-authority lines). */
  readonly hostCas: readonly Buffer[];
  /** Keys never accepted (@revoked lines). */
  readonly revoked: readonly Buffer[];
  /** Whether any host key, known_hosts line or CA was configured for this host. */
  readonly pinned: boolean;
}

export class SshTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SshTargetError';
  }
}

export function resolveSshTarget(input: unknown): ResolvedSshTarget {
  const parsed = sshTargetSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `target.${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new SshTargetError(`invalid ssh target: ${issues.join('; ')}`);
  }
  const { hostKey, hostCa, knownHosts, ...target } = parsed.data;
  const list = (value: string | string[] | undefined) =>
    value === undefined ? [] : Array.isArray(value) ? value : [value];
  try {
    const hostKeys = list(hostKey).map((line, i) => parsePublicKeyLine(line, `target.hostKey[${i}]`));
    const cas = list(hostCa).map((line, i) => parsePublicKeyLine(line, `target.hostCa[${i}]`));
    for (const key of [...hostKeys, ...cas]) {
      if (key.type.endsWith('-cert-v01@openssh.com'))
        throw new SshTargetError('invalid ssh target: target.hostKey/hostCa take plain keys, not certificates');
    }
    const entries: KnownHostEntry[] = knownHosts ? parseKnownHosts(knownHosts, 'target.knownHosts') : [];
    const forHost = entries.filter((e) => entryMatchesHost(e, target.host, target.port));
    if (knownHosts && forHost.length === 0) {
      throw new SshTargetError(
        `invalid ssh target: target.knownHosts has no line for ${target.host} port ${target.port}`,
      );
    }
    const resolved: ResolvedSshTarget = {
      ...target,
      hostKeys: [...hostKeys.map((k) => k.blob), ...forHost.filter((e) => !e.marker).map((e) => e.keyBlob)],
      hostCas: [
        ...cas.map((k) => k.blob),
        ...forHost.filter((e) => e.marker === 'cert-authority').map((e) => e.keyBlob),
      ],
      revoked: forHost.filter((e) => e.marker === 'revoked').map((e) => e.keyBlob),
      pinned: hostKeys.length > 0 || cas.length > 0 || forHost.some((e) => e.marker !== 'revoked'),
    };
    if (!resolved.pinned && !resolved.trustOnFirstUse) {
      throw new SshTargetError(
        'invalid ssh target: set target.hostKey, target.knownHosts or target.hostCa to verify the host, or opt in to target.trustOnFirstUse',
      );
    }
    return resolved;
  } catch (error) {
    if (error instanceof SshKeyError) throw new SshTargetError(`invalid ssh target: ${error.message}`);
    throw error;
  }
}
