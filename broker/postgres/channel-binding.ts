// tls-server-end-point channel binding data (RFC 5929 §4.1): the hash of the server's DER
// certificate, with the hash of its signature algorithm (MD5 and SHA-1 are replaced by SHA-256).
// Node does not expose a certificate's signature algorithm, so we read its OID from the DER.
import { createHash } from 'node:crypto';

const HASH_BY_SIGNATURE_OID: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'sha256', // md5WithRSAEncryption → SHA-256
  '1.2.840.113549.1.1.5': 'sha256', // sha1WithRSAEncryption → SHA-256
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.10045.4.1': 'sha256', // ecdsa-with-SHA1 → SHA-256
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.10040.4.3': 'sha256', // dsa-with-sha1 → SHA-256
  '2.16.840.1.101.3.4.3.2': 'sha256', // dsa-with-sha256
};

export class ChannelBindingError extends Error {
  constructor(message: string) {
    super(`channel binding: ${message}`);
    this.name = 'ChannelBindingError';
  }
}

/**
 * The binding data for a server certificate, or undefined when its signature algorithm has no
 * single hash (RSA-PSS, Ed25519): PostgreSQL cannot bind those either, so we fall back to SCRAM
 * without PLUS.
 */
export function tlsServerEndPoint(certificateDer: Buffer): Buffer | undefined {
  const hash = HASH_BY_SIGNATURE_OID[signatureAlgorithmOid(certificateDer)];
  return hash ? createHash(hash).update(certificateDer).digest() : undefined;
}

/** The OID of Certificate.signatureAlgorithm: SEQUENCE { tbsCertificate, AlgorithmIdentifier, … }. */
export function signatureAlgorithmOid(der: Buffer): string {
  const cert = readTlv(der, 0, 0x30, 'certificate');
  const tbs = readTlv(der, cert.contentStart, 0x30, 'tbsCertificate');
  const algorithm = readTlv(der, tbs.end, 0x30, 'signatureAlgorithm');
  const oid = readTlv(der, algorithm.contentStart, 0x06, 'algorithm OID');
  return decodeOid(der.subarray(oid.contentStart, oid.end));
}

function readTlv(der: Buffer, offset: number, tag: number, what: string): { contentStart: number; end: number } {
  if (der[offset] !== tag) throw new ChannelBindingError(`unexpected DER tag in the server certificate's ${what}`);
  let pos = offset + 1;
  const first = der[pos++];
  if (first === undefined) throw new ChannelBindingError(`truncated server certificate (${what})`);
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw new ChannelBindingError(`unsupported DER length in ${what}`);
    length = 0;
    for (let i = 0; i < count; i++) {
      const byte = der[pos++];
      if (byte === undefined) throw new ChannelBindingError(`truncated server certificate (${what})`);
      length = length * 256 + byte;
    }
  }
  const end = pos + length;
  if (end > der.length) throw new ChannelBindingError(`truncated server certificate (${what})`);
  return { contentStart: pos, end };
}

function decodeOid(bytes: Buffer): string {
  if (bytes.length === 0) throw new ChannelBindingError('empty algorithm OID');
  const first = bytes[0]!;
  const parts = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40];
  let value = 0;
  for (let i = 1; i < bytes.length; i++) {
    const byte = bytes[i]!;
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}
