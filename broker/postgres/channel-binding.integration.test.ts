import { execFileSync } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureAlgorithmOid, tlsServerEndPoint } from './channel-binding';

let dir: string;

/** A self-signed certificate made by openssl with the given key and digest, as DER. */
function certificate(name: string, keyArgs: string[], digest?: string): Buffer {
  const key = path.join(dir, `${name}.key`);
  const crt = path.join(dir, `${name}.crt`);
  execFileSync('openssl', ['genpkey', ...keyArgs, '-out', key], { stdio: 'ignore' });
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-new',
      '-key',
      key,
      '-subj',
      `/CN=${name}`,
      '-days',
      '1',
      '-out',
      crt,
      ...(digest ? [`-${digest}`] : []),
    ],
    {
      stdio: 'ignore',
    },
  );
  return new X509Certificate(fs.readFileSync(crt)).raw;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sesame-cb-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('tls-server-end-point', () => {
  const rsa = ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'];
  const ec = ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'];

  it('hashes the DER certificate with its signature hash', () => {
    const rsa256 = certificate('rsa256', rsa, 'sha256');
    expect(signatureAlgorithmOid(rsa256)).toBe('1.2.840.113549.1.1.11');
    expect(tlsServerEndPoint(rsa256)).toEqual(createHash('sha256').update(rsa256).digest());
    const rsa384 = certificate('rsa384', rsa, 'sha384');
    expect(tlsServerEndPoint(rsa384)).toEqual(createHash('sha384').update(rsa384).digest());
    const ec512 = certificate('ec512', ec, 'sha512');
    expect(signatureAlgorithmOid(ec512)).toBe('1.2.840.10045.4.3.4');
    expect(tlsServerEndPoint(ec512)).toEqual(createHash('sha512').update(ec512).digest());
  });

  it('uses SHA-256 for SHA-1 signatures, as RFC 5929 says', () => {
    const rsa1 = certificate('rsa1', rsa, 'sha1');
    expect(tlsServerEndPoint(rsa1)).toEqual(createHash('sha256').update(rsa1).digest());
  });

  it('has no binding for Ed25519 certificates (no single hash), like PostgreSQL', () => {
    const ed = certificate('ed', ['-algorithm', 'ED25519']);
    expect(signatureAlgorithmOid(ed)).toBe('1.3.101.112');
    expect(tlsServerEndPoint(ed)).toBeUndefined();
  });

  it('rejects bytes that are not a certificate', () => {
    expect(() => tlsServerEndPoint(Buffer.from('not a certificate'))).toThrow(/channel binding/);
    expect(() => tlsServerEndPoint(Buffer.from([0x30, 0x82, 0xff]))).toThrow(/truncated/);
  });
});
