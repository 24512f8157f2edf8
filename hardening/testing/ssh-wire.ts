// SSH transport bytes for fuzzing the SSH connector's client-facing side (RFC 4253): the
// identification line, unencrypted binary packets (before NEWKEYS: no MAC, 8-byte blocks),
// KEXINIT and the curve25519 KEX_ECDH_INIT, a splitter for a real client's recorded first
// flights and a reader for the message numbers a server answered with.
import { randomBytes } from 'node:crypto';
import { sshString, sshUint32 } from '../../broker/ssh';

export const MSG = {
  DISCONNECT: 1,
  IGNORE: 2,
  UNIMPLEMENTED: 3,
  DEBUG: 4,
  SERVICE_REQUEST: 5,
  KEXINIT: 20,
  NEWKEYS: 21,
  KEX_ECDH_INIT: 30,
  KEX_ECDH_REPLY: 31,
  USERAUTH_REQUEST: 50,
  GLOBAL_REQUEST: 80,
  CHANNEL_OPEN: 90,
  CHANNEL_WINDOW_ADJUST: 93,
  CHANNEL_DATA: 94,
  CHANNEL_EXTENDED_DATA: 95,
  CHANNEL_EOF: 96,
  CHANNEL_CLOSE: 97,
  CHANNEL_REQUEST: 98,
} as const;

export const byte = (value: number): Buffer => Buffer.from([value & 0xff]);
export const bool = (value: boolean): Buffer => byte(value ? 1 : 0);
export const nameList = (names: readonly string[]): Buffer => sshString(names.join(','));
/** An SSH payload: message number, then fields. */
export const payload = (type: number, ...fields: Buffer[]): Buffer => Buffer.concat([byte(type), ...fields]);

export function identification(software = 'OpenSSH_9.6', comment?: string): Buffer {
  return Buffer.from(`SSH-2.0-${software}${comment ? ` ${comment}` : ''}\r\n`);
}

/**
 * An unencrypted binary packet: uint32 length, padding length, payload, ≥ 4 bytes of padding to
 * an 8-byte block. The padding is zeros (servers do not check it), so a seeded case replays exactly.
 */
export function binaryPacket(body: Buffer): Buffer {
  let padding = 8 - ((5 + body.length) % 8);
  if (padding < 4) padding += 8;
  return Buffer.concat([sshUint32(1 + body.length + padding), byte(padding), body, Buffer.alloc(padding)]);
}

export interface KexLists {
  kex: string[];
  hostKey: string[];
  cipher: string[];
  mac: string[];
  compression: string[];
}

/** Algorithms ssh2 (the connector's server) can agree to, OpenSSH's strict-KEX marker included. */
export const CLIENT_ALGORITHMS: KexLists = {
  kex: ['curve25519-sha256', 'curve25519-sha256@libssh.org', 'ext-info-c', 'kex-strict-c-v00@openssh.com'],
  hostKey: ['ssh-ed25519', 'rsa-sha2-512', 'ecdsa-sha2-nistp256'],
  cipher: ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-ctr'],
  mac: ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-256'],
  compression: ['none', 'zlib@openssh.com'],
};

export function kexInit(
  lists: KexLists = CLIENT_ALGORITHMS,
  firstKexFollows = false,
  cookie = Buffer.alloc(16, 0x5a),
): Buffer {
  const { kex, hostKey, cipher, mac, compression } = lists;
  return payload(
    MSG.KEXINIT,
    cookie,
    ...[kex, hostKey, cipher, cipher, mac, mac, compression, compression, [], []].map(nameList),
    bool(firstKexFollows),
    sshUint32(0),
  );
}

/** KEX_ECDH_INIT; the default key is fresh random bytes (any 32 bytes but a low-order point will do). */
export const ecdhInit = (clientPublicKey: Buffer = randomBytes(32)): Buffer =>
  payload(MSG.KEX_ECDH_INIT, sshString(clientPublicKey));

/** A client's byte stream cut into its identification line, its unencrypted packets' payloads up to NEWKEYS, and the (encrypted) rest. */
export function splitClientFlight(stream: Buffer): { identification: Buffer; payloads: Buffer[]; rest: Buffer } {
  const lineEnd = stream.indexOf('\n');
  if (lineEnd < 0) throw new Error('the recorded stream has no identification line');
  const payloads: Buffer[] = [];
  let at = lineEnd + 1;
  while (at + 5 <= stream.length) {
    const length = stream.readUInt32BE(at);
    const padding = stream[at + 4]!;
    if (at + 4 + length > stream.length) break;
    const body = stream.subarray(at + 5, at + 4 + length - padding);
    payloads.push(body);
    at += 4 + length;
    if (body[0] === MSG.NEWKEYS) break;
  }
  return { identification: stream.subarray(0, lineEnd + 1), payloads, rest: stream.subarray(at) };
}

/**
 * The message numbers of the unencrypted packets a server sent after its identification line
 * (its KEXINIT, KEX reply, NEWKEYS, a DISCONNECT), plus each DISCONNECT's description.
 */
export function serverMessages(received: Buffer): { types: number[]; disconnects: string[] } {
  const types: number[] = [];
  const disconnects: string[] = [];
  let at = received.indexOf('\n') + 1;
  if (at === 0) return { types, disconnects };
  while (at + 6 <= received.length) {
    const length = received.readUInt32BE(at);
    if (length < 2 || length > 35_000 || at + 4 + length > received.length) break;
    const body = received.subarray(at + 5, at + 4 + length - received[at + 4]!);
    types.push(body[0]!);
    if (body[0] === MSG.DISCONNECT && body.length >= 9)
      disconnects.push(body.subarray(9, 9 + body.readUInt32BE(5)).toString('utf8'));
    at += 4 + length;
    if (body[0] === MSG.NEWKEYS) break; // encrypted from here on
  }
  return { types, disconnects };
}
