import { constants, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cachingSha2Proof,
  cleartextPassword,
  greetingScramble,
  nativePasswordProof,
  rsaEncryptedPassword,
} from './auth';

const bytes = (...b: number[]) => Buffer.from(b);

describe('mysql_native_password', () => {
  it('matches the known vector (go-sql-driver/mysql auth_test.go, password "secret")', () => {
    const scramble = bytes(70, 114, 92, 94, 1, 38, 11, 116, 63, 114, 23, 101, 126, 103, 26, 95, 81, 17, 24, 21);
    expect(nativePasswordProof('secret', scramble)).toEqual(
      bytes(53, 177, 140, 159, 251, 189, 127, 53, 109, 252, 172, 50, 211, 192, 240, 164, 26, 48, 207, 45),
    );
  });

  it('agrees with the mysql2 driver for other passwords, and is empty for an empty password', () => {
    const require = createRequire(import.meta.url);
    // Not in the package's exports map: load the driver's own file by path.
    const auth41 = require(path.join(path.dirname(require.resolve('mysql2')), 'lib', 'auth_41.js')) as {
      calculateToken(p: string, s1: Buffer, s2: Buffer): Buffer;
    };
    const scramble = greetingScramble();
    for (const password of ['p', 'pässwörd', 'x'.repeat(100)]) {
      expect(nativePasswordProof(password, scramble)).toEqual(
        auth41.calculateToken(password, scramble.subarray(0, 8), scramble.subarray(8)),
      );
    }
    expect(nativePasswordProof('', scramble)).toHaveLength(0);
  });
});

describe('caching_sha2_password', () => {
  it('matches the known vectors (go-sql-driver/mysql)', () => {
    const s1 = bytes(10, 47, 74, 111, 75, 73, 34, 48, 88, 76, 114, 74, 37, 13, 3, 80, 82, 2, 23, 21);
    expect(cachingSha2Proof('secret', s1).toString('hex')).toBe(
      'f490e76f66d9d86665ce54d98c78d0acfe2fb0b08b423da807144873d30b312c',
    );
    expect(cachingSha2Proof('secret2', s1).toString('hex')).toBe(
      'abc3934a012cf342e876071c8ee202de51785b430258a7a0138bc79c4d800bc6',
    );
    const s2 = bytes(90, 105, 74, 126, 30, 48, 37, 56, 3, 23, 115, 127, 69, 22, 41, 84, 32, 123, 43, 118);
    expect(cachingSha2Proof('secret', s2)).toEqual(
      bytes(
        102,
        32,
        5,
        35,
        143,
        161,
        140,
        241,
        171,
        232,
        56,
        139,
        43,
        14,
        107,
        196,
        249,
        170,
        147,
        60,
        220,
        204,
        120,
        178,
        214,
        15,
        184,
        150,
        26,
        61,
        57,
        235,
      ),
    );
  });

  it('sends the NUL-terminated password over TLS', () => {
    expect(cleartextPassword('secret')).toEqual(bytes(115, 101, 99, 114, 101, 116, 0));
  });

  it('encrypts password XOR scramble with RSA-OAEP so that the server key decrypts it', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = Buffer.from(publicKey.export({ type: 'spki', format: 'pem' }) as string);
    const scramble = greetingScramble();
    const sealed = rsaEncryptedPassword('a fairly long password that is longer than the scramble', scramble, pem);
    const opened = privateDecrypt(
      { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
      sealed,
    );
    const plain = Buffer.from(opened.map((b, i) => b ^ scramble[i % 20]!));
    expect(plain.toString('utf8')).toBe('a fairly long password that is longer than the scramble\0');
  });

  it('refuses a public key that is not RSA or not a key, without echoing it', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ec = Buffer.from(publicKey.export({ type: 'spki', format: 'pem' }) as string);
    expect(() => rsaEncryptedPassword('pw', greetingScramble(), ec)).toThrow(/ec public key; RSA is required/);
    expect(() => rsaEncryptedPassword('pw', greetingScramble(), Buffer.from('not a key'))).toThrow(
      /unusable RSA public key/,
    );
  });
});

describe('greeting scramble', () => {
  it('is 20 printable bytes without NUL or $', () => {
    for (let i = 0; i < 50; i++) {
      const s = greetingScramble();
      expect(s).toHaveLength(20);
      expect([...s].every((b) => b > 0x20 && b < 0x7f && b !== 0x24)).toBe(true);
    }
  });
});
