// The local SSH endpoint's own host key: made once (ed25519), kept by the caller (the app puts
// the private part in the OS keychain) and shown as a fingerprint so users can pin it.
import ssh2 from 'ssh2';
import { fingerprint, publicKeyLine, SshKeyError } from './keys';

export interface SshHostKey {
  /** OpenSSH private key text. Secret: store it in the keychain, never in config or logs. */
  readonly privateKey: string;
  /** `ssh-ed25519 AAAA…`: what a known_hosts line for the local endpoint holds. */
  readonly publicKey: string;
  /** `SHA256:…`, as ssh prints it when it first connects. */
  readonly fingerprint: string;
}

/**
 * A new ed25519 host key. ssh2's generator drops a leading zero byte of the public key about
 * once in 200 keys, and its own parser then refuses the key: such a key is made again.
 */
export function createSshHostKey(): SshHostKey {
  for (let attempt = 1; ; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519');
    try {
      return loadSshHostKey(pair.private);
    } catch (error) {
      if (attempt >= 8 || !(error instanceof SshKeyError)) throw error;
    }
  }
}

/** Validates a stored host key and derives its public line and fingerprint. */
export function loadSshHostKey(privateKey: string): SshHostKey {
  if (typeof privateKey !== 'string' || privateKey.trim() === '') throw new SshKeyError('the SSH host key is empty');
  const parsed = ssh2.utils.parseKey(privateKey);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error || !key.isPrivateKey()) {
    throw new SshKeyError('the SSH host key is not an unencrypted OpenSSH or PEM private key');
  }
  const blob = key.getPublicSSH();
  return { privateKey, publicKey: publicKeyLine(blob), fingerprint: fingerprint(blob) };
}
