// SCRAM-SHA-256 client (RFC 5802, RFC 7677) as PostgreSQL uses it, including
// SCRAM-SHA-256-PLUS with tls-server-end-point channel binding (RFC 5929). The server's
// signature is always verified, so a backend that does not know the password cannot pass.
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

export const SCRAM_SHA_256 = 'SCRAM-SHA-256';
export const SCRAM_SHA_256_PLUS = 'SCRAM-SHA-256-PLUS';
/** A server asking for more iterations than this is hostile or misconfigured. */
const MAX_ITERATIONS = 10_000_000;

/**
 * How the client binds to the TLS channel: `none` without TLS, `supported` on TLS when the server
 * did not offer PLUS (gs2 flag 'y' lets the server detect a downgrade), or the binding data.
 */
export type ChannelBinding =
  | { readonly kind: 'none' }
  | { readonly kind: 'supported' }
  | { readonly kind: 'tls-server-end-point'; readonly data: Buffer };

export class ScramError extends Error {
  constructor(message: string) {
    super(`SCRAM authentication failed: ${message}`);
    this.name = 'ScramError';
  }
}

export interface ScramClient {
  readonly mechanism: typeof SCRAM_SHA_256 | typeof SCRAM_SHA_256_PLUS;
  /** The client-first-message, gs2 header included (SASLInitialResponse data). */
  clientFirstMessage(): string;
  /** Consumes the server-first-message and returns the client-final-message. */
  clientFinalMessage(serverFirst: string): Promise<string>;
  /** Verifies the server-final-message; throws unless the server proved it knows the password. */
  verifyServerFinal(serverFinal: string): void;
  /** True once the server's signature has been verified. */
  readonly verified: boolean;
}

export interface ScramClientOptions {
  readonly password: string;
  /** PostgreSQL ignores the SCRAM user name (it uses the startup user), so the default is ''. */
  readonly username?: string;
  /** Fixed client nonce, for protocol test vectors only. */
  readonly nonce?: string;
  readonly channelBinding?: ChannelBinding;
}

/**
 * Picks the mechanism from the server's list: PLUS when we have binding data and the server
 * offers it, plain SCRAM otherwise. Returns undefined when the server offers neither.
 */
export function chooseScramBinding(
  mechanisms: readonly string[],
  tlsBindingData: Buffer | undefined,
): ChannelBinding | undefined {
  if (tlsBindingData && mechanisms.includes(SCRAM_SHA_256_PLUS)) {
    return { kind: 'tls-server-end-point', data: tlsBindingData };
  }
  if (!mechanisms.includes(SCRAM_SHA_256)) return undefined;
  return tlsBindingData ? { kind: 'supported' } : { kind: 'none' };
}

export function createScramClient(options: ScramClientOptions): ScramClient {
  const binding = options.channelBinding ?? { kind: 'none' };
  const mechanism = binding.kind === 'tls-server-end-point' ? SCRAM_SHA_256_PLUS : SCRAM_SHA_256;
  const gs2Header =
    binding.kind === 'tls-server-end-point' ? 'p=tls-server-end-point,,' : binding.kind === 'supported' ? 'y,,' : 'n,,';
  const clientNonce = options.nonce ?? randomBytes(18).toString('base64');
  if (!isPrintableNonce(clientNonce)) throw new ScramError('the client nonce has invalid characters');
  const clientFirstBare = `n=${escapeSaslName(options.username ?? '')},r=${clientNonce}`;
  let expectedServerSignature: Buffer | undefined;
  let verified = false;

  return {
    mechanism,
    clientFirstMessage: () => gs2Header + clientFirstBare,
    async clientFinalMessage(serverFirst) {
      if (expectedServerSignature) throw new ScramError('server-first-message received twice');
      const attrs = parseAttributes(serverFirst, 'server-first-message');
      if (attrs.has('m')) throw new ScramError('the server requires an unsupported SCRAM extension');
      const nonce = required(attrs, 'r', 'server-first-message');
      const saltB64 = required(attrs, 's', 'server-first-message');
      const iterText = required(attrs, 'i', 'server-first-message');
      if (!nonce.startsWith(clientNonce) || nonce.length === clientNonce.length || !isPrintableNonce(nonce)) {
        throw new ScramError('the server nonce does not extend the client nonce');
      }
      const salt = decodeBase64(saltB64, 'salt');
      if (salt.length === 0) throw new ScramError('the server sent an empty salt');
      const iterations = /^[1-9][0-9]{0,9}$/.test(iterText) ? Number(iterText) : NaN;
      if (!(iterations >= 1 && iterations <= MAX_ITERATIONS)) {
        throw new ScramError(`invalid iteration count '${iterText.slice(0, 20)}'`);
      }
      const cbindInput =
        binding.kind === 'tls-server-end-point'
          ? Buffer.concat([Buffer.from(gs2Header), binding.data])
          : Buffer.from(gs2Header);
      const clientFinalWithoutProof = `c=${cbindInput.toString('base64')},r=${nonce}`;
      const authMessage = `${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;

      const saltedPassword = await saltedPasswordFor(saslPrep(options.password), salt, iterations);
      const clientKey = hmac(saltedPassword, 'Client Key');
      const storedKey = createHash('sha256').update(clientKey).digest();
      const clientSignature = hmac(storedKey, authMessage);
      const proof = Buffer.alloc(32);
      for (let i = 0; i < 32; i++) proof[i] = clientKey[i]! ^ clientSignature[i]!;
      expectedServerSignature = hmac(hmac(saltedPassword, 'Server Key'), authMessage);
      return `${clientFinalWithoutProof},p=${proof.toString('base64')}`;
    },
    verifyServerFinal(serverFinal) {
      if (!expectedServerSignature) throw new ScramError('server-final-message before server-first-message');
      const attrs = parseAttributes(serverFinal, 'server-final-message');
      const error = attrs.get('e');
      if (error !== undefined) throw new ScramError(`the server reported '${error.slice(0, 100)}'`);
      const signature = decodeBase64(required(attrs, 'v', 'server-final-message'), 'server signature');
      if (signature.length !== expectedServerSignature.length || !timingSafeEqual(signature, expectedServerSignature)) {
        throw new ScramError('the server signature is wrong (the backend does not know the password)');
      }
      verified = true;
    },
    get verified() {
      return verified;
    },
  };
}

const hmac = (key: Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/**
 * PBKDF2 (4096 rounds by default: ~0.8 ms of CPU here) is the costly part of a SCRAM login, and a
 * role's salt and iteration count stay the same until its password changes, so the result is
 * kept for the next connect, as pgbouncer keeps its SCRAM keys. In this process's memory only,
 * like the password it comes from; keyed by a hash of password, salt and iterations (a rotated
 * password or a new salt is a new key); the 64 most recent are kept.
 */
const saltedPasswords = new Map<string, Buffer>();
const SALTED_PASSWORDS_KEPT = 64;

async function saltedPasswordFor(password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  const key = createHash('sha256')
    .update(`${iterations}\0${salt.toString('base64')}\0`)
    .update(password, 'utf8')
    .digest('base64');
  const known = saltedPasswords.get(key);
  if (known) {
    saltedPasswords.delete(key); // most recently used last
    saltedPasswords.set(key, known);
    return known;
  }
  const derived = await pbkdf2Async(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  saltedPasswords.set(key, derived);
  if (saltedPasswords.size > SALTED_PASSWORDS_KEPT) saltedPasswords.delete(saltedPasswords.keys().next().value!);
  return derived;
}

/** printable = %x21-2B / %x2D-7E (RFC 5802): any visible ASCII except ','. */
const isPrintableNonce = (s: string): boolean => /^[\x21-\x2b\x2d-\x7e]+$/.test(s);

const escapeSaslName = (name: string): string => name.replace(/=/g, '=3D').replace(/,/g, '=2C');

function parseAttributes(message: string, what: string): Map<string, string> {
  const attrs = new Map<string, string>();
  for (const part of message.split(',')) {
    const match = /^([A-Za-z])=(.*)$/s.exec(part);
    if (!match) throw new ScramError(`malformed ${what}`);
    attrs.set(match[1]!, match[2]!);
  }
  return attrs;
}

function required(attrs: Map<string, string>, key: string, what: string): string {
  const value = attrs.get(key);
  if (value === undefined || value === '') throw new ScramError(`the ${what} has no '${key}' attribute`);
  return value;
}

function decodeBase64(text: string, what: string): Buffer {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) {
    throw new ScramError(`the ${what} is not valid base64`);
  }
  return Buffer.from(text, 'base64');
}

// SASLprep (RFC 4013) the way PostgreSQL applies it: ASCII passwords are used as they are; others
// are mapped and NFKC-normalized, and a password SASLprep rejects is used unchanged.
type Ranges = readonly (readonly [number, number])[];
/** RFC 3454 C.1.2, non-ASCII spaces: mapped to U+0020. */
const NON_ASCII_SPACE: Ranges = [
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200b],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
];
/** RFC 3454 B.1, commonly mapped to nothing. */
const MAPPED_TO_NOTHING: Ranges = [
  [0xad, 0xad],
  [0x34f, 0x34f],
  [0x1806, 0x1806],
  [0x180b, 0x180d],
  [0x200b, 0x200d],
  [0x2060, 0x2060],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
];
/** RFC 4013 §2.3 prohibited output (C.1.2, C.2.1–C.9), surrogates included. */
const PROHIBITED: Ranges = [
  ...NON_ASCII_SPACE,
  [0x00, 0x1f],
  [0x7f, 0x9f],
  [0x340, 0x341],
  [0x6dd, 0x6dd],
  [0x70f, 0x70f],
  [0x180e, 0x180e],
  [0x200c, 0x200f],
  [0x2028, 0x202e],
  [0x2060, 0x2063],
  [0x206a, 0x206f],
  [0x2ff0, 0x2ffb],
  [0xd800, 0xdfff],
  [0xe000, 0xf8ff],
  [0xfdd0, 0xfdef],
  [0xfeff, 0xfeff],
  [0xfff9, 0xffff],
  [0x1d173, 0x1d17a],
  [0xe0001, 0xe0001],
  [0xe0020, 0xe007f],
  [0xf0000, 0x10ffff],
];
const inRanges = (cp: number, ranges: Ranges): boolean => ranges.some(([lo, hi]) => cp >= lo && cp <= hi);

export function saslPrep(password: string): string {
  const codePoints = [...password].map((c) => c.codePointAt(0)!);
  if (codePoints.every((cp) => cp < 0x80)) return password;
  const mapped = codePoints
    .filter((cp) => !inRanges(cp, MAPPED_TO_NOTHING) || inRanges(cp, NON_ASCII_SPACE))
    .map((cp) => (inRanges(cp, NON_ASCII_SPACE) ? 0x20 : cp));
  const normalized = String.fromCodePoint(...mapped).normalize('NFKC');
  if (normalized === '' || [...normalized].some((c) => inRanges(c.codePointAt(0)!, PROHIBITED))) return password;
  return normalized;
}
