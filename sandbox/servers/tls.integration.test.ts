import fs from 'node:fs';
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir, removeTempDir } from './process';
import { createTestCa, issueCertificate, type TestCa } from './tls';

/** Serve TLS with `cert` and connect to it with `client` options; resolves with the error, if any. */
async function handshake(
  cert: { certFile: string; keyFile: string },
  client: tls.ConnectionOptions,
): Promise<Error | undefined> {
  const server = tls.createServer(
    { cert: fs.readFileSync(cert.certFile), key: fs.readFileSync(cert.keyFile) },
    (socket) => socket.end(),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    return await new Promise<Error | undefined>((resolve) => {
      const socket = tls.connect({ port, ...client }, () => {
        socket.destroy();
        resolve(undefined);
      });
      socket.once('error', resolve);
    });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('createTestCa / issueCertificate', () => {
  let dir: string;
  let ca: TestCa;
  beforeAll(async () => {
    dir = createTempDir('tls-test');
    ca = await createTestCa(dir);
  });
  afterAll(() => {
    if (dir) removeTempDir(dir);
  });

  it('issues a certificate clients verify for its DNS names and IP addresses', async () => {
    const cert = await issueCertificate(ca, {
      commonName: 'localhost',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
      dir,
      name: 'server',
    });
    expect(cert.caFile).toBe(ca.certFile);
    const x509 = new X509Certificate(fs.readFileSync(cert.certFile));
    expect(x509.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
    expect(x509.verify(new X509Certificate(fs.readFileSync(ca.certFile)).publicKey)).toBe(true);
    expect(fs.statSync(cert.keyFile).mode & 0o777).toBe(0o600);

    const trusted = { ca: fs.readFileSync(ca.certFile) };
    expect(await handshake(cert, { host: '127.0.0.1', ...trusted })).toBeUndefined();
    expect(await handshake(cert, { host: '127.0.0.1', servername: 'localhost', ...trusted })).toBeUndefined();
    expect(await handshake(cert, { host: '127.0.0.1', servername: 'db.example.com', ...trusted })).toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
    expect(await handshake(cert, { host: '127.0.0.1' })).toBeInstanceOf(Error);
  });

  it('makes RSA keys on request', async () => {
    const cert = await issueCertificate(ca, { commonName: 'rsa.test', dnsNames: ['rsa.test'], dir, keyType: 'rsa' });
    expect(fs.readFileSync(cert.keyFile, 'utf8')).toContain('BEGIN PRIVATE KEY');
    expect(new X509Certificate(fs.readFileSync(cert.certFile)).publicKey.asymmetricKeyType).toBe('rsa');
  });

  it('rejects names that could inject into the subject or SAN', async () => {
    await expect(issueCertificate(ca, { commonName: 'a/CN=evil', dir })).rejects.toThrow(/commonName must be/);
    await expect(issueCertificate(ca, { commonName: 'ok', dnsNames: ['bad,IP:1.2.3.4'], dir })).rejects.toThrow(
      /invalid DNS name/,
    );
    await expect(issueCertificate(ca, { commonName: 'ok', ipAddresses: ['300.1.1.1'], dir })).rejects.toThrow(
      /invalid IP address/,
    );
  });
});
