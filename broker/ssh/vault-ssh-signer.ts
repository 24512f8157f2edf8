// `vault-ssh-sign`: an ephemeral ed25519 key per use, signed by Vault's SSH secrets engine in
// CA mode (`POST <mount>/sign/<role>`). The private key never leaves this process; Vault sees
// only the public key and returns `signed_key`, an OpenSSH user certificate.
import { CredentialError, withSessionToken } from '../credentials';
import { VaultError, type VaultClient } from '../vault';
import { createCertificateSource, type SshCertificateSource } from './certificate-source';

export interface VaultSshSignOptions {
  /** The SSH engine's mount, e.g. `ssh-client-signer`. */
  readonly mount: string;
  /** The signing role, e.g. `dev`. */
  readonly role: string;
  /** Users the certificate is valid for (sent as `valid_principals`). */
  readonly principals: readonly string[];
  /** Requested lifetime: seconds or a Go duration (`5m`); Vault caps it at the role's max_ttl. */
  readonly ttl?: number | string;
  /** Certificate extensions (e.g. `permit-pty`); the role's default_extensions apply when absent. */
  readonly extensions?: Readonly<Record<string, string>>;
}

const SEGMENT = /^[A-Za-z0-9._-]+$/;
const PRINCIPAL = /^[^\s,]{1,256}$/;
const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$|^\d+$/;

export function createVaultSshCertificateSource(
  vault: VaultClient,
  session: { token(): Promise<string> },
  options: VaultSshSignOptions,
): SshCertificateSource {
  const mount = typeof options?.mount === 'string' ? options.mount.replace(/^\/+|\/+$/g, '') : '';
  if (!mount || !mount.split('/').every((part) => SEGMENT.test(part)))
    throw new TypeError(`vault-ssh-sign: mount ${JSON.stringify(options?.mount)} is not a Vault mount path`);
  if (typeof options.role !== 'string' || !SEGMENT.test(options.role))
    throw new TypeError(`vault-ssh-sign: role ${JSON.stringify(options.role)} is not a role name`);
  if (
    !Array.isArray(options.principals) ||
    options.principals.length === 0 ||
    !options.principals.every((p) => typeof p === 'string' && PRINCIPAL.test(p))
  ) {
    throw new TypeError('vault-ssh-sign: principals must be a non-empty list of user names (no spaces or commas)');
  }
  const ttl = options.ttl;
  if (ttl !== undefined && !(typeof ttl === 'number' ? Number.isInteger(ttl) && ttl > 0 : DURATION.test(ttl))) {
    throw new TypeError(`vault-ssh-sign: ttl ${JSON.stringify(ttl)} must be positive seconds or a duration like "5m"`);
  }
  const path = `${mount}/sign/${options.role}`;

  return createCertificateSource({
    description: `vault-ssh-sign ${path}`,
    path,
    async sign(publicKey, hold) {
      try {
        const response = await withSessionToken(session, hold, (token) =>
          vault.request<{ signed_key?: unknown }>({
            method: 'POST',
            path,
            token,
            body: {
              public_key: publicKey,
              valid_principals: options.principals.join(','),
              cert_type: 'user',
              ...(ttl !== undefined ? { ttl } : {}),
              ...(options.extensions ? { extensions: { ...options.extensions } } : {}),
            },
          }),
        );
        const signed = response?.data?.signed_key;
        if (typeof signed !== 'string' || signed.trim() === '')
          throw new CredentialError('vault', `Vault answered ${path} without a signed_key`);
        return signed;
      } catch (error) {
        if (error instanceof VaultError) throw new CredentialError('vault', error.message, error.kind);
        throw error;
      }
    },
  });
}
