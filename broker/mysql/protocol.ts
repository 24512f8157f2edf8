// The MySQL client/server protocol, the part the broker speaks itself: packet framing and the
// connection-phase packets (Handshake v10, HandshakeResponse41, SSLRequest, AuthSwitchRequest,
// OK and ERR). The command phase is piped and never parsed.
import { ProtocolViolationError } from '../connector-kit';
import { MYSQL_CODES } from './errors';
import { PayloadReader, lenencInt, nul, u16, u32 } from './encoding';

/** Capability flags (CLIENT_*); bit 0 is CLIENT_MYSQL in MariaDB. Values are unsigned 32-bit. */
export const Cap = {
  LONG_PASSWORD: 1 << 0,
  FOUND_ROWS: 1 << 1,
  LONG_FLAG: 1 << 2,
  CONNECT_WITH_DB: 1 << 3,
  NO_SCHEMA: 1 << 4,
  COMPRESS: 1 << 5,
  ODBC: 1 << 6,
  LOCAL_FILES: 1 << 7,
  IGNORE_SPACE: 1 << 8,
  PROTOCOL_41: 1 << 9,
  INTERACTIVE: 1 << 10,
  SSL: 1 << 11,
  IGNORE_SIGPIPE: 1 << 12,
  TRANSACTIONS: 1 << 13,
  RESERVED: 1 << 14,
  SECURE_CONNECTION: 1 << 15,
  MULTI_STATEMENTS: 1 << 16,
  MULTI_RESULTS: 1 << 17,
  PS_MULTI_RESULTS: 1 << 18,
  PLUGIN_AUTH: 1 << 19,
  CONNECT_ATTRS: 1 << 20,
  PLUGIN_AUTH_LENENC_CLIENT_DATA: 1 << 21,
  CAN_HANDLE_EXPIRED_PASSWORDS: 1 << 22,
  SESSION_TRACK: 1 << 23,
  DEPRECATE_EOF: 1 << 24,
  OPTIONAL_RESULTSET_METADATA: 1 << 25,
  ZSTD_COMPRESSION: 1 << 26,
  QUERY_ATTRIBUTES: 1 << 27,
  MULTI_FACTOR_AUTH: 1 << 28,
  CAPABILITY_EXTENSION: 1 << 29,
  SSL_VERIFY_SERVER_CERT: 1 << 30,
  REMEMBER_OPTIONS: 2 ** 31,
} as const;

/** `flags` with `bits` cleared, as an unsigned 32-bit number. */
export const without = (flags: number, bits: number): number => (flags & ~bits) >>> 0;
export const has = (flags: number, bit: number): boolean => (flags & bit) !== 0;

export const COM_CHANGE_USER = 0x11;
/** A single packet's payload is at most 2^24-1 bytes; a longer one continues in the next packet. */
export const MAX_PACKET_PAYLOAD = 0xffffff;
/** Handshake packets (greeting, auth data, a PEM public key, connect attributes) are small. */
export const MAX_HANDSHAKE_PACKET = 256 * 1024;
export const NATIVE_PASSWORD = 'mysql_native_password';
export const CACHING_SHA2_PASSWORD = 'caching_sha2_password';

export interface Packet {
  readonly seq: number;
  readonly payload: Buffer;
  /**
   * Set when the packet was longer than the framer keeps (a client's, see `discardOversized`):
   * its declared length; `payload` then holds only its first bytes.
   */
  readonly oversized?: number;
}

/** How many bytes of a discarded oversized packet are kept: a HandshakeResponse41's fixed head. */
const KEPT_OF_OVERSIZED = 32;

export function encodePacket(seq: number, payload: Buffer): Buffer {
  if (payload.length >= MAX_PACKET_PAYLOAD)
    throw new RangeError(`a handshake packet of ${payload.length} bytes is too long`);
  const header = Buffer.alloc(4);
  header.writeUIntLE(payload.length, 0, 3);
  header[3] = seq & 0xff;
  return Buffer.concat([header, payload]);
}

// ---------------------------------------------------------------------------------------------
// Framing

export interface PacketFramer {
  push(chunk: Buffer): void;
  /** The header of the next packet, as soon as its 4 bytes are in (a server checks the sequence id then). */
  header(): { readonly length: number; readonly seq: number } | undefined;
  /**
   * The next complete packet, if any. A length over the limit throws a ProtocolViolationError,
   * unless the framer discards oversized packets (then they come out `oversized`, once read).
   */
  next(): Packet | undefined;
  /** Every byte received but not yet consumed (handed to the data phase). */
  takeRest(): Buffer;
  readonly buffered: number;
}

/**
 * A framer for one byte stream; chunks may split or join packets anywhere. With
 * `discardOversized`, a packet longer than `maxPayload` is read and dropped (its first bytes
 * kept) rather than refused at its header: a server reads a long handshake packet whole before
 * it answers, and the broker answers as it does without holding the bytes.
 */
export function createPacketFramer(
  maxPayload: number,
  peer: 'client' | 'backend',
  options: { discardOversized?: boolean } = {},
): PacketFramer {
  let pending: Buffer = Buffer.alloc(0);
  let discarding: { seq: number; length: number; left: number; head: Buffer } | undefined;
  const drain = () => {
    if (!discarding || pending.length === 0) return;
    const keep = Math.min(KEPT_OF_OVERSIZED - discarding.head.length, pending.length, discarding.left);
    if (keep > 0) discarding.head = Buffer.concat([discarding.head, pending.subarray(0, keep)]);
    const taken = Math.min(discarding.left, pending.length);
    discarding.left -= taken;
    pending = pending.subarray(taken);
  };
  return {
    push(chunk) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      drain();
    },
    header() {
      if (discarding || pending.length < 4) return undefined;
      return { length: pending.readUIntLE(0, 3), seq: pending[3]! };
    },
    next() {
      if (discarding) {
        if (discarding.left > 0) return undefined;
        const { seq, length, head } = discarding;
        discarding = undefined;
        return { seq, payload: head, oversized: length };
      }
      if (pending.length < 4) return undefined;
      const length = pending.readUIntLE(0, 3);
      if (length > maxPayload) {
        if (!options.discardOversized)
          throw new ProtocolViolationError(
            MYSQL_CODES,
            `the ${peer} sent a packet of ${length} bytes during the handshake (at most ${maxPayload}); is it speaking the MySQL protocol?`,
          );
        discarding = { seq: pending[3]!, length, left: length, head: Buffer.alloc(0) };
        pending = pending.subarray(4);
        drain();
        return this.next();
      }
      if (pending.length < 4 + length) return undefined;
      const packet = { seq: pending[3]!, payload: Buffer.from(pending.subarray(4, 4 + length)) };
      pending = pending.subarray(4 + length);
      return packet;
    },
    takeRest() {
      const rest = pending;
      pending = Buffer.alloc(0);
      return rest;
    },
    get buffered() {
      return pending.length + (discarding ? 1 : 0);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Handshake v10 (server greeting)

export interface ServerGreeting {
  readonly serverVersion: string;
  readonly connectionId: number;
  /** The 20-byte nonce for the auth plugin (without the trailing NUL). */
  readonly scramble: Buffer;
  readonly capabilities: number;
  /** MariaDB's extended capabilities (upper 32 bits); 0 unless CLIENT_MYSQL is clear. */
  readonly mariadbCapabilities: number;
  readonly charset: number;
  readonly status: number;
  readonly authPlugin?: string;
}

export function parseServerGreeting(payload: Buffer): ServerGreeting {
  const r = new PayloadReader(payload, 'server greeting');
  const version = r.u8();
  if (version !== 10)
    throw new ProtocolViolationError(
      MYSQL_CODES,
      `the backend speaks protocol version ${version}; the broker speaks version 10`,
    );
  const serverVersion = r.nulTerminated().toString('latin1');
  const connectionId = r.u32();
  const part1 = r.bytes(8);
  r.u8(); // filler
  let capabilities = r.u16();
  if (r.remaining === 0)
    throw new ProtocolViolationError(
      MYSQL_CODES,
      'the backend greeting lacks the protocol 4.1 fields (server too old)',
    );
  const charset = r.u8();
  const status = r.u16();
  capabilities = (capabilities | (r.u16() << 16)) >>> 0;
  const authDataLength = r.u8();
  r.bytes(6);
  const mariadbCapabilities = has(capabilities, Cap.LONG_PASSWORD) ? (r.bytes(4), 0) : r.u32();
  if (!has(capabilities, Cap.PROTOCOL_41) || !has(capabilities, Cap.SECURE_CONNECTION)) {
    throw new ProtocolViolationError(
      MYSQL_CODES,
      'the backend does not speak protocol 4.1 with secure authentication (server too old)',
    );
  }
  let part2 = r.bytes(Math.max(13, authDataLength - 8));
  if (part2[part2.length - 1] === 0) part2 = part2.subarray(0, part2.length - 1);
  const scramble = Buffer.concat([part1, part2]);
  if (scramble.length < 20)
    throw new ProtocolViolationError(
      MYSQL_CODES,
      `the backend greeting carries a ${scramble.length}-byte scramble (expected 20)`,
    );
  const authPlugin =
    has(capabilities, Cap.PLUGIN_AUTH) && r.remaining > 0 ? r.nulTerminated(true).toString('latin1') : undefined;
  return {
    serverVersion,
    connectionId,
    scramble: Buffer.from(scramble.subarray(0, 20)),
    capabilities,
    mariadbCapabilities,
    charset,
    status,
    ...(authPlugin && { authPlugin }),
  };
}

export function encodeServerGreeting(g: ServerGreeting & { authPlugin: string }): Buffer {
  if (g.scramble.length !== 20) throw new RangeError('the greeting scramble must be 20 bytes');
  const reserved = Buffer.alloc(10);
  if (!has(g.capabilities, Cap.LONG_PASSWORD)) reserved.writeUInt32LE(g.mariadbCapabilities >>> 0, 6);
  return Buffer.concat([
    Buffer.from([10]),
    nul(Buffer.from(g.serverVersion, 'latin1')),
    u32(g.connectionId),
    g.scramble.subarray(0, 8),
    Buffer.alloc(1),
    u16(g.capabilities & 0xffff),
    Buffer.from([g.charset]),
    u16(g.status),
    u16(g.capabilities >>> 16),
    Buffer.from([21]),
    reserved,
    g.scramble.subarray(8),
    Buffer.alloc(1),
    nul(g.authPlugin),
  ]);
}

// ---------------------------------------------------------------------------------------------
// HandshakeResponse41 and SSLRequest

export interface HandshakeResponse {
  readonly capabilities: number;
  readonly mariadbCapabilities: number;
  readonly maxPacketSize: number;
  readonly charset: number;
  readonly user: Buffer;
  readonly authResponse: Buffer;
  readonly database?: Buffer;
  readonly authPlugin?: string;
  /** The connect attributes block as sent: its length-encoded size, then key/value pairs. */
  readonly attributes?: Buffer;
}

/** The fixed 32-byte head shared by SSLRequest and HandshakeResponse41. */
const RESPONSE_HEAD = 32;

export type ClientHello = { readonly kind: 'ssl' } | ({ readonly kind: 'response' } & HandshakeResponse);

export function parseHandshakeResponse(payload: Buffer): ClientHello {
  const r = new PayloadReader(payload, 'handshake response');
  if (payload.length < 4)
    throw new ProtocolViolationError(
      MYSQL_CODES,
      `the client's handshake response is ${payload.length} bytes long; is it a MySQL client?`,
    );
  const capabilities = r.u32();
  if (!has(capabilities, Cap.PROTOCOL_41)) {
    throw new ProtocolViolationError(
      MYSQL_CODES,
      'the client speaks the pre-4.1 protocol (HandshakeResponse320), which the broker does not accept',
    );
  }
  if (payload.length < RESPONSE_HEAD)
    throw new ProtocolViolationError(
      MYSQL_CODES,
      `the client's handshake response is truncated (${payload.length} bytes)`,
    );
  const maxPacketSize = r.u32();
  const charset = r.u8();
  r.bytes(19);
  const mariadbCapabilities = has(capabilities, Cap.LONG_PASSWORD) ? (r.bytes(4), 0) : r.u32();
  if (has(capabilities, Cap.SSL) && payload.length === RESPONSE_HEAD) return { kind: 'ssl' };

  const user = Buffer.from(r.nulTerminated());
  let authResponse: Buffer;
  if (has(capabilities, Cap.PLUGIN_AUTH_LENENC_CLIENT_DATA)) authResponse = r.lenencBytes();
  else if (has(capabilities, Cap.SECURE_CONNECTION)) authResponse = r.bytes(r.u8());
  else authResponse = r.nulTerminated();
  const database =
    has(capabilities, Cap.CONNECT_WITH_DB) && r.remaining > 0 ? Buffer.from(r.nulTerminated(true)) : undefined;
  const authPlugin =
    has(capabilities, Cap.PLUGIN_AUTH) && r.remaining > 0 ? r.nulTerminated(true).toString('latin1') : undefined;
  let attributes: Buffer | undefined;
  if (has(capabilities, Cap.CONNECT_ATTRS) && r.remaining > 0) {
    const start = r.pos;
    const block = new PayloadReader(r.lenencBytes(), 'connect attributes');
    while (block.remaining > 0) {
      block.lenencBytes();
      block.lenencBytes();
    }
    attributes = Buffer.from(payload.subarray(start, r.pos));
  }
  return {
    kind: 'response',
    capabilities,
    mariadbCapabilities,
    maxPacketSize,
    charset,
    user,
    authResponse: Buffer.from(authResponse),
    ...(database !== undefined && { database }),
    ...(authPlugin !== undefined && { authPlugin }),
    ...(attributes !== undefined && { attributes }),
  };
}

function responseHead(
  capabilities: number,
  mariadbCapabilities: number,
  maxPacketSize: number,
  charset: number,
): Buffer {
  const head = Buffer.alloc(RESPONSE_HEAD);
  head.writeUInt32LE(capabilities >>> 0, 0);
  head.writeUInt32LE(maxPacketSize >>> 0, 4);
  head[8] = charset;
  if (!has(capabilities, Cap.LONG_PASSWORD)) head.writeUInt32LE(mariadbCapabilities >>> 0, 28);
  return head;
}

export function encodeSslRequest(
  r: Pick<HandshakeResponse, 'capabilities' | 'mariadbCapabilities' | 'maxPacketSize' | 'charset'>,
): Buffer {
  return responseHead(r.capabilities | Cap.SSL, r.mariadbCapabilities, r.maxPacketSize, r.charset);
}

/** Encodes per `r.capabilities`: the optional fields must be present exactly when their flag is. */
export function encodeHandshakeResponse(r: HandshakeResponse): Buffer {
  const caps = r.capabilities;
  const parts = [responseHead(caps, r.mariadbCapabilities, r.maxPacketSize, r.charset), nul(r.user)];
  if (has(caps, Cap.PLUGIN_AUTH_LENENC_CLIENT_DATA)) parts.push(lenencInt(r.authResponse.length), r.authResponse);
  else {
    if (r.authResponse.length > 255)
      throw new RangeError('auth response longer than 255 bytes needs PLUGIN_AUTH_LENENC_CLIENT_DATA');
    parts.push(Buffer.from([r.authResponse.length]), r.authResponse);
  }
  if (has(caps, Cap.CONNECT_WITH_DB)) parts.push(nul(r.database ?? Buffer.alloc(0)));
  if (has(caps, Cap.PLUGIN_AUTH)) parts.push(nul(r.authPlugin ?? ''));
  if (has(caps, Cap.CONNECT_ATTRS)) parts.push(r.attributes ?? lenencInt(0));
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------
// Replies during authentication

export interface ErrPacket {
  readonly code: number;
  readonly sqlstate: string;
  readonly message: string;
}

/** MySQL clients keep error messages in a 512-byte buffer. */
const MAX_ERROR_MESSAGE = 500;

/** An ERR payload; `sqlstate` undefined: the pre-4.1 format a server uses for such a client. */
export function encodeErr(code: number, sqlstate: string | undefined, message: string): Buffer {
  let text = Buffer.from(message, 'utf8');
  if (text.length > MAX_ERROR_MESSAGE)
    text = Buffer.concat([text.subarray(0, MAX_ERROR_MESSAGE - 3), Buffer.from('...')]);
  const state = sqlstate === undefined ? Buffer.alloc(0) : Buffer.from(`#${sqlstate}`, 'latin1');
  return Buffer.concat([Buffer.from([0xff]), u16(code), state, text]);
}

export function parseErr(payload: Buffer): ErrPacket {
  const r = new PayloadReader(payload, 'ERR packet');
  if (r.u8() !== 0xff) throw new ProtocolViolationError(MYSQL_CODES, 'not an ERR packet');
  const code = r.u16();
  let sqlstate = 'HY000';
  if (payload[r.pos] === 0x23 /* # */ && r.remaining >= 6) {
    r.u8();
    sqlstate = r.bytes(5).toString('latin1');
  }
  return { code, sqlstate, message: r.rest().toString('utf8') };
}

export function encodeAuthSwitch(plugin: string, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0xfe]), nul(plugin), data, Buffer.alloc(1)]);
}

export interface AuthSwitch {
  readonly plugin: string;
  /** The plugin's nonce, without the trailing NUL. */
  readonly data: Buffer;
}

/** An AuthSwitchRequest (0xFE); undefined for the bare 0xFE of the pre-4.1 "old password" switch. */
export function parseAuthSwitch(payload: Buffer): AuthSwitch | undefined {
  if (payload.length === 1) return undefined;
  const r = new PayloadReader(payload, 'auth switch request');
  r.u8();
  const plugin = r.nulTerminated().toString('latin1');
  let data = r.rest();
  if (data[data.length - 1] === 0) data = data.subarray(0, data.length - 1);
  return { plugin, data: Buffer.from(data) };
}
