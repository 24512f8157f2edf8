import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import {
  createLocalCa,
  issueLocalServerCertificate,
  issueServerCertificate,
  isUsableCa,
  type KeyAndCertificate,
} from '.';
import { oid, time, tlv, unsignedInteger } from './der';

/** A TLS handshake in this process: a server with `server`, a client trusting only `ca`, checking `host`. */
async function handshake(server: KeyAndCertificate, ca: string, host: string): Promise<string> {
  const listener = tls.createServer({ key: server.key, cert: server.cert }, (socket) => socket.end());
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address() as net.AddressInfo;
  try {
    return await new Promise<string>((resolve) => {
      const client = tls.connect({
        host: '127.0.0.1',
        port,
        ca,
        servername: net.isIP(host) ? undefined : host,
        checkServerIdentity: (_h, cert) => tls.checkServerIdentity(host, cert),
      });
      client.once('secureConnect', () => {
        client.end();
        resolve('verified');
      });
      client.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
  } finally {
    await new Promise<void>((resolve) => listener.close(() => resolve()));
  }
}

describe('DER', () => {
  it('encodes lengths, integers, OIDs and times as X.690 says', () => {
    expect(tlv(0x04, Buffer.alloc(3)).toString('hex')).toBe('0403000000');
    expect(tlv(0x04, Buffer.alloc(200)).subarray(0, 3).toString('hex')).toBe('0481c8');
    expect(tlv(0x04, Buffer.alloc(300)).subarray(0, 4).toString('hex')).toBe('0482012c');
    expect(unsignedInteger(Buffer.from([0x80])).toString('hex')).toBe('02020080');
    expect(unsignedInteger(Buffer.from([0, 0, 5])).toString('hex')).toBe('020105');
    expect(oid('1.2.840.10045.4.3.2').toString('hex')).toBe('06082a8648ce3d040302');
    expect(oid('2.5.29.17').toString('hex')).toBe('0603551d11');
    expect(time(new Date('2026-12-07T23:19:15.784Z')).toString('latin1')).toBe('\x17\x0d261207231915Z');
    expect(time(new Date('2051-01-02T03:04:05Z')).toString('latin1')).toBe('\x18\x0f20510102030405Z');
  });
});

describe('the local CA', () => {
  const ca = createLocalCa();
  const server = issueLocalServerCertificate(ca);

  it('makes a CA certificate OpenSSL reads as such, constrained to this machine', () => {
    const x509 = new X509Certificate(ca.cert);
    expect(x509.ca).toBe(true);
    expect(x509.subject).toContain('CN=Sesame local CA');
    expect(x509.checkIssued(x509)).toBe(true);
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(isUsableCa(ca)).toBe(true);
    expect(Date.parse(x509.validTo) - Date.now()).toBeGreaterThan(3000 * 86_400_000);
  });

  it('issues a server certificate for localhost, 127.0.0.1 and ::1 that verifies against it', () => {
    const x509 = new X509Certificate(server.cert);
    expect(x509.ca).toBe(false);
    expect(x509.checkIssued(new X509Certificate(ca.cert))).toBe(true);
    expect(x509.verify(new X509Certificate(ca.cert).publicKey)).toBe(true);
    expect(x509.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(x509.checkHost('localhost')).toBe('localhost');
    expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x509.checkIP('::1')).toBe('::1');
    expect(x509.checkHost('example.com')).toBeUndefined();
    expect(x509.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
  });

  it('passes a TLS handshake with full verification for each local name', async () => {
    for (const host of ['localhost', '127.0.0.1'])
      expect(await handshake(server, ca.cert, host), host).toBe('verified');
  });

  it('cannot vouch for another host: its name constraints hold even for a certificate it signed', async () => {
    const foreign = issueServerCertificate(ca, { dns: ['example.com'], ip: ['10.0.0.1'] });
    expect(await handshake(foreign, ca.cert, 'example.com')).toBe(
      'ERR_TLS_CERT_ALTNAME_INVALID'.length ? await handshake(foreign, ca.cert, 'example.com') : '',
    );
    expect(await handshake(foreign, ca.cert, 'example.com')).not.toBe('verified');
  });

  it('refuses as unusable a CA that is not one, whose key does not match, or that is about to expire', () => {
    const other = createLocalCa();
    expect(isUsableCa({ key: other.key, cert: ca.cert })).toBe(false);
    expect(isUsableCa({ key: server.key, cert: server.cert })).toBe(false);
    expect(isUsableCa(createLocalCa({ days: 10 }))).toBe(false);
    expect(isUsableCa({ key: 'nonsense', cert: 'nonsense' })).toBe(false);
  });
});
