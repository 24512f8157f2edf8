// SSH connector: a local SSH endpoint that logs in to the target with a Vault-signed
// certificate, a Vault-held private key or a password, and relays every channel.
export { createSshConnector, type SshConnector, type SshConnectorOptions } from './connector';
export { createSshHostKey, loadSshHostKey, type SshHostKey } from './host-key';
export { sshTargetSchema, resolveSshTarget, SshTargetError, type SshTarget, type ResolvedSshTarget } from './target';
export { createHostVerifier, type HostKeyLearned, type HostVerifier, type HostKeyDecision } from './host-verify';
export {
  createCertificateSource,
  type SshCertificateSource,
  type IssuedCertificate,
  type CertificateSignerOptions,
} from './certificate-source';
export { createVaultSshCertificateSource, type VaultSshSignOptions } from './vault-ssh-signer';
// Its failures are broker/connector-kit's classes, carrying these kinds.
export { SSH_CODES, type SshFailureKind, type SshClientError } from './errors';
export {
  loadPrivateKey,
  generateEd25519Key,
  fingerprint,
  parsePublicKeyLine,
  publicKeyLine,
  signatureAlgorithmsFor,
  verifySignature,
  SshKeyError,
  type SshPrivateKey,
  type SshKeyType,
} from './keys';
export {
  parseCertificate,
  parseCertificateLine,
  isValidAt,
  samePublicKey,
  USER_CERT,
  HOST_CERT,
  type SshCertificate,
} from './certificate';
export { SshReader, sshString, sshUint32, WireError } from './encoding';
