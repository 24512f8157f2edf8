// MySQL packets for fuzzing and probing the connector's handshake: framing, the answer's
// first OK or ERR packet after the greeting.
export function packet(sequence: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUIntLE(payload.length, 0, 3);
  head[3] = sequence & 0xff;
  return Buffer.concat([head, payload]);
}

/** Each packet's sequence id and payload, as far as `bytes` holds whole packets. */
export function packets(bytes: Buffer): { sequence: number; payload: Buffer }[] {
  const out: { sequence: number; payload: Buffer }[] = [];
  let at = 0;
  while (at + 4 <= bytes.length) {
    const length = bytes.readUIntLE(at, 3);
    if (at + 4 + length > bytes.length) break;
    out.push({ sequence: bytes[at + 3]!, payload: bytes.subarray(at + 4, at + 4 + length) });
    at += 4 + length;
  }
  return out;
}

/** True once the broker relayed an OK after the greeting: the handshake completed. */
export function hasLoginOk(received: Buffer): boolean {
  return packets(received).some((p, i) => i > 0 && p.payload[0] === 0x00);
}

/** The first ERR packet after the greeting: error number, SQLSTATE and message. */
export function firstMysqlError(received: Buffer): { errno: number; sqlstate: string; message: string } | undefined {
  const err = packets(received).find((p) => p.payload[0] === 0xff);
  if (!err) return undefined;
  const p = err.payload;
  const hasState = p[3] === 0x23;
  return {
    errno: p.readUInt16LE(1),
    sqlstate: hasState ? p.subarray(4, 9).toString() : '',
    message: p.subarray(hasState ? 9 : 3).toString('utf8'),
  };
}
