// The local CA and the certificate the brokers' local leg presents: EC P-256 keys from Node's
// crypto, X.509 v3 certificates built with der.ts and signed with ECDSA-SHA256. The CA may sign
// only for this machine (a critical Name Constraints extension: localhost, 127.0.0.0/8, ::1), so
// its key, were it stolen, could not vouch for any other host to a client that trusts it.
import {
  X509Certificate,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
} from 'node:crypto';
import net from 'node:net';
import {
  bitString,
  boolean,
  explicit,
  implicit,
  octetString,
  oid,
  sequence,
  set,
  smallInteger,
  time,
  tlv,
  unsignedInteger,
  utf8String,
} from './der';

/** A key and certificate, PEM. */
export interface KeyAndCertificate {
  /** PKCS#8 PEM. */
  readonly key: string;
  readonly cert: string;
}

const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

const DAY_MS = 86_400_000;
/** What the local CA may sign for, and what the broker's certificate names. */
export const LOCAL_NAMES = { dns: ['localhost'], ip: ['127.0.0.1', '::1'] } as const;

const name = (commonName: string) =>
  sequence(
    set(sequence(oid(OID.organization), utf8String('Sesame'))),
    set(sequence(oid(OID.commonName), utf8String(commonName))),
  );

const extension = (id: string, critical: boolean, value: Buffer) =>
  sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));

/** The public key as X.509 carries it (SubjectPublicKeyInfo), and its RFC 5280 key identifier. */
function publicKeyOf(privateKeyPem: string): { spki: Buffer; keyId: Buffer } {
  const spki = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'der' });
  // The identifier is the SHA-1 of the subjectPublicKey BIT STRING's bytes; for P-256 they are
  // the last 65 bytes of the SPKI (the uncompressed point).
  const keyId = createHash('sha1')
    .update(spki.subarray(spki.length - 65))
    .digest();
  return { spki, keyId };
}

function ipBytes(address: string): Buffer {
  if (net.isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  // ::1 and other IPv6 literals: expand "::" and write eight 16-bit groups.
  const [head = '', tail = ''] = address.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const all = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

interface CertificateFields {
  readonly subject: string;
  readonly issuer: string;
  readonly subjectKey: string;
  readonly signingKey: string;
  readonly days: number;
  readonly extensions: Buffer[];
  readonly now: Date;
}

function certificate(f: CertificateFields): string {
  const { spki } = publicKeyOf(f.subjectKey);
  const algorithm = sequence(oid(OID.ecdsaWithSha256));
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const notBefore = new Date(f.now.getTime() - 3_600_000); // an hour of clock skew
  const notAfter = new Date(f.now.getTime() + f.days * DAY_MS);
  const tbs = sequence(
    explicit(0, smallInteger(2)), // v3
    unsignedInteger(serial),
    algorithm,
    name(f.issuer),
    sequence(time(notBefore), time(notAfter)),
    name(f.subject),
    spki,
    explicit(3, sequence(...f.extensions)),
  );
  const signature = sign('sha256', tbs, { key: f.signingKey, dsaEncoding: 'der' });
  const der = sequence(tbs, algorithm, bitString(signature));
  const body = der.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${body}${body.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}

const newKey = () =>
  generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

/** A self-signed CA (10 years by default) that may sign only for localhost, 127.0.0.0/8 and ::1. */
export function createLocalCa(options: { commonName?: string; days?: number; now?: Date } = {}): KeyAndCertificate {
  const key = newKey();
  const { keyId } = publicKeyOf(key);
  const commonName = options.commonName ?? 'Sesame local CA';
  // NameConstraints ::= SEQUENCE { permittedSubtrees [0] IMPLICIT GeneralSubtrees }; each
  // GeneralSubtree a SEQUENCE { base }: dNSName [2], iPAddress [7] (address, then mask).
  const permitted = tlv(
    0xa0,
    sequence(implicit(2, Buffer.from('localhost', 'ascii'))),
    sequence(implicit(7, Buffer.from([127, 0, 0, 0, 255, 0, 0, 0]))),
    sequence(implicit(7, Buffer.concat([ipBytes('::1'), Buffer.alloc(16, 0xff)]))),
  );
  const cert = certificate({
    subject: commonName,
    issuer: commonName,
    subjectKey: key,
    signingKey: key,
    days: options.days ?? 3650,
    now: options.now ?? new Date(),
    extensions: [
      extension(OID.basicConstraints, true, sequence(boolean(true), smallInteger(0))),
      extension(OID.keyUsage, true, bitString(Buffer.from([0x06]), 1)), // keyCertSign, cRLSign
      extension(OID.subjectKeyIdentifier, false, octetString(keyId)),
      extension(OID.nameConstraints, true, sequence(permitted)),
    ],
  });
  return { key, cert };
}

/**
 * The broker's certificate for its local listeners, signed by `ca`: CN localhost, SANs localhost,
 * 127.0.0.1 and ::1, server authentication only (1 year by default).
 */
export function issueLocalServerCertificate(
  ca: KeyAndCertificate,
  options: { days?: number; now?: Date } = {},
): KeyAndCertificate {
  return issueServerCertificate(ca, { dns: [...LOCAL_NAMES.dns], ip: [...LOCAL_NAMES.ip], ...options });
}

/** A server certificate for `dns` and `ip` names signed by `ca` (the CA's constraints still apply to it). */
export function issueServerCertificate(
  ca: KeyAndCertificate,
  options: { dns: string[]; ip: string[]; days?: number; now?: Date },
): KeyAndCertificate {
  const key = newKey();
  const { keyId } = publicKeyOf(key);
  const caKeyId = publicKeyOf(ca.key).keyId;
  const issuer = new X509Certificate(ca.cert).subject.match(/CN=([^\n]+)/)?.[1] ?? 'Sesame local CA';
  const altNames = sequence(
    ...options.dns.map((dns) => implicit(2, Buffer.from(dns, 'ascii'))),
    ...options.ip.map((ip) => implicit(7, ipBytes(ip))),
  );
  const cert = certificate({
    subject: options.dns[0] ?? options.ip[0] ?? 'localhost',
    issuer,
    subjectKey: key,
    signingKey: ca.key,
    days: options.days ?? 365,
    now: options.now ?? new Date(),
    extensions: [
      extension(OID.basicConstraints, true, sequence()),
      extension(OID.keyUsage, true, bitString(Buffer.from([0x80]), 7)), // digitalSignature
      extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth))),
      extension(OID.subjectAltName, false, altNames),
      extension(OID.subjectKeyIdentifier, false, octetString(keyId)),
      extension(OID.authorityKeyIdentifier, false, sequence(implicit(0, caKeyId))),
    ],
  });
  return { key, cert };
}

/** Whether `pair` is a usable CA: it parses, the key is its key, and it is valid for at least `marginDays` more. */
export function isUsableCa(pair: KeyAndCertificate, marginDays = 30, now = new Date()): boolean {
  try {
    const x509 = new X509Certificate(pair.cert);
    if (!x509.ca || !x509.checkPrivateKey(createPrivateKey(pair.key))) return false;
    return (
      Date.parse(x509.validTo) - now.getTime() > marginDays * DAY_MS && Date.parse(x509.validFrom) <= now.getTime()
    );
  } catch {
    return false;
  }
}
