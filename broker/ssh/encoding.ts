// SSH wire encoding (RFC 4251 §5): the few types certificates, signatures and agent messages
// are made of. The reader checks every length against the buffer so malformed input from a
// client or a server becomes a WireError, never an out-of-bounds read.
export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}

export class SshReader {
  private offset = 0;
  constructor(
    private readonly buffer: Buffer,
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.buffer.length - this.offset;
  }

  get position(): number {
    return this.offset;
  }

  private need(bytes: number, field: string): void {
    if (bytes < 0 || this.offset + bytes > this.buffer.length) {
      throw new WireError(`${this.what} is truncated (reading ${field})`);
    }
  }

  byte(field = 'byte'): number {
    this.need(1, field);
    return this.buffer[this.offset++]!;
  }

  uint32(field = 'uint32'): number {
    this.need(4, field);
    const value = this.buffer.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  uint64(field = 'uint64'): bigint {
    this.need(8, field);
    const value = this.buffer.readBigUInt64BE(this.offset);
    this.offset += 8;
    return value;
  }

  bytes(field = 'string'): Buffer {
    const length = this.uint32(`${field} length`);
    this.need(length, field);
    const value = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  text(field = 'string'): string {
    return this.bytes(field).toString('utf8');
  }

  /** A name-list or a packed list of strings inside one string (certificate principals). */
  stringList(field: string): string[] {
    const inner = new SshReader(this.bytes(field), `${this.what} ${field}`);
    const values: string[] = [];
    while (inner.remaining > 0) values.push(inner.text(field));
    return values;
  }

  end(): void {
    if (this.remaining !== 0) throw new WireError(`${this.what} has ${this.remaining} unexpected trailing bytes`);
  }
}

export function sshUint32(value: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(value >>> 0, 0);
  return out;
}

export function sshString(value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([sshUint32(bytes.length), bytes]);
}

/** An mpint from unsigned big-endian magnitude bytes (leading zeros trimmed, sign byte added). */
export function sshMpint(magnitude: Buffer): Buffer {
  let start = 0;
  while (start < magnitude.length && magnitude[start] === 0) start++;
  let body = magnitude.subarray(start);
  if (body.length > 0 && (body[0]! & 0x80) !== 0) body = Buffer.concat([Buffer.from([0]), body]);
  return sshString(body);
}

/** The unsigned magnitude of an mpint (sign byte dropped). */
export function mpintMagnitude(value: Buffer): Buffer {
  return value.length > 0 && value[0] === 0 ? value.subarray(1) : value;
}
