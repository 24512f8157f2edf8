// SSH keys and user certificates for tests, made with `ssh-keygen`: a key pair, a user CA, and
// a certificate signed by that CA (`ssh-keygen -s`), which the sandbox sshd accepts.
import fs from 'node:fs';
import path from 'node:path';
import { runCommand } from './process';

export interface SshKeyPair {
  readonly privateKeyFile: string;
  readonly publicKeyFile: string;
  /** The public key line, `ssh-ed25519 AAAA… comment`. */
  readonly publicKey: string;
}

export type SshUserCa = SshKeyPair;

export interface SignOptions {
  /** OS user names the certificate is valid for. */
  readonly principals: readonly string[];
  /** ssh-keygen -V syntax; default '+5m' (valid from now for five minutes). */
  readonly validity?: string;
  /** The certificate's key id, shown in sshd's log. */
  readonly identity: string;
}

export interface SignedUserKey {
  /** `<key>-cert.pub`, next to the public key; `ssh -o CertificateFile=` takes it. */
  readonly certificateFile: string;
  /** Its content: `ssh-ed25519-cert-v01@openssh.com AAAA…`. */
  readonly certificate: string;
}

const FILE_STEM = /^[A-Za-z0-9._-]{1,64}$/;
const COMMENT = /^[A-Za-z0-9@._:-]{0,128}$/;
const PRINCIPAL = /^[A-Za-z0-9._@-]{1,64}$/;
const VALIDITY = /^[A-Za-z0-9+:-]{1,64}$/;
const KEY_LINE =
  /(^|\s)(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-[a-z0-9@.-]+)\s+[A-Za-z0-9+/]+={0,3}(\s|$)/;

/** A new unencrypted ed25519 key pair `<dir>/<name>` and `<dir>/<name>.pub`. */
export async function createSshKeyPair(
  dir: string,
  options: { name?: string; comment?: string } = {},
): Promise<SshKeyPair> {
  assertDir(dir, 'createSshKeyPair');
  const name = options.name ?? 'id_ed25519';
  const comment = options.comment ?? 'sesame-sandbox';
  if (!FILE_STEM.test(name)) throw new TypeError(`createSshKeyPair: invalid file name ${JSON.stringify(name)}`);
  if (!COMMENT.test(comment)) throw new TypeError(`createSshKeyPair: invalid comment ${JSON.stringify(comment)}`);
  const privateKeyFile = path.join(dir, name);
  if (fs.existsSync(privateKeyFile)) throw new Error(`createSshKeyPair: ${privateKeyFile} already exists`);
  await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', privateKeyFile], {
    what: 'ssh-keygen (new key)',
  });
  const publicKeyFile = `${privateKeyFile}.pub`;
  return { privateKeyFile, publicKeyFile, publicKey: fs.readFileSync(publicKeyFile, 'utf8').trim() };
}

/** A fresh SSH user CA key pair in `dir` (`user_ca`, `user_ca.pub`). For tests only. */
export function createSshUserCa(dir: string): Promise<SshUserCa> {
  return createSshKeyPair(dir, { name: 'user_ca', comment: 'sesame-sandbox-user-ca' });
}

/** Sign `publicKeyFile` with `ca` as a user certificate (`ssh-keygen -s`). For tests only. */
export async function signUserKey(ca: SshUserCa, publicKeyFile: string, options: SignOptions): Promise<SignedUserKey> {
  if (!ca || !ca.privateKeyFile) throw new TypeError('signUserKey: a CA from createSshUserCa is required');
  if (typeof publicKeyFile !== 'string' || !fs.existsSync(publicKeyFile)) {
    throw new Error(`signUserKey: public key file ${JSON.stringify(publicKeyFile)} does not exist`);
  }
  if (!options || !Array.isArray(options.principals) || options.principals.length === 0) {
    throw new TypeError('signUserKey: principals must be a non-empty array of user names');
  }
  for (const principal of options.principals) {
    if (typeof principal !== 'string' || !PRINCIPAL.test(principal))
      throw new TypeError(`signUserKey: invalid principal ${JSON.stringify(principal)}`);
  }
  const validity = options.validity ?? '+5m';
  if (!VALIDITY.test(validity))
    throw new TypeError(`signUserKey: invalid validity ${JSON.stringify(validity)} (ssh-keygen -V syntax, e.g. '+5m')`);
  if (typeof options.identity !== 'string' || !/^[A-Za-z0-9@._:-]{1,128}$/.test(options.identity)) {
    throw new TypeError(`signUserKey: invalid identity ${JSON.stringify(options.identity)}`);
  }
  await runCommand(
    'ssh-keygen',
    [
      '-q',
      '-s',
      ca.privateKeyFile,
      '-I',
      options.identity,
      '-n',
      options.principals.join(','),
      '-V',
      validity,
      publicKeyFile,
    ],
    { what: 'ssh-keygen (sign user key)' },
  );
  const certificateFile = `${publicKeyFile.endsWith('.pub') ? publicKeyFile.slice(0, -4) : publicKeyFile}-cert.pub`;
  return { certificateFile, certificate: fs.readFileSync(certificateFile, 'utf8').trim() };
}

/** `line` if it is one OpenSSH public key line (options before the key type allowed). */
export function assertPublicKeyLine(line: string, what: string): string {
  if (typeof line !== 'string' || /[\r\n]/.test(line) || !KEY_LINE.test(line.trim())) {
    throw new TypeError(`${what} must be one OpenSSH public key line like "ssh-ed25519 AAAA…"`);
  }
  return line.trim();
}

function assertDir(dir: string, fn: string): void {
  if (typeof dir !== 'string' || dir === '') throw new TypeError(`${fn}: dir is required`);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${fn}: ${dir} is not a directory`);
}
