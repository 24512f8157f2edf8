// The parsers at the config and protocol edges: known_hosts lines, target validation, key and
// certificate text. Keys and certificates are made by the real ssh-keygen.
import { createHmac, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSshKeyPair,
  createSshUserCa,
  createTempDir,
  removeTempDir,
  runCommand,
  signUserKey,
} from '../../sandbox/servers';
import { isSignedBy, parseCertificateLine, USER_CERT } from './certificate';
import { entryMatchesHost, parseKnownHosts } from './known-hosts';
import { fingerprint, loadPrivateKey, parsePublicKeyLine, publicKeyLine, verifySignature } from './keys';
import { resolveSshTarget } from './target';

let dir: string;
beforeAll(() => {
  dir = createTempDir('ssh-parsing');
});
afterAll(() => {
  if (dir) removeTempDir(dir);
});

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

describe('known_hosts', () => {
  it('matches plain, bracketed, wildcard, negated and hashed host patterns like OpenSSH', () => {
    const salt = Buffer.from('0123456789abcdefghij');
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[db.internal]:2222').digest('base64')}`;
    const entries = parseKnownHosts(
      [
        `bastion.internal,10.0.0.5 ${KEY}`,
        `[*.internal]:2222,![evil.internal]:2222 ${KEY}`,
        `${hashed} ${KEY}`,
        '# comment',
        '',
      ].join('\n'),
      'kh',
    );
    expect(entries).toHaveLength(3);
    const [plain, wildcard, hashedEntry] = entries as [
      NonNullable<(typeof entries)[0]>,
      NonNullable<(typeof entries)[0]>,
      NonNullable<(typeof entries)[0]>,
    ];
    expect(entryMatchesHost(plain, 'bastion.internal', 22)).toBe(true);
    expect(entryMatchesHost(plain, 'bastion.internal', 2222)).toBe(false);
    expect(entryMatchesHost(wildcard, 'db.internal', 2222)).toBe(true);
    expect(entryMatchesHost(wildcard, 'evil.internal', 2222)).toBe(false);
    expect(entryMatchesHost(hashedEntry, 'db.internal', 2222)).toBe(true);
    expect(entryMatchesHost(hashedEntry, 'db.internal', 22)).toBe(false);
  });

  it('names the line at fault', () => {
    expect(() => parseKnownHosts(`host ${KEY}\n@trusted host ${KEY}`, 'target.knownHosts')).toThrow(
      /target.knownHosts line 2: unknown marker @trusted/,
    );
    expect(() => parseKnownHosts('host ssh-ed25519', 'target.knownHosts')).toThrow(
      /line 1: expected "HOSTS KEYTYPE BASE64KEY"/,
    );
  });
});

describe('ssh target', () => {
  it('reports the field at fault', () => {
    expect(() => resolveSshTarget({ host: '-oProxyCommand=x', hostKey: KEY })).toThrow(
      /target.host: must be a host name/,
    );
    expect(() => resolveSshTarget({ host: 'h', port: 70000, hostKey: KEY })).toThrow(/target.port/);
    expect(() => resolveSshTarget({ host: 'h', hostKey: 'ssh-ed25519 not-base64!' })).toThrow(
      /target.hostKey\[0\] must be an OpenSSH public key line/,
    );
    expect(() => resolveSshTarget({ host: 'h', knownHosts: `other ${KEY}` })).toThrow(
      /target.knownHosts has no line for h port 22/,
    );
    expect(() => resolveSshTarget({ host: 'h', extra: 1, hostKey: KEY })).toThrow(/Unrecognized key/);
  });

  it('collects keys, CAs and revocations that apply to the host', () => {
    const target = resolveSshTarget({
      host: 'h',
      port: 2200,
      knownHosts: `[h]:2200 ${KEY}\n@cert-authority * ${KEY}\n@revoked [h]:2200 ${KEY}\nother ${KEY}`,
    });
    expect([target.hostKeys.length, target.hostCas.length, target.revoked.length, target.pinned]).toEqual([
      1,
      1,
      1,
      true,
    ]);
  });
});

describe('keys and certificates', () => {
  it('loads OpenSSH, PKCS#8 and SEC1 keys and signs verifiably; fingerprints match ssh-keygen', async () => {
    const pair = await createSshKeyPair(dir, { name: 'fp' });
    const key = loadPrivateKey(fs.readFileSync(pair.privateKeyFile, 'utf8'), undefined, 'test key');
    const printed = (await runCommand('ssh-keygen', ['-l', '-f', pair.publicKeyFile], { what: 'ssh-keygen -l' }))
      .stdout;
    expect(printed).toContain(fingerprint(key.publicBlob));
    expect(publicKeyLine(key.publicBlob)).toBe(pair.publicKey.split(' ').slice(0, 2).join(' '));
    const data = Buffer.from('signed data');
    expect(verifySignature(key.publicBlob, key.sign(data), data)).toBe(true);
    expect(verifySignature(key.publicBlob, key.sign(data), Buffer.from('other data'))).toBe(false);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    const ecKey = loadPrivateKey(ec.export({ type: 'sec1', format: 'pem' }).toString(), undefined, 'ec key');
    expect(ecKey.keyType).toBe('ecdsa-sha2-nistp384');
    expect(verifySignature(ecKey.publicBlob, ecKey.sign(data), data)).toBe(true);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const rsaKey = loadPrivateKey(rsa.export({ type: 'pkcs8', format: 'pem' }).toString(), undefined, 'rsa key');
    expect(verifySignature(rsaKey.publicBlob, rsaKey.sign(data, 'rsa-sha2-256'), data)).toBe(true);
    expect(() =>
      loadPrivateKey(
        ['-----BEGIN', 'PRIVATE KEY-----\nAAAA\n-----END', 'PRIVATE KEY-----'].join(' '),
        undefined,
        'the private_key of secret/x',
      ),
    ).toThrow('the private_key of secret/x could not be read: not a PEM or OpenSSH private key');
  });

  it('parses an ssh-keygen user certificate and checks its CA signature', async () => {
    const ca = await createSshUserCa(dir);
    const user = await createSshKeyPair(dir, { name: 'user' });
    const { certificate } = await signUserKey(ca, user.publicKeyFile, {
      principals: ['alice', 'bob'],
      identity: 'cert-id',
      validity: '+1h',
    });
    const cert = parseCertificateLine(certificate, 'test cert');
    expect(cert.kind).toBe(USER_CERT);
    expect(cert.keyId).toBe('cert-id');
    expect(cert.principals).toEqual(['alice', 'bob']);
    expect(cert.publicKeyBlob.equals(parsePublicKeyLine(user.publicKey, 'user').blob)).toBe(true);
    expect(isSignedBy(cert, parsePublicKeyLine(ca.publicKey, 'ca').blob)).toBe(true);
    expect(isSignedBy(cert, parsePublicKeyLine(user.publicKey, 'user').blob)).toBe(false);
    const tampered = Buffer.from(cert.blob);
    tampered[tampered.length - 10]! ^= 1;
    expect(
      isSignedBy(
        parseCertificateLine(`${cert.certType} ${tampered.toString('base64')}`, 't'),
        parsePublicKeyLine(ca.publicKey, 'ca').blob,
      ),
    ).toBe(false);
    expect(() =>
      parseCertificateLine(`${cert.certType} ${cert.blob.subarray(0, 40).toString('base64')}`, 'the certificate'),
    ).toThrow(/the certificate is truncated/);
  });
});
