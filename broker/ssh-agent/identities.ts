// The agent's keys: each source (a Vault-signed certificate source, a Vault KV secret holding
// a private key) yields one identity, held in memory only. Certificates are re-issued at two
// thirds of their lifetime; the previous one keeps signing until it expires, so a client that
// listed it a moment ago still succeeds.
import type { CredentialFetcher } from '../connector';
import type { Logger } from '../log';
import {
  fingerprint,
  isValidAt,
  loadPrivateKey,
  parseCertificateLine,
  samePublicKey,
  type SshCertificate,
  type SshPrivateKey,
} from '../ssh';

export interface AgentIdentitySource {
  /** `createVaultSshCertificateSource(...)`, or a fetcher whose values hold `private_key` (+ `passphrase`, `certificate`). */
  readonly credentials: CredentialFetcher;
  /** What `ssh-add -l` shows; default: the credential's path. */
  readonly comment?: string;
}

/** What the app may show about an identity: never the key. */
export interface AgentIdentityView {
  readonly source: string;
  readonly kind: 'certificate' | 'key';
  readonly fingerprint?: string;
  readonly principals?: readonly string[];
  readonly expiresAt?: Date;
  /** Why the source has no usable key right now. */
  readonly error?: string;
}

interface Generation {
  /** The blob clients see and name in sign requests (certificate or plain key). */
  readonly blob: Buffer;
  readonly key: SshPrivateKey;
  readonly comment: string;
  readonly certificate?: SshCertificate;
  readonly expiresAt?: Date;
}

interface Slot {
  readonly source: AgentIdentitySource;
  generations: Generation[];
  error?: string;
  timer?: NodeJS.Timeout;
  failures: number;
}

export interface IdentityStore {
  /** Loads every source; a failing one is logged and retried, the others still load. */
  load(): Promise<void>;
  /** The newest usable identity of each source. */
  list(): { blob: Buffer; comment: string }[];
  /** Any unexpired identity with this blob (the current one or its predecessor). */
  find(blob: Buffer): Generation | undefined;
  views(): AgentIdentityView[];
  close(): void;
}

const MAX_RETRY_MS = 60_000;

function toGeneration(
  source: AgentIdentitySource,
  values: Readonly<Record<string, string>>,
  path: string,
  expiresAt: Date | undefined,
): Generation {
  const privateKey = values.private_key;
  if (!privateKey) throw new Error(`the credential at ${path} has no private_key`);
  const key = loadPrivateKey(privateKey, values.passphrase, `the private_key at ${path}`);
  const comment = source.comment ?? path;
  if (!values.certificate) return { blob: key.publicBlob, key, comment };
  const certificate = parseCertificateLine(values.certificate, `the certificate at ${path}`);
  if (!samePublicKey(certificate.publicKeyBlob, key.publicBlob))
    throw new Error(`the certificate at ${path} does not certify its private_key`);
  return { blob: certificate.blob, key, comment, certificate, expiresAt: certificate.validBefore ?? expiresAt };
}

export function createIdentityStore(sources: readonly AgentIdentitySource[], log: Logger): IdentityStore {
  const slots: Slot[] = sources.map((source) => ({ source, generations: [], failures: 0 }));
  let closed = false;
  const usable = (g: Generation, now = new Date()) =>
    g.certificate ? isValidAt(g.certificate, now) : g.expiresAt === undefined || now < g.expiresAt;

  function schedule(slot: Slot, delayMs: number): void {
    clearTimeout(slot.timer);
    if (closed) return;
    slot.timer = setTimeout(() => void refresh(slot), Math.max(0, Math.min(delayMs, 2 ** 31 - 1)));
    slot.timer.unref();
  }

  async function refresh(slot: Slot, first = false): Promise<void> {
    const description = slot.source.credentials.description;
    try {
      const credential = await slot.source.credentials.get(first ? undefined : { refresh: true });
      const generation = toGeneration(slot.source, credential.values, credential.path, credential.expiresAt);
      const now = new Date();
      slot.generations = [generation, ...slot.generations.filter((g) => usable(g, now))].slice(0, 2);
      slot.error = undefined;
      slot.failures = 0;
      if (generation.expiresAt) {
        const lifetime = generation.expiresAt.getTime() - now.getTime();
        schedule(slot, (lifetime * 2) / 3);
        log.info('agent identity loaded', {
          source: description,
          fingerprint: fingerprint(generation.key.publicBlob),
          expiresAt: generation.expiresAt.toISOString(),
        });
      } else {
        log.info('agent identity loaded', { source: description, fingerprint: fingerprint(generation.key.publicBlob) });
      }
    } catch (error) {
      slot.failures++;
      slot.error = (error as Error).message;
      const retry = Math.min(MAX_RETRY_MS, 1_000 * 2 ** (slot.failures - 1));
      log.warn('agent identity could not be loaded; retrying', {
        source: description,
        error: slot.error,
        retryMs: retry,
      });
      schedule(slot, retry);
    }
  }

  return {
    async load() {
      await Promise.all(slots.map((slot) => refresh(slot, true)));
    },
    list() {
      const now = new Date();
      return slots.flatMap((slot) => {
        const current = slot.generations.find((g) => usable(g, now));
        return current ? [{ blob: current.blob, comment: current.comment }] : [];
      });
    },
    find(blob) {
      const now = new Date();
      for (const slot of slots) {
        const match = slot.generations.find((g) => g.blob.equals(blob) && usable(g, now));
        if (match) return match;
      }
      return undefined;
    },
    views() {
      const now = new Date();
      return slots.map((slot) => {
        const current = slot.generations.find((g) => usable(g, now));
        const base = {
          source: slot.source.credentials.description,
          kind: current?.certificate ? ('certificate' as const) : ('key' as const),
        };
        if (!current) return { ...base, error: slot.error ?? 'no usable key (expired)' };
        return {
          ...base,
          fingerprint: fingerprint(current.key.publicBlob),
          ...(current.certificate ? { principals: current.certificate.principals } : {}),
          ...(current.expiresAt ? { expiresAt: current.expiresAt } : {}),
        };
      });
    },
    close() {
      closed = true;
      for (const slot of slots) clearTimeout(slot.timer);
    },
  };
}
