// PostgreSQL client-side messages for fuzzing and probing the connector's handshake, and a
// reader for the ErrorResponse it answers with.
export const PROTOCOL_3 = 196608;
export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;

export function startupMessage(parameters: Record<string, string>, protocol = PROTOCOL_3): Buffer {
  const body = Buffer.concat([
    ...Object.entries(parameters).flatMap(([k, v]) => [Buffer.from(`${k}\0`), Buffer.from(`${v}\0`)]),
    Buffer.from([0]),
  ]);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length, 0);
  head.writeUInt32BE(protocol, 4);
  return Buffer.concat([head, body]);
}

export function codeOnly(code: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(8, 0);
  b.writeUInt32BE(code, 4);
  return b;
}

export function cancelRequest(processId: number, secretKey: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(16, 0);
  b.writeUInt32BE(CANCEL_REQUEST, 4);
  b.writeUInt32BE(processId >>> 0, 8);
  b.writeUInt32BE(secretKey >>> 0, 12);
  return b;
}

/** The SQLSTATE and message of the first ErrorResponse in `bytes` (after an optional 'N'/'S' SSL answer). */
export function firstError(bytes: Buffer): { code: string; message: string } | undefined {
  let at = bytes[0] === 0x4e || bytes[0] === 0x53 ? 1 : 0;
  while (at + 5 <= bytes.length) {
    const type = bytes[at]!;
    const length = bytes.readUInt32BE(at + 1);
    if (type === 0x45) {
      const fields: Record<string, string> = {};
      let p = at + 5;
      while (p < at + 1 + length && bytes[p] !== 0) {
        const key = String.fromCharCode(bytes[p]!);
        const endAt = bytes.indexOf(0, p + 1);
        if (endAt < 0) break;
        fields[key] = bytes.subarray(p + 1, endAt).toString('utf8');
        p = endAt + 1;
      }
      return { code: fields.C ?? '', message: fields.M ?? '' };
    }
    at += 1 + length;
  }
  return undefined;
}

const AUTHENTICATION_OK = Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0]);

/** True once the answer holds AuthenticationOk: the broker finished the handshake. */
export function hasAuthenticationOk(received: Buffer): boolean {
  return received.includes(AUTHENTICATION_OK);
}
