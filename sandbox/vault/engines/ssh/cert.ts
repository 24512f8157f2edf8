// OpenSSH certificates (PROTOCOL.certkeys): parse a user public key line and build the signed
// *-cert-v01@openssh.com line for ed25519, RSA and ECDSA keys.
import { createHash, randomBytes } from 'node:crypto';
import { badRequest } from '../../errors';
import { sshSign, type CaKey } from './keys';
import { sshString, u32, u64, WireReader } from './wire';

const KEY_TYPES = ['ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521'];

export interface PublicKey {
  type: string;
  blob: Buffer;
  /** The key-specific fields after the type string (copied into the certificate). */
  fields: Buffer;
  /** Key size in bits (RSA modulus, EC curve, 256 for ed25519). */
  bits: number;
}

export function parsePublicKeyLine(line: string): PublicKey {
  const parts = line.trim().split(/\s+/);
  const [type = '', b64 = ''] = parts;
  if (!KEY_TYPES.includes(type))
    throw badRequest(`failed to parse public_key as SSH key: unsupported key type "${type}"`);
  const blob = Buffer.from(b64, 'base64');
  if (blob.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64))
    throw badRequest('failed to parse public_key as SSH key: invalid base64');
  try {
    const r = new WireReader(blob);
    if (r.string() !== type) throw new Error('type mismatch');
    const fields = r.rest();
    let bits = 256;
    if (type === 'ssh-rsa') {
      r.mpint();
      bits = r.mpint().length * 8;
    } else if (type.startsWith('ecdsa')) {
      r.string();
      const point = r.bytes();
      bits = { 65: 256, 97: 384, 133: 521 }[point.length] ?? 0;
      if (bits === 0) throw new Error('bad EC point');
    } else if (r.bytes().length !== 32) throw new Error('bad ed25519 key');
    if (!r.done) throw new Error('trailing data');
    return { type, blob, fields, bits };
  } catch {
    throw badRequest('failed to parse public_key as SSH key: malformed key data');
  }
}

/** Name/value pairs as OpenSSH packs them: sorted; a non-empty value is itself a string. */
function tuples(map: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const name of Object.keys(map).sort()) {
    const value = map[name] ?? '';
    parts.push(sshString(name), sshString(value === '' ? Buffer.alloc(0) : sshString(value)));
  }
  return Buffer.concat(parts);
}

export interface CertificateRequest {
  key: PublicKey;
  serial: bigint;
  certType: 'user' | 'host';
  keyId: string;
  principals: string[];
  validAfter: number; // unix seconds
  validBefore: number;
  criticalOptions: Record<string, string>;
  extensions: Record<string, string>;
}

/** The certificate as an authorized-keys style line ("ssh-ed25519-cert-v01@openssh.com AAAA..."). */
export function buildCertificate(ca: CaKey, req: CertificateRequest, rsaAlgorithm?: string): string {
  const certType = `${req.key.type}-cert-v01@openssh.com`;
  const body = Buffer.concat([
    sshString(certType),
    sshString(randomBytes(32)),
    req.key.fields,
    u64(req.serial),
    u32(req.certType === 'user' ? 1 : 2),
    sshString(req.keyId),
    sshString(Buffer.concat(req.principals.map((p) => sshString(p)))),
    u64(BigInt(req.validAfter)),
    u64(BigInt(req.validBefore)),
    sshString(tuples(req.criticalOptions)),
    sshString(tuples(req.extensions)),
    sshString(Buffer.alloc(0)),
    sshString(ca.blob),
  ]);
  const signature = sshSign(ca, body, rsaAlgorithm);
  return `${certType} ${Buffer.concat([body, sshString(signature)]).toString('base64')}`;
}

/** Vault's default key id part: the SHA-256 of the public key blob, hex. */
export const publicKeyHash = (key: PublicKey): string => createHash('sha256').update(key.blob).digest('hex');
