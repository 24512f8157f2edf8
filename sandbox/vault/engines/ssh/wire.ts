// SSH wire encoding (RFC 4251): uint32/uint64, strings, mpints, name-lists, and a reader.

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

export function u64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt.asUintN(64, n));
  return b;
}

export function sshString(data: Buffer | string): Buffer {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return Buffer.concat([u32(buf.length), buf]);
}

/** A positive big-endian integer as an SSH mpint (leading zero when the top bit is set). */
export function mpint(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  let b = bytes.subarray(i);
  if (b.length === 1 && b[0] === 0) return u32(0);
  if ((b[0] ?? 0) & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return sshString(b);
}

export class WireReader {
  private offset = 0;
  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.offset >= this.buf.length;
  }

  /** Bytes not read yet. */
  rest(): Buffer {
    return this.buf.subarray(this.offset);
  }

  uint32(): number {
    if (this.offset + 4 > this.buf.length) throw new Error('truncated data');
    const n = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return n;
  }

  bytes(): Buffer {
    const len = this.uint32();
    if (this.offset + len > this.buf.length) throw new Error('truncated data');
    const out = this.buf.subarray(this.offset, this.offset + len);
    this.offset += len;
    return out;
  }

  string(): string {
    return this.bytes().toString('utf8');
  }

  /** An mpint's magnitude without the sign byte. */
  mpint(): Buffer {
    const b = this.bytes();
    return b[0] === 0 ? b.subarray(1) : b;
  }
}
