// CA keys for the SSH engine: generation (ed25519, RSA, ECDSA), import from PEM or the OpenSSH
// private key format, the public key blob/line, and signing in SSH signature format.
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { badRequest } from '../../errors';
import { mpint, sshString, WireReader } from './wire';

export interface CaKey {
  privateKey: KeyObject;
  /** "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256"... */
  type: string;
  /** The public key blob (what a key line base64-encodes). */
  blob: Buffer;
  /** The private key as PKCS#8 PEM (what config/ca stores). */
  pem: string;
}

const CURVES: Record<string, { ssh: string; node: string; hash: string }> = {
  'P-256': { ssh: 'nistp256', node: 'prime256v1', hash: 'sha256' },
  'P-384': { ssh: 'nistp384', node: 'secp384r1', hash: 'sha384' },
  'P-521': { ssh: 'nistp521', node: 'secp521r1', hash: 'sha512' },
};
const b64u = (s: string | undefined): Buffer => Buffer.from(s ?? '', 'base64url');

function describe(privateKey: KeyObject): CaKey {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JsonWebKey;
  let type: string;
  let blob: Buffer;
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') {
    type = 'ssh-ed25519';
    blob = Buffer.concat([sshString(type), sshString(b64u(jwk.x))]);
  } else if (jwk.kty === 'RSA') {
    type = 'ssh-rsa';
    blob = Buffer.concat([sshString(type), mpint(b64u(jwk.e)), mpint(b64u(jwk.n))]);
  } else if (jwk.kty === 'EC' && jwk.crv && CURVES[jwk.crv]) {
    const curve = CURVES[jwk.crv]?.ssh as string;
    type = `ecdsa-sha2-${curve}`;
    blob = Buffer.concat([
      sshString(type),
      sshString(curve),
      sshString(Buffer.concat([Buffer.from([4]), b64u(jwk.x), b64u(jwk.y)])),
    ]);
  } else throw badRequest('unsupported CA key type');
  return { privateKey, type, blob, pem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
}

/** Vault's key_type values for config/ca: ssh-ed25519 (default here), ssh-rsa, ec (256/384/521). */
export function generateCaKey(keyType: string, keyBits: number): CaKey {
  switch (keyType) {
    case 'ed25519':
    case 'ssh-ed25519':
      return describe(generateKeyPairSync('ed25519').privateKey);
    case 'rsa':
    case 'ssh-rsa': {
      const bits = keyBits || 4096;
      if (![2048, 3072, 4096].includes(bits)) throw badRequest(`invalid RSA key_bits: ${bits}`);
      return describe(generateKeyPairSync('rsa', { modulusLength: bits }).privateKey);
    }
    case 'ec':
    case 'ecdsa': {
      const bits = keyBits || 256;
      const curve = { 256: 'prime256v1', 384: 'secp384r1', 521: 'secp521r1' }[bits];
      if (!curve) throw badRequest(`invalid EC key_bits: ${bits}`);
      return describe(generateKeyPairSync('ec', { namedCurve: curve }).privateKey);
    }
    default:
      throw badRequest(`unknown key_type: ${keyType}`);
  }
}

/** An unencrypted OpenSSH-format private key (the "BEGIN OPENSSH PRIVATE KEY" block) as a node key. */
function parseOpenSshPrivateKey(text: string): KeyObject {
  const body = text.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const raw = Buffer.from(body, 'base64');
  const magic = 'openssh-key-v1\0';
  if (raw.subarray(0, magic.length).toString('latin1') !== magic) throw new Error('not an openssh-key-v1 key');
  const r = new WireReader(raw.subarray(magic.length));
  if (r.string() !== 'none' || r.string() !== 'none') throw new Error('encrypted keys are not supported');
  r.bytes(); // kdf options
  if (r.uint32() !== 1) throw new Error('expected exactly one key');
  r.bytes(); // public key
  const p = new WireReader(r.bytes());
  if (p.uint32() !== p.uint32()) throw new Error('corrupt private key (check bytes differ)');
  const type = p.string();
  const jwk = (j: JsonWebKey): KeyObject => createPrivateKey({ key: j, format: 'jwk' });
  if (type === 'ssh-ed25519') {
    const pub = p.bytes();
    const priv = p.bytes();
    return jwk({
      kty: 'OKP',
      crv: 'Ed25519',
      x: pub.toString('base64url'),
      d: priv.subarray(0, 32).toString('base64url'),
    });
  }
  if (type === 'ssh-rsa') {
    const [n, e, d, iqmp, pp, q] = [p.mpint(), p.mpint(), p.mpint(), p.mpint(), p.mpint(), p.mpint()];
    const big = (b: Buffer): bigint => BigInt(`0x${b.toString('hex') || '0'}`);
    const buf = (x: bigint): string => {
      const hex = x.toString(16);
      return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex').toString('base64url');
    };
    return jwk({
      kty: 'RSA',
      n: n.toString('base64url'),
      e: e.toString('base64url'),
      d: d.toString('base64url'),
      p: pp.toString('base64url'),
      q: q.toString('base64url'),
      dp: buf(big(d) % (big(pp) - 1n)),
      dq: buf(big(d) % (big(q) - 1n)),
      qi: iqmp.toString('base64url'),
    });
  }
  if (type.startsWith('ecdsa-sha2-')) {
    const curveName = p.string();
    const point = p.bytes();
    const d = p.mpint();
    const crv = Object.entries(CURVES).find(([, c]) => c.ssh === curveName)?.[0];
    if (!crv) throw new Error(`unsupported curve ${curveName}`);
    const size = (point.length - 1) / 2;
    return jwk({
      kty: 'EC',
      crv,
      x: point.subarray(1, 1 + size).toString('base64url'),
      y: point.subarray(1 + size).toString('base64url'),
      d: Buffer.concat([Buffer.alloc(Math.max(0, size - d.length)), d]).toString('base64url'),
    });
  }
  throw new Error(`unsupported key type ${type}`);
}

export function importCaKey(privatePem: string): CaKey {
  try {
    const key = privatePem.includes('OPENSSH PRIVATE KEY')
      ? parseOpenSshPrivateKey(privatePem)
      : createPrivateKey(privatePem);
    return describe(key);
  } catch (e) {
    if (e instanceof Error && e.name === 'VaultError') throw e;
    throw badRequest(`failed to parse private_key: ${e instanceof Error ? e.message : 'invalid key'}`);
  }
}

export const publicKeyLine = (k: CaKey): string => `${k.type} ${k.blob.toString('base64')}`;

/**
 * An SSH signature blob over `data`: ed25519; RSA as rsa-sha2-512 (or -256 / legacy ssh-rsa
 * per the role's algorithm_signer); ECDSA with the curve's hash.
 */
export function sshSign(k: CaKey, data: Buffer, rsaAlgorithm = 'rsa-sha2-512'): Buffer {
  if (k.type === 'ssh-ed25519')
    return Buffer.concat([sshString('ssh-ed25519'), sshString(sign(null, data, k.privateKey))]);
  if (k.type === 'ssh-rsa') {
    const hash = rsaAlgorithm === 'rsa-sha2-256' ? 'sha256' : rsaAlgorithm === 'ssh-rsa' ? 'sha1' : 'sha512';
    return Buffer.concat([sshString(rsaAlgorithm), sshString(sign(hash, data, k.privateKey))]);
  }
  const curve = Object.values(CURVES).find((c) => k.type === `ecdsa-sha2-${c.ssh}`);
  if (!curve) throw badRequest('unsupported CA key type');
  const sig = sign(curve.hash, data, { key: k.privateKey, dsaEncoding: 'ieee-p1363' });
  const half = sig.length / 2;
  return Buffer.concat([
    sshString(k.type),
    sshString(Buffer.concat([mpint(sig.subarray(0, half)), mpint(sig.subarray(half))])),
  ]);
}
