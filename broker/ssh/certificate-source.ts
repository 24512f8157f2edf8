// A credential source that issues SSH user certificates: every call makes a fresh ephemeral
// ed25519 key and has a signer (Vault's SSH CA, or ssh-keygen in tests) certify it. The result
// is a Credential (private_key + certificate), so the SSH connector and the agent take it like
// any other credential; the key lives only in memory.
import type { Credential, CredentialFetcher } from '../connector';
import { CredentialError, type HoldOptions } from '../credentials';
import { isValidAt, parseCertificateLine, samePublicKey, USER_CERT, type SshCertificate } from './certificate';
import { generateEd25519Key, publicKeyLine, type SshPrivateKey } from './keys';

export interface IssuedCertificate {
  readonly key: SshPrivateKey;
  readonly certificate: SshCertificate;
  /** `ssh-ed25519-cert-v01@openssh.com AAAA…` */
  readonly certificateLine: string;
  /** The Credential form: values.private_key (PKCS#8 PEM) and values.certificate. */
  readonly credential: Credential;
}

export interface SshCertificateSource extends CredentialFetcher {
  /** A new key pair and a certificate for it (no caching: one per connection). */
  issue(hold?: HoldOptions): Promise<IssuedCertificate>;
}

export interface CertificateSignerOptions {
  /** For messages: `vault-ssh-sign ssh-client-signer/sign/dev`. */
  readonly description: string;
  /** Safe-to-show path of the signer, e.g. `ssh-client-signer/sign/dev`. */
  readonly path: string;
  /** Certifies `publicKey` (an OpenSSH public key line); resolves to the certificate line. */
  sign(publicKey: string, hold: HoldOptions): Promise<string>;
}

export function createCertificateSource(options: CertificateSignerOptions): SshCertificateSource {
  async function issue(hold: HoldOptions = {}): Promise<IssuedCertificate> {
    const key = generateEd25519Key();
    const certificateLine = (await options.sign(publicKeyLine(key.publicBlob, 'sesame-ephemeral'), hold)).trim();
    let certificate: SshCertificate;
    try {
      certificate = parseCertificateLine(certificateLine, `the certificate from ${options.path}`);
    } catch (error) {
      throw new CredentialError('vault', (error as Error).message);
    }
    if (!samePublicKey(certificate.publicKeyBlob, key.publicBlob)) {
      throw new CredentialError(
        'vault',
        `the certificate from ${options.path} certifies a different key than the one sent`,
      );
    }
    if (certificate.kind !== USER_CERT)
      throw new CredentialError('vault', `the certificate from ${options.path} is not a user certificate`);
    if (!isValidAt(certificate, new Date())) {
      throw new CredentialError(
        'vault',
        `the certificate from ${options.path} is not valid now (valid ${certificate.validAfter.toISOString()} to ${certificate.validBefore?.toISOString() ?? 'forever'}); check the clocks`,
      );
    }
    const credential: Credential = {
      values: { private_key: key.exportPkcs8(), certificate: certificateLine },
      path: options.path,
      ...(certificate.validBefore ? { expiresAt: certificate.validBefore } : {}),
    };
    return { key, certificate, certificateLine, credential };
  }

  return {
    description: options.description,
    issue,
    offlineOutlook: () => ({
      keepsWorking: false,
      detail: 'each SSH session gets a certificate signed by Vault, so new sessions fail; open ones keep running',
    }),
    async get(request) {
      return (await issue(request?.onHold ? { onHold: request.onHold } : {})).credential;
    },
  };
}
