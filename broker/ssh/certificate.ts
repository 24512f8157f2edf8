// OpenSSH certificates (PROTOCOL.certkeys): parse the fields Sesame needs (the certified key,
// validity, principals, type) and check the CA's signature, for user certificates from Vault
// and host certificates checked against a host CA.
import { publicBlobOf, publicKeyFromBlob, verifySignature } from './keys';
import { SshReader, sshString, WireError } from './encoding';

export const USER_CERT = 1;
export const HOST_CERT = 2;

export interface SshCertificate {
  /** `ssh-ed25519-cert-v01@openssh.com` etc. */
  readonly certType: string;
  /** The plain key type inside (`ssh-ed25519`). */
  readonly keyType: string;
  /** The whole certificate blob: what a client sends as its public key. */
  readonly blob: Buffer;
  /** The certified plain public key blob. */
  readonly publicKeyBlob: Buffer;
  readonly serial: bigint;
  /** 1 = user, 2 = host. */
  readonly kind: number;
  readonly keyId: string;
  readonly principals: readonly string[];
  readonly validAfter: Date;
  /** `undefined` = forever. */
  readonly validBefore: Date | undefined;
  /** The CA's plain public key blob. */
  readonly signatureKey: Buffer;
  /** Bytes the CA signed (everything before the signature). */
  readonly signedData: Buffer;
  readonly signature: Buffer;
}

const CERT_SUFFIX = '-cert-v01@openssh.com';
const MAX_TIME = 0xffff_ffff_ffff_ffffn;

function toDate(seconds: bigint): Date {
  // Dates past year 275760 do not exist in JS; they mean "forever" here anyway.
  return seconds > 8_640_000_000_000n ? new Date(8_640_000_000_000_000) : new Date(Number(seconds) * 1000);
}

export function parseCertificate(blob: Buffer, what = 'the certificate'): SshCertificate {
  const reader = new SshReader(blob, what);
  const certType = reader.text('type');
  if (!certType.endsWith(CERT_SUFFIX))
    throw new WireError(`${what} is not an OpenSSH certificate (${certType.slice(0, 64)})`);
  const keyType = certType.slice(0, -CERT_SUFFIX.length);
  reader.bytes('nonce');
  let publicKeyBlob: Buffer;
  if (keyType === 'ssh-ed25519') publicKeyBlob = Buffer.concat([sshString(keyType), sshString(reader.bytes('key'))]);
  else if (keyType === 'ssh-rsa') {
    const e = reader.bytes('e');
    const n = reader.bytes('n');
    publicKeyBlob = Buffer.concat([sshString(keyType), sshString(e), sshString(n)]);
  } else if (/^ecdsa-sha2-nistp(256|384|521)$/.test(keyType)) {
    publicKeyBlob = Buffer.concat([
      sshString(keyType),
      sshString(reader.bytes('curve')),
      sshString(reader.bytes('point')),
    ]);
  } else throw new WireError(`${what} certifies an unsupported key type ${keyType.slice(0, 64)}`);
  const serial = reader.uint64('serial');
  const kind = reader.uint32('type');
  const keyId = reader.text('key id');
  const principals = reader.stringList('valid principals');
  const validAfter = reader.uint64('valid after');
  const validBefore = reader.uint64('valid before');
  reader.bytes('critical options');
  reader.bytes('extensions');
  reader.bytes('reserved');
  const signatureKey = reader.bytes('signature key');
  const signedData = blob.subarray(0, reader.position);
  const signature = reader.bytes('signature');
  reader.end();
  return {
    certType,
    keyType,
    blob,
    publicKeyBlob,
    serial,
    kind,
    keyId,
    principals,
    validAfter: toDate(validAfter),
    validBefore: validBefore === MAX_TIME ? undefined : toDate(validBefore),
    signatureKey,
    signedData,
    signature,
  };
}

/** Parses `ssh-ed25519-cert-v01@openssh.com AAAA… comment` (Vault's `signed_key`). */
export function parseCertificateLine(line: string, what: string): SshCertificate {
  const [type, base64] = typeof line === 'string' ? line.trim().split(/\s+/) : [];
  if (!type || !base64 || !type.endsWith(CERT_SUFFIX) || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
    throw new WireError(`${what} must be an OpenSSH certificate line like "ssh-ed25519-cert-v01@openssh.com AAAA…"`);
  }
  const certificate = parseCertificate(Buffer.from(base64, 'base64'), what);
  if (certificate.certType !== type) throw new WireError(`${what} says ${type} but holds a ${certificate.certType}`);
  return certificate;
}

/** The CA signature is valid and made by `caBlob` (a plain public key blob). */
export function isSignedBy(certificate: SshCertificate, caBlob: Buffer): boolean {
  return (
    certificate.signatureKey.equals(caBlob) && verifySignature(caBlob, certificate.signature, certificate.signedData)
  );
}

export function isValidAt(certificate: SshCertificate, at: Date): boolean {
  return certificate.validAfter <= at && (certificate.validBefore === undefined || at < certificate.validBefore);
}

/** Normalizes a public key blob from a node key (so `ssh-rsa` mpints compare byte for byte). */
export function samePublicKey(a: Buffer, b: Buffer): boolean {
  if (a.equals(b)) return true;
  try {
    return publicBlobOf(publicKeyFromBlob(a), 'key').equals(publicBlobOf(publicKeyFromBlob(b), 'key'));
  } catch {
    return false;
  }
}
