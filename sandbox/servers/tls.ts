// A throwaway certificate authority and server certificates, made with the `openssl` CLI at run
// time (no key is ever checked in). Clients can verify-full against the CA file.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { runCommand } from './process';

export type KeyType = 'ec' | 'rsa';

export interface TestCa {
  readonly certFile: string;
  readonly keyFile: string;
  readonly keyType: KeyType;
}

export interface IssuedCertificate {
  readonly certFile: string;
  readonly keyFile: string;
  /** The issuing CA's certificate: what a client trusts. */
  readonly caFile: string;
}

/** The files a TLS server needs; what `tls` holds on a sandbox server. */
export type TlsFiles = IssuedCertificate;

export interface CaOptions {
  readonly commonName?: string;
  /** 'ec' (P-256, default) or 'rsa' (2048 bits). */
  readonly keyType?: KeyType;
}

export interface CertificateOptions {
  readonly commonName: string;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  /** Where the key and certificate go. */
  readonly dir: string;
  /** File name stem: `<name>.crt`, `<name>.key`. Defaults to the common name. */
  readonly name?: string;
  readonly keyType?: KeyType;
}

const VALID_DAYS = '30';
// -subj uses '/' and '=' as separators, so names must not contain them.
const SUBJECT_NAME = /^[A-Za-z0-9 .*_-]{1,64}$/;
const DNS_NAME = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/;
const FILE_STEM = /^[A-Za-z0-9._-]{1,64}$/;

/** A fresh self-signed CA in `dir`: `ca.crt` and `ca.key`. */
export async function createTestCa(dir: string, options: CaOptions = {}): Promise<TestCa> {
  assertDir(dir, 'createTestCa');
  const commonName = options.commonName ?? 'Sesame Sandbox Test CA';
  assertSubjectName(commonName, 'createTestCa: commonName');
  const keyType = options.keyType ?? 'ec';
  const keyFile = path.join(dir, 'ca.key');
  const certFile = path.join(dir, 'ca.crt');
  await generateKey(keyFile, keyType);
  await openssl('openssl req (CA)', [
    'req',
    '-x509',
    '-new',
    '-key',
    keyFile,
    '-sha256',
    '-days',
    VALID_DAYS,
    '-subj',
    `/CN=${commonName}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-addext',
    'subjectKeyIdentifier=hash',
    '-out',
    certFile,
  ]);
  return { certFile, keyFile, keyType };
}

/** A server (and client) certificate for `commonName` plus the given SANs, signed by `ca`. */
export async function issueCertificate(ca: TestCa, options: CertificateOptions): Promise<IssuedCertificate> {
  if (!ca || !ca.certFile || !ca.keyFile) throw new TypeError('issueCertificate: a CA from createTestCa is required');
  if (!options || typeof options !== 'object') throw new TypeError('issueCertificate: options are required');
  assertDir(options.dir, 'issueCertificate');
  assertSubjectName(options.commonName, 'issueCertificate: commonName');
  const dnsNames = options.dnsNames ?? [];
  const ipAddresses = options.ipAddresses ?? [];
  for (const name of dnsNames) {
    if (typeof name !== 'string' || !DNS_NAME.test(name))
      throw new TypeError(`issueCertificate: invalid DNS name ${JSON.stringify(name)}`);
  }
  for (const ip of ipAddresses) {
    if (typeof ip !== 'string' || net.isIP(ip) === 0)
      throw new TypeError(`issueCertificate: invalid IP address ${JSON.stringify(ip)}`);
  }
  const stem = options.name ?? options.commonName.replace(/[^A-Za-z0-9._-]/g, '_');
  if (!FILE_STEM.test(stem)) throw new TypeError(`issueCertificate: invalid file name ${JSON.stringify(stem)}`);

  const keyFile = path.join(options.dir, `${stem}.key`);
  const csrFile = path.join(options.dir, `${stem}.csr`);
  const certFile = path.join(options.dir, `${stem}.crt`);
  const extFile = path.join(options.dir, `${stem}.ext`);
  await generateKey(keyFile, options.keyType ?? ca.keyType);
  const altNames = [...dnsNames.map((n) => `DNS:${n}`), ...ipAddresses.map((ip) => `IP:${ip}`)];
  fs.writeFileSync(
    extFile,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid,issuer',
      ...(altNames.length > 0 ? [`subjectAltName=${altNames.join(',')}`] : []),
      '',
    ].join('\n'),
  );
  try {
    await openssl('openssl req (CSR)', [
      'req',
      '-new',
      '-key',
      keyFile,
      '-subj',
      `/CN=${options.commonName}`,
      '-out',
      csrFile,
    ]);
    await openssl('openssl x509 (sign)', [
      'x509',
      '-req',
      '-in',
      csrFile,
      '-CA',
      ca.certFile,
      '-CAkey',
      ca.keyFile,
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
      '-days',
      VALID_DAYS,
      '-sha256',
      '-extfile',
      extFile,
      '-out',
      certFile,
    ]);
  } finally {
    fs.rmSync(csrFile, { force: true });
    fs.rmSync(extFile, { force: true });
  }
  return { certFile, keyFile, caFile: ca.certFile };
}

/**
 * A fresh CA in `<dir>/tls` and a server certificate from it for CN/SAN `localhost` and
 * 127.0.0.1, so clients can verify-full against either name.
 */
export async function createLocalhostCertificate(dir: string): Promise<TlsFiles> {
  assertDir(dir, 'createLocalhostCertificate');
  const tlsDir = path.join(dir, 'tls');
  fs.mkdirSync(tlsDir, { mode: 0o700 });
  const ca = await createTestCa(tlsDir);
  return issueCertificate(ca, {
    commonName: 'localhost',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    dir: tlsDir,
    name: 'server',
  });
}

async function generateKey(keyFile: string, keyType: KeyType): Promise<void> {
  const algorithm =
    keyType === 'ec'
      ? ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']
      : keyType === 'rsa'
        ? ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']
        : undefined;
  if (!algorithm) throw new TypeError(`keyType must be 'ec' or 'rsa', got ${JSON.stringify(keyType)}`);
  await openssl('openssl genpkey', ['genpkey', ...algorithm, '-out', keyFile]);
  fs.chmodSync(keyFile, 0o600);
}

function openssl(what: string, args: string[]): Promise<unknown> {
  return runCommand('openssl', args, { what });
}

function assertDir(dir: string, fn: string): void {
  if (typeof dir !== 'string' || dir === '') throw new TypeError(`${fn}: dir is required`);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${fn}: ${dir} is not a directory`);
}

function assertSubjectName(value: string, what: string): void {
  if (typeof value !== 'string' || !SUBJECT_NAME.test(value)) {
    throw new TypeError(`${what} must be 1-64 letters, digits, spaces or . * _ -, got ${JSON.stringify(value)}`);
  }
}
