// SSH keys on node:crypto: load a private key (OpenSSH, PKCS#1/#8, SEC1, encrypted or not),
// derive its SSH public blob, sign the way SSH wants signatures, verify, fingerprint.
// Errors name what the key is (e.g. "the private_key of secret/data/bastion"), never its bytes.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as cryptoSign,
  verify as cryptoVerify,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import ssh2 from 'ssh2';
import { SshReader, mpintMagnitude, sshMpint, sshString, WireError } from './encoding';

export type SshKeyType =
  'ssh-ed25519' | 'ssh-rsa' | 'ecdsa-sha2-nistp256' | 'ecdsa-sha2-nistp384' | 'ecdsa-sha2-nistp521';

export class SshKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SshKeyError';
  }
}

export interface SshPrivateKey {
  readonly keyType: SshKeyType;
  /** The plain public key blob (`string "ssh-ed25519", string key`). */
  readonly publicBlob: Buffer;
  /** An SSH signature blob: `string algorithm, string signature`. */
  sign(data: Buffer, signatureAlgorithm?: string): Buffer;
  /** The private key as unencrypted PKCS#8 PEM (for a Credential value held in memory). */
  exportPkcs8(): string;
}

const CURVES: Record<string, { ssh: SshKeyType; jwk: string; hash: string; size: number }> = {
  'P-256': { ssh: 'ecdsa-sha2-nistp256', jwk: 'P-256', hash: 'sha256', size: 32 },
  'P-384': { ssh: 'ecdsa-sha2-nistp384', jwk: 'P-384', hash: 'sha384', size: 48 },
  'P-521': { ssh: 'ecdsa-sha2-nistp521', jwk: 'P-521', hash: 'sha512', size: 66 },
};
const CURVE_BY_SSH_NAME: Record<string, string> = { nistp256: 'P-256', nistp384: 'P-384', nistp521: 'P-521' };

/** Signature algorithms each key type can sign with, preferred first. */
export function signatureAlgorithmsFor(keyType: SshKeyType): string[] {
  return keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [keyType];
}

/** A fresh ed25519 key pair: the ephemeral key a certificate is issued for. */
export function generateEd25519Key(): SshPrivateKey {
  return fromKeyObject(generateKeyPairSync('ed25519').privateKey, 'a generated ed25519 key');
}

/** Loads a private key given as text. `what` names it in errors. */
export function loadPrivateKey(text: string, passphrase: string | undefined, what: string): SshPrivateKey {
  if (typeof text !== 'string' || text.trim() === '') throw new SshKeyError(`${what} is empty`);
  const trimmed = text.trim();
  let keyObject: KeyObject;
  if (trimmed.includes('BEGIN OPENSSH PRIVATE KEY')) {
    // Node cannot read the OpenSSH container; ssh2's parser decrypts it (bcrypt-pbkdf) into PEM.
    const parsed = ssh2.utils.parseKey(trimmed, passphrase);
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (!key || key instanceof Error) {
      const reason =
        key instanceof Error && /passphrase|integrity/i.test(key.message)
          ? 'a wrong or missing passphrase'
          : 'an unsupported or damaged key';
      throw new SshKeyError(`${what} could not be read: ${reason}`);
    }
    try {
      keyObject = createPrivateKey(key.getPrivatePEM());
    } catch {
      throw new SshKeyError(`${what} could not be read: an unsupported key type (${key.type})`);
    }
  } else {
    try {
      keyObject = createPrivateKey(passphrase ? { key: trimmed, passphrase } : { key: trimmed });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      const reason = /PASSPHRASE|DECRYPT|BAD_DECRYPT/i.test(`${code} ${(error as Error).message}`)
        ? 'a wrong or missing passphrase'
        : 'not a PEM or OpenSSH private key';
      throw new SshKeyError(`${what} could not be read: ${reason}`);
    }
  }
  return fromKeyObject(keyObject, what);
}

export function fromKeyObject(privateKey: KeyObject, what: string): SshPrivateKey {
  if (privateKey.type !== 'private') throw new SshKeyError(`${what} is not a private key`);
  const publicBlob = publicBlobOf(createPublicKey(privateKey), what);
  const keyType = new SshReader(publicBlob, 'public key').text() as SshKeyType;
  return {
    keyType,
    publicBlob,
    sign: (data, signatureAlgorithm) =>
      signWith(privateKey, keyType, data, signatureAlgorithm ?? signatureAlgorithmsFor(keyType)[0]!),
    exportPkcs8: () => privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

function signWith(key: KeyObject, keyType: SshKeyType, data: Buffer, algorithm: string): Buffer {
  if (keyType === 'ssh-ed25519')
    return Buffer.concat([sshString('ssh-ed25519'), sshString(cryptoSign(null, data, key))]);
  if (keyType === 'ssh-rsa') {
    const hash = { 'rsa-sha2-512': 'sha512', 'rsa-sha2-256': 'sha256', 'ssh-rsa': 'sha1' }[algorithm];
    if (!hash) throw new SshKeyError(`an RSA key cannot sign with ${algorithm}`);
    return Buffer.concat([sshString(algorithm), sshString(cryptoSign(hash, data, key))]);
  }
  const curve = Object.values(CURVES).find((c) => c.ssh === keyType);
  if (!curve) throw new SshKeyError(`unsupported key type ${keyType}`);
  const raw = cryptoSign(curve.hash, data, { key, dsaEncoding: 'ieee-p1363' });
  const inner = Buffer.concat([sshMpint(raw.subarray(0, curve.size)), sshMpint(raw.subarray(curve.size))]);
  return Buffer.concat([sshString(keyType), sshString(inner)]);
}

/** The SSH public key blob of a node public (or private) key. */
export function publicBlobOf(key: KeyObject, what: string): Buffer {
  const jwk = key.export({ format: 'jwk' }) as JsonWebKey;
  const b64 = (value: string | undefined) => Buffer.from(value ?? '', 'base64url');
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519')
    return Buffer.concat([sshString('ssh-ed25519'), sshString(b64(jwk.x))]);
  if (jwk.kty === 'RSA') return Buffer.concat([sshString('ssh-rsa'), sshMpint(b64(jwk.e)), sshMpint(b64(jwk.n))]);
  if (jwk.kty === 'EC' && jwk.crv && CURVES[jwk.crv]) {
    const curve = CURVES[jwk.crv]!;
    const point = Buffer.concat([Buffer.from([4]), b64(jwk.x), b64(jwk.y)]);
    return Buffer.concat([sshString(curve.ssh), sshString(curve.ssh.slice('ecdsa-sha2-'.length)), sshString(point)]);
  }
  throw new SshKeyError(`${what} has an unsupported key type (use ed25519, RSA or ECDSA)`);
}

/** A node public key from a plain SSH public key blob. */
export function publicKeyFromBlob(blob: Buffer): KeyObject {
  const reader = new SshReader(blob, 'public key');
  const type = reader.text('key type');
  let jwk: JsonWebKey;
  if (type === 'ssh-ed25519') jwk = { kty: 'OKP', crv: 'Ed25519', x: reader.bytes('key').toString('base64url') };
  else if (type === 'ssh-rsa') {
    const e = mpintMagnitude(reader.bytes('e'));
    const n = mpintMagnitude(reader.bytes('n'));
    jwk = { kty: 'RSA', e: e.toString('base64url'), n: n.toString('base64url') };
  } else if (type.startsWith('ecdsa-sha2-')) {
    const curve = CURVES[CURVE_BY_SSH_NAME[reader.text('curve')] ?? ''];
    const point = reader.bytes('point');
    if (!curve || point[0] !== 4 || point.length !== 1 + 2 * curve.size)
      throw new WireError(`unsupported ECDSA public key`);
    jwk = {
      kty: 'EC',
      crv: curve.jwk,
      x: point.subarray(1, 1 + curve.size).toString('base64url'),
      y: point.subarray(1 + curve.size).toString('base64url'),
    };
  } else throw new WireError(`unsupported public key type ${JSON.stringify(type.slice(0, 64))}`);
  reader.end();
  return createPublicKey({ key: jwk, format: 'jwk' });
}

/** Checks an SSH signature blob over `data` made by the key `publicBlob`. */
export function verifySignature(publicBlob: Buffer, signatureBlob: Buffer, data: Buffer): boolean {
  try {
    const key = publicKeyFromBlob(publicBlob);
    const keyType = new SshReader(publicBlob, 'public key').text();
    const reader = new SshReader(signatureBlob, 'signature');
    const algorithm = reader.text('signature algorithm');
    const signature = reader.bytes('signature');
    if (keyType === 'ssh-ed25519') return algorithm === keyType && cryptoVerify(null, data, key, signature);
    if (keyType === 'ssh-rsa') {
      const hash = { 'rsa-sha2-512': 'sha512', 'rsa-sha2-256': 'sha256', 'ssh-rsa': 'sha1' }[algorithm];
      return hash !== undefined && cryptoVerify(hash, data, key, signature);
    }
    const curve = Object.values(CURVES).find((c) => c.ssh === keyType);
    if (!curve || algorithm !== keyType) return false;
    const inner = new SshReader(signature, 'ECDSA signature');
    const pad = (v: Buffer) =>
      Buffer.concat([Buffer.alloc(Math.max(0, curve.size - v.length)), v]).subarray(-curve.size);
    const raw = Buffer.concat([pad(mpintMagnitude(inner.bytes('r'))), pad(mpintMagnitude(inner.bytes('s')))]);
    return cryptoVerify(curve.hash, data, { key, dsaEncoding: 'ieee-p1363' }, raw);
  } catch {
    return false;
  }
}

/** `SHA256:…` as `ssh-keygen -l` prints it. */
export function fingerprint(publicBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(publicBlob).digest('base64').replace(/=+$/, '')}`;
}

export interface PublicKeyLine {
  readonly type: string;
  readonly blob: Buffer;
  readonly comment: string;
}

const KEY_TYPE = /^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp(256|384|521))(-cert-v01@openssh\.com)?$/;

/** Parses `ssh-ed25519 AAAA… comment`; the blob's own type must match the line's. */
export function parsePublicKeyLine(line: string, what: string): PublicKeyLine {
  const parts = typeof line === 'string' ? line.trim().split(/\s+/) : [];
  const [type, base64] = parts;
  if (!type || !base64 || !KEY_TYPE.test(type) || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
    throw new SshKeyError(`${what} must be an OpenSSH public key line like "ssh-ed25519 AAAA…"`);
  }
  const blob = Buffer.from(base64, 'base64');
  let inner: string;
  try {
    inner = new SshReader(blob, what).text('key type');
  } catch {
    throw new SshKeyError(`${what} is not a valid OpenSSH public key (bad base64 body)`);
  }
  if (inner !== type) throw new SshKeyError(`${what} says ${type} but its key is ${inner.slice(0, 64)}`);
  return { type, blob, comment: parts.slice(2).join(' ') };
}

export function publicKeyLine(blob: Buffer, comment = ''): string {
  const type = new SshReader(blob, 'public key').text();
  return `${type} ${blob.toString('base64')}${comment ? ` ${comment}` : ''}`;
}
