// PostgreSQL wire protocol v3, the part the broker speaks itself: framing of a byte stream and
// the startup/authentication messages. The data phase is piped and never parsed.
import { ProtocolViolationError } from '../connector-kit';
import { PG_CODES } from './errors';

export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;
/** Protocol 3.0, the version the broker speaks on both legs. */
export const PROTOCOL_3_0 = 3 << 16;
/** PostgreSQL's own MAX_STARTUP_PACKET_LENGTH: a longer startup packet (after its length word) is garbage. */
export const MAX_STARTUP_PACKET = 10_000;
/** Handshake messages (auth requests, ParameterStatus, errors) are small; cap what we buffer. */
export const MAX_HANDSHAKE_MESSAGE = 1 << 20;
/** Protocol 3.2 lets cancel keys grow to 256 bytes; 3.0 keys are 4 bytes. */
const MAX_CANCEL_KEY = 256;
/** A 3.0 CancelRequest: length, code, process id, 4-byte key. PostgreSQL 15 takes no other length. */
const CANCEL_REQUEST_LENGTH = 16;
/** Said to nobody: PostgreSQL logs these (COMMERROR) and closes without a word. */
const UNSAID = { clientMessage: null } as const;

export interface Message {
  /** The one-character message type, e.g. 'R', 'E', 'S'. */
  readonly type: string;
  readonly body: Buffer;
}

// ---------------------------------------------------------------------------------------------
// Framing

export interface FrameReader {
  push(chunk: Buffer): void;
  /** The next untyped startup-phase packet (without its length word), if complete. */
  readStartupPacket(): Buffer | undefined;
  /** The next typed message, if complete. */
  readMessage(): Message | undefined;
  /** Every byte received but not yet consumed (handed to the data phase). */
  takeRest(): Buffer;
  readonly buffered: number;
}

/** A reader for one byte stream; chunks may split or join packets anywhere. */
export function createFrameReader(maxMessageSize: number): FrameReader {
  let pending: Buffer = Buffer.alloc(0);
  const take = (n: number): Buffer => {
    const out = pending.subarray(0, n);
    pending = pending.subarray(n);
    return out;
  };
  return {
    push(chunk) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    },
    readStartupPacket() {
      if (pending.length < 4) return undefined;
      const length = pending.readInt32BE(0);
      if (length < 8 || length - 4 > MAX_STARTUP_PACKET) {
        // The postmaster's words, logged; the client (node-postgres' early Terminate, an HTTP
        // request, a port scanner) gets nothing, as from PostgreSQL.
        throw new ProtocolViolationError(
          PG_CODES,
          `invalid length of startup packet (${length}; expected 8 to ${MAX_STARTUP_PACKET + 4})`,
          UNSAID,
        );
      }
      if (pending.length < length) return undefined;
      return Buffer.from(take(length).subarray(4));
    },
    readMessage() {
      if (pending.length < 5) return undefined;
      const type = String.fromCharCode(pending[0]!);
      const length = pending.readInt32BE(1);
      if (length < 4 || length > maxMessageSize) {
        throw new ProtocolViolationError(
          PG_CODES,
          `invalid length ${length} for message type '${printable(type)}' (expected 4 to ${maxMessageSize})`,
        );
      }
      if (pending.length < length + 1) return undefined;
      const raw = take(length + 1);
      return { type, body: Buffer.from(raw.subarray(5)) };
    },
    takeRest() {
      const rest = pending;
      pending = Buffer.alloc(0);
      return rest;
    },
    get buffered() {
      return pending.length;
    },
  };
}

/** A message type byte shown in an error: printable ASCII as is, anything else as hex. */
export function printable(type: string): string {
  const code = type.charCodeAt(0);
  return code >= 0x20 && code < 0x7f ? type : `0x${code.toString(16).padStart(2, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// Encoding helpers

const cstring = (s: string): Buffer => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

/** A typed message: type byte, Int32 length (including itself), body. */
export function encodeMessage(type: string, body: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

/** An untyped startup-phase packet: Int32 length (including itself), body. */
function encodePacket(body: Buffer): Buffer {
  return Buffer.concat([int32(body.length + 4), body]);
}

/** Walks a message body, failing with a ProtocolViolationError naming the message on truncation. */
export class BodyReader {
  private offset = 0;
  constructor(
    private readonly body: Buffer,
    private readonly what: string,
  ) {}
  get remaining(): number {
    return this.body.length - this.offset;
  }
  int32(): number {
    if (this.remaining < 4) throw new ProtocolViolationError(PG_CODES, `truncated ${this.what}`);
    const v = this.body.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  bytes(n: number): Buffer {
    if (n < 0 || this.remaining < n) throw new ProtocolViolationError(PG_CODES, `truncated ${this.what}`);
    const out = this.body.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  rest(): Buffer {
    return this.bytes(this.remaining);
  }
  cstring(): string {
    const end = this.body.indexOf(0, this.offset);
    if (end < 0) throw new ProtocolViolationError(PG_CODES, `unterminated string in ${this.what}`);
    const s = this.body.toString('utf8', this.offset, end);
    this.offset = end + 1;
    return s;
  }
  byte(): number {
    if (this.remaining < 1) throw new ProtocolViolationError(PG_CODES, `truncated ${this.what}`);
    return this.body[this.offset++]!;
  }
}

// ---------------------------------------------------------------------------------------------
// Startup-phase packets (client → server, untyped)

export type StartupPacket =
  | { kind: 'ssl' }
  | { kind: 'gssenc' }
  | { kind: 'cancel'; processId: number; secretKey: Buffer }
  | { kind: 'startup'; major: number; minor: number; parameters: Map<string, string> };

/** Which encryption requests the connection has had answered (each is taken once). */
export interface NegotiationDone {
  readonly ssl: boolean;
  readonly gss: boolean;
}

/**
 * Parses a startup-phase packet body (as returned by `readStartupPacket`) the way PostgreSQL 15's
 * ProcessStartupPacket does: an encryption request is one until it was answered (then its code
 * is an unsupported protocol version, 1234.5679/5680); a CancelRequest must be 16 bytes; a
 * protocol 3 packet's parameters must end exactly at its last byte. Only a protocol 3 packet's
 * parameters are read; the caller refuses other versions.
 */
export function parseStartupPacket(body: Buffer, done: NegotiationDone = { ssl: false, gss: false }): StartupPacket {
  const code = body.readInt32BE(0);
  if (code === SSL_REQUEST_CODE && !done.ssl) return { kind: 'ssl' };
  if (code === GSSENC_REQUEST_CODE && !done.gss) return { kind: 'gssenc' };
  if (code === CANCEL_REQUEST_CODE) {
    if (body.length + 4 !== CANCEL_REQUEST_LENGTH)
      throw new ProtocolViolationError(
        PG_CODES,
        `invalid length of startup packet (a CancelRequest of ${body.length + 4} bytes)`,
        UNSAID,
      );
    return { kind: 'cancel', processId: body.readInt32BE(4), secretKey: Buffer.from(body.subarray(8)) };
  }
  const major = code >>> 16;
  const minor = code & 0xffff;
  const parameters = new Map<string, string>();
  if (major !== 3) return { kind: 'startup', major, minor, parameters };
  // The postmaster's scan: a zero byte after the packet ends every string; a name with no value
  // ends the scan; the terminator must be the packet's last byte.
  const len = body.length;
  const text = Buffer.concat([body, Buffer.alloc(1)]);
  const cstringAt = (at: number) => text.subarray(at, text.indexOf(0, at));
  let offset = 4;
  while (offset < len) {
    const name = cstringAt(offset);
    if (name.length === 0) break;
    const valueOffset = offset + name.length + 1;
    if (valueOffset >= len) break;
    const value = cstringAt(valueOffset);
    parameters.set(name.toString('utf8'), value.toString('utf8'));
    offset = valueOffset + value.length + 1;
  }
  if (offset !== len - 1)
    throw new ProtocolViolationError(PG_CODES, 'invalid startup packet layout: expected terminator as last byte');
  return { kind: 'startup', major, minor, parameters };
}

export const sslRequest = (): Buffer => encodePacket(int32(SSL_REQUEST_CODE));
export const gssEncRequest = (): Buffer => encodePacket(int32(GSSENC_REQUEST_CODE));

export function cancelRequest(processId: number, secretKey: Buffer): Buffer {
  return encodePacket(Buffer.concat([int32(CANCEL_REQUEST_CODE), int32(processId), secretKey]));
}

export function startupMessage(parameters: ReadonlyMap<string, string>, minor = 0): Buffer {
  const parts = [int32((3 << 16) | minor)];
  for (const [name, value] of parameters) parts.push(cstring(name), cstring(value));
  parts.push(Buffer.from([0]));
  return encodePacket(Buffer.concat(parts));
}

// ---------------------------------------------------------------------------------------------
// Authentication (server → client 'R', client → server 'p')

export type AuthenticationRequest =
  | { kind: 'ok' }
  | { kind: 'cleartext' }
  | { kind: 'md5'; salt: Buffer }
  | { kind: 'sasl'; mechanisms: string[] }
  | { kind: 'sasl-continue'; data: Buffer }
  | { kind: 'sasl-final'; data: Buffer }
  | { kind: 'unsupported'; code: number; method: string };

const UNSUPPORTED_AUTH: Record<number, string> = {
  2: 'Kerberos V5',
  6: 'SCM credentials',
  7: 'GSSAPI',
  8: 'GSSAPI',
  9: 'SSPI',
};

export function parseAuthentication(body: Buffer): AuthenticationRequest {
  const r = new BodyReader(body, 'Authentication message');
  const code = r.int32();
  switch (code) {
    case 0:
      return { kind: 'ok' };
    case 3:
      return { kind: 'cleartext' };
    case 5:
      return { kind: 'md5', salt: Buffer.from(r.bytes(4)) };
    case 10: {
      const mechanisms: string[] = [];
      for (;;) {
        const name = r.cstring();
        if (name === '') break;
        mechanisms.push(name);
      }
      return { kind: 'sasl', mechanisms };
    }
    case 11:
      return { kind: 'sasl-continue', data: Buffer.from(r.rest()) };
    case 12:
      return { kind: 'sasl-final', data: Buffer.from(r.rest()) };
    default:
      return { kind: 'unsupported', code, method: UNSUPPORTED_AUTH[code] ?? `unknown method ${code}` };
  }
}

export const authenticationOk = (): Buffer => encodeMessage('R', int32(0));

export const passwordMessage = (password: string): Buffer => encodeMessage('p', cstring(password));

export function saslInitialResponse(mechanism: string, data: Buffer): Buffer {
  return encodeMessage('p', Buffer.concat([cstring(mechanism), int32(data.length), data]));
}

export const saslResponse = (data: Buffer): Buffer => encodeMessage('p', data);

// ---------------------------------------------------------------------------------------------
// Server → client startup messages

/**
 * NegotiateProtocolVersion. `newest` is the whole version number (3.0 is 0x30000), as PostgreSQL
 * sends it and libpq 18 reads it, though the documentation speaks of a minor version.
 */
export function negotiateProtocolVersion(newest: number, unrecognizedOptions: readonly string[]): Buffer {
  return encodeMessage(
    'v',
    Buffer.concat([int32(newest), int32(unrecognizedOptions.length), ...unrecognizedOptions.map(cstring)]),
  );
}

export function parseNegotiateProtocolVersion(body: Buffer): { newest: number; unrecognizedOptions: string[] } {
  const r = new BodyReader(body, 'NegotiateProtocolVersion');
  const newest = r.int32();
  const count = r.int32();
  if (count < 0 || count > 1000)
    throw new ProtocolViolationError(PG_CODES, `invalid option count ${count} in NegotiateProtocolVersion`);
  const unrecognizedOptions = Array.from({ length: count }, () => r.cstring());
  return { newest, unrecognizedOptions };
}

export const parameterStatus = (name: string, value: string): Buffer =>
  encodeMessage('S', Buffer.concat([cstring(name), cstring(value)]));

export function parseParameterStatus(body: Buffer): { name: string; value: string } {
  const r = new BodyReader(body, 'ParameterStatus');
  return { name: r.cstring(), value: r.cstring() };
}

export interface BackendKey {
  readonly processId: number;
  readonly secretKey: Buffer;
}

export const backendKeyData = (key: BackendKey): Buffer =>
  encodeMessage('K', Buffer.concat([int32(key.processId), key.secretKey]));

export function parseBackendKeyData(body: Buffer): BackendKey {
  const r = new BodyReader(body, 'BackendKeyData');
  const processId = r.int32();
  if (r.remaining < 4 || r.remaining > MAX_CANCEL_KEY)
    throw new ProtocolViolationError(PG_CODES, 'invalid length of BackendKeyData');
  return { processId, secretKey: Buffer.from(r.rest()) };
}

export type TransactionStatus = 'I' | 'T' | 'E';

export const readyForQuery = (status: TransactionStatus = 'I'): Buffer => encodeMessage('Z', Buffer.from(status));

export function parseReadyForQuery(body: Buffer): TransactionStatus {
  const status = body.length === 1 ? String.fromCharCode(body[0]!) : '';
  if (status !== 'I' && status !== 'T' && status !== 'E')
    throw new ProtocolViolationError(PG_CODES, 'invalid ReadyForQuery status');
  return status;
}

// ---------------------------------------------------------------------------------------------
// ErrorResponse 'E' and NoticeResponse 'N'

export interface NoticeFields {
  /** Severity, localized (field S). */
  readonly severity: string;
  /** SQLSTATE (field C). */
  readonly code: string;
  /** Primary message (field M). */
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
  /** Every field by its one-letter code, including those above. */
  readonly fields?: Readonly<Record<string, string>>;
}

function encodeNotice(type: 'E' | 'N', notice: NoticeFields): Buffer {
  const fields: Record<string, string> = { ...notice.fields, S: notice.severity, V: notice.severity };
  fields.C = notice.code;
  fields.M = notice.message;
  if (notice.detail !== undefined) fields.D = notice.detail;
  if (notice.hint !== undefined) fields.H = notice.hint;
  const parts: Buffer[] = [];
  for (const [key, value] of Object.entries(fields)) parts.push(Buffer.from(key, 'latin1'), cstring(value));
  parts.push(Buffer.from([0]));
  return encodeMessage(type, Buffer.concat(parts));
}

function parseNotice(body: Buffer, what: string): NoticeFields {
  const r = new BodyReader(body, what);
  const fields: Record<string, string> = {};
  for (;;) {
    const key = r.byte();
    if (key === 0) break;
    fields[String.fromCharCode(key)] = r.cstring();
  }
  return {
    severity: fields.V ?? fields.S ?? 'ERROR',
    code: fields.C ?? 'XX000',
    message: fields.M ?? '(no message)',
    ...(fields.D !== undefined && { detail: fields.D }),
    ...(fields.H !== undefined && { hint: fields.H }),
    fields,
  };
}

export const errorResponse = (notice: NoticeFields): Buffer => encodeNotice('E', notice);

/**
 * An error for a client that asked for protocol 2 (or older): PostgreSQL answers the refusal of
 * its version in that protocol's format, 'E' and a NUL-terminated "FATAL:  …" line.
 */
export const errorResponseV2 = (severity: string, message: string): Buffer =>
  Buffer.concat([Buffer.from('E'), cstring(`${severity}:  ${message}\n`)]);
export const noticeResponse = (notice: NoticeFields): Buffer => encodeNotice('N', notice);
export const parseErrorResponse = (body: Buffer): NoticeFields => parseNotice(body, 'ErrorResponse');
export const parseNoticeResponse = (body: Buffer): NoticeFields => parseNotice(body, 'NoticeResponse');
