// Field-level encoding of MySQL packets: bounds-checked reads of a payload, length-encoded
// integers, little-endian integers and NUL-terminated strings.
import { ProtocolViolationError } from '../connector-kit';
import { MYSQL_CODES } from './errors';

/** Bounds-checked reads over one packet's payload; every overrun names the packet. */
export class PayloadReader {
  pos = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}
  get remaining(): number {
    return this.buf.length - this.pos;
  }
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new ProtocolViolationError(MYSQL_CODES, `truncated ${this.what}`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  rest(): Buffer {
    return this.bytes(this.remaining);
  }
  /** A NUL-terminated string's bytes; `optionalNul` accepts the end of the packet instead. */
  nulTerminated(optionalNul = false): Buffer {
    const end = this.buf.indexOf(0, this.pos);
    if (end < 0) {
      if (!optionalNul) throw new ProtocolViolationError(MYSQL_CODES, `unterminated string in the ${this.what}`);
      return this.rest();
    }
    const out = this.buf.subarray(this.pos, end);
    this.pos = end + 1;
    return out;
  }
  lenencInt(): number {
    const first = this.u8();
    if (first < 0xfb) return first;
    if (first === 0xfc) return this.u16();
    if (first === 0xfd) {
      this.need(3);
      const v = this.buf.readUIntLE(this.pos, 3);
      this.pos += 3;
      return v;
    }
    if (first === 0xfe) {
      this.need(8);
      const v = this.buf.readBigUInt64LE(this.pos);
      this.pos += 8;
      if (v > BigInt(this.buf.length))
        throw new ProtocolViolationError(MYSQL_CODES, `impossible length in the ${this.what}`);
      return Number(v);
    }
    throw new ProtocolViolationError(
      MYSQL_CODES,
      `invalid length-encoded integer 0x${first.toString(16)} in the ${this.what}`,
    );
  }
  lenencBytes(): Buffer {
    return this.bytes(this.lenencInt());
  }
}

export function lenencInt(n: number): Buffer {
  if (n < 0xfb) return Buffer.from([n]);
  if (n < 0x10000) return Buffer.from([0xfc, n & 0xff, n >> 8]);
  if (n < 0x1000000) return Buffer.from([0xfd, n & 0xff, (n >> 8) & 0xff, n >> 16]);
  const out = Buffer.alloc(9);
  out[0] = 0xfe;
  out.writeBigUInt64LE(BigInt(n), 1);
  return out;
}

export const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};
export const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};
export const nul = (s: Buffer | string) =>
  Buffer.concat([Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8'), Buffer.alloc(1)]);

/** Latin-1 text with control characters escaped: safe to put a peer's bytes in a message. */
export function printable(bytes: Buffer, max = 64): string {
  const text = bytes
    .subarray(0, max)
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return bytes.length > max ? `${text}...` : text;
}
