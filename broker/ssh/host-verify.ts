// Upstream host key verification: the configured key(s), known_hosts lines, a host CA, or
// trust-on-first-use when the config opts in. A refusal carries a message for the user that
// says which key was seen and what was expected (fingerprints only).
import { samePublicKey } from './certificate';
import { checkHostCertificate, fetchHostCertificates } from './host-ca';
import { fingerprint, publicKeyLine } from './keys';
import type { ResolvedSshTarget } from './target';

export interface HostKeyLearned {
  readonly host: string;
  readonly port: number;
  /** `ssh-ed25519 AAAA…`: what the app records as target.hostKey. */
  readonly publicKey: string;
  readonly fingerprint: string;
}

export type HostKeyDecision =
  { accepted: true; how: 'pinned' | 'learned' | 'certificate' | 'first-use' } | { accepted: false; reason: string };

export interface HostVerifier {
  check(presented: Buffer): Promise<HostKeyDecision>;
}

export interface HostVerifierOptions {
  /** Trust-on-first-use recorded a key: the caller persists it. */
  onHostKeyLearned?: (learned: HostKeyLearned) => void;
  /** Fetches host certificates (default: `ssh-keyscan -c`). */
  fetchCertificates?: typeof fetchHostCertificates;
  keyscanTimeoutMs?: number;
}

export function createHostVerifier(target: ResolvedSshTarget, options: HostVerifierOptions = {}): HostVerifier {
  const where = `${target.host} port ${target.port}`;
  const fetchCertificates = options.fetchCertificates ?? fetchHostCertificates;
  let learned: Buffer | undefined;
  // Keys a valid host certificate vouched for, until the certificate expires: one keyscan per key.
  const certified = new Map<string, number>();
  const matches = (keys: readonly Buffer[], key: Buffer) => keys.some((k) => samePublicKey(k, key));

  return {
    async check(presented) {
      const seen = fingerprint(presented);
      if (matches(target.revoked, presented)) {
        return {
          accepted: false,
          reason: `the host key of ${where} (${seen}) is marked @revoked in target.knownHosts`,
        };
      }
      if (matches(target.hostKeys, presented)) return { accepted: true, how: 'pinned' };
      if (learned && samePublicKey(learned, presented)) return { accepted: true, how: 'learned' };
      if (target.hostCas.length > 0) {
        const id = presented.toString('base64');
        if ((certified.get(id) ?? 0) > Date.now()) return { accepted: true, how: 'certificate' };
        let reason: string;
        try {
          const certificates = await fetchCertificates(target.host, target.port, options.keyscanTimeoutMs ?? 5_000);
          const result = checkHostCertificate(certificates, presented, target.hostCas, target.host);
          if (result.ok) {
            certified.set(id, Math.min(result.certificate.validBefore?.getTime() ?? Infinity, Date.now() + 3_600_000));
            return { accepted: true, how: 'certificate' };
          }
          reason = result.reason;
        } catch (error) {
          reason = `its host certificate could not be fetched: ${(error as Error).message}`;
        }
        if (target.hostKeys.length === 0) {
          return { accepted: false, reason: `the host key of ${where} (${seen}) is not trusted: ${reason}` };
        }
      }
      if (target.pinned) {
        const expected = target.hostKeys.map(fingerprint).join(', ') || 'a host CA certificate';
        return {
          accepted: false,
          reason:
            `the host key of ${where} is ${seen}, which does not match the configured host key (${expected}). ` +
            'Someone may be intercepting the connection, or the host was re-keyed: verify, then update target.hostKey or target.knownHosts',
        };
      }
      if (learned) {
        return {
          accepted: false,
          reason: `the host key of ${where} is ${seen}, which does not match the key recorded on first use (${fingerprint(learned)})`,
        };
      }
      // Unpinned with trust-on-first-use (resolveSshTarget refuses unpinned targets otherwise).
      learned = presented;
      options.onHostKeyLearned?.({
        host: target.host,
        port: target.port,
        publicKey: publicKeyLine(presented),
        fingerprint: seen,
      });
      return { accepted: true, how: 'first-use' };
    },
  };
}
