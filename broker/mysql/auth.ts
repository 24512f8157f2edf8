// The password proofs of the authentication plugins the broker performs toward the backend:
// mysql_native_password, and caching_sha2_password (fast path scramble; full authentication
// with the password in clear over TLS, or RSA-OAEP encrypted with the server's public key).
import { constants, createHash, createPublicKey, publicEncrypt, randomInt } from 'node:crypto';
import { BackendUnreachableError } from '../connector-kit';
import { MYSQL_CODES } from './errors';

const sha1 = (...parts: Buffer[]) => {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return h.digest();
};
const sha256 = (...parts: Buffer[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i % b.length]!;
  return out;
}

/** SHA1(password) XOR SHA1(scramble + SHA1(SHA1(password))); empty for an empty password. */
export function nativePasswordProof(password: string, scramble: Buffer): Buffer {
  if (password === '') return Buffer.alloc(0);
  const stage1 = sha1(Buffer.from(password, 'utf8'));
  return xor(stage1, sha1(scramble.subarray(0, 20), sha1(stage1)));
}

/** SHA256(password) XOR SHA256(SHA256(SHA256(password)) + scramble); empty for an empty password. */
export function cachingSha2Proof(password: string, scramble: Buffer): Buffer {
  if (password === '') return Buffer.alloc(0);
  const stage1 = sha256(Buffer.from(password, 'utf8'));
  return xor(stage1, sha256(sha256(stage1), scramble.subarray(0, 20)));
}

/** The NUL-terminated password, as sent in clear over TLS during full authentication. */
export function cleartextPassword(password: string): Buffer {
  return Buffer.concat([Buffer.from(password, 'utf8'), Buffer.alloc(1)]);
}

/**
 * Full authentication without TLS: (password + NUL) XOR scramble, encrypted with the server's
 * RSA public key (OAEP, SHA-1), as caching_sha2_password and sha256_password expect.
 */
export function rsaEncryptedPassword(password: string, scramble: Buffer, publicKeyPem: Buffer): Buffer {
  let key;
  try {
    key = createPublicKey({ key: publicKeyPem, format: 'pem' });
  } catch (err) {
    throw new BackendUnreachableError(
      MYSQL_CODES,
      `the backend sent an unusable RSA public key: ${(err as Error).message}`,
    );
  }
  if (key.asymmetricKeyType !== 'rsa') {
    const type = key.asymmetricKeyType ?? 'non-RSA';
    throw new BackendUnreachableError(MYSQL_CODES, `the backend sent a ${type} public key; RSA is required`);
  }
  const plain = xor(cleartextPassword(password), scramble.subarray(0, 20));
  return publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, plain);
}

/**
 * A 20-byte scramble for the broker's own greeting: printable ASCII without '$', like the
 * server's, since some clients treat it as a C string.
 */
export function greetingScramble(): Buffer {
  const out = Buffer.alloc(20);
  for (let i = 0; i < out.length; i++) {
    let c;
    do c = randomInt(0x21, 0x7f);
    while (c === 0x24);
    out[i] = c;
  }
  return out;
}
