// The few DER (X.690) encodings an X.509 certificate needs: tag-length-value with definite
// lengths, INTEGER, OBJECT IDENTIFIER, strings, times, BIT STRING and OCTET STRING. Nothing is
// parsed here; what is built is checked by OpenSSL (Node's X509Certificate, tls, psql, mariadb).

/** A DER element: `tag`, its definite length, `content`. */
export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  let length: Buffer;
  if (n < 0x80) length = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, body]);
}

export const sequence = (...items: Buffer[]) => tlv(0x30, ...items);
export const set = (...items: Buffer[]) => tlv(0x31, ...items);
/** `[n]` EXPLICIT: a constructed context-specific wrapper. */
export const explicit = (n: number, inner: Buffer) => tlv(0xa0 | n, inner);
/** `[n]` IMPLICIT over a primitive value. */
export const implicit = (n: number, bytes: Buffer) => tlv(0x80 | n, bytes);

export const boolean = (value: boolean) => tlv(0x01, Buffer.from([value ? 0xff : 0x00]));

/** A non-negative INTEGER from its big-endian magnitude (a leading 0 keeps it positive). */
export function unsignedInteger(magnitude: Buffer): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  return tlv(0x02, trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

export const smallInteger = (n: number) => unsignedInteger(Buffer.from([n]));

/** OBJECT IDENTIFIER from dotted text, e.g. 2.5.4.3. */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isInteger(a) || a < 0)) throw new RangeError(`bad OID ${dotted}`);
  const bytes: number[] = [arcs[0]! * 40 + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const group: number[] = [arc & 0x7f];
    for (let rest = Math.floor(arc / 128); rest > 0; rest = Math.floor(rest / 128)) group.unshift(0x80 | (rest & 0x7f));
    bytes.push(...group);
  }
  return tlv(0x06, Buffer.from(bytes));
}

export const utf8String = (text: string) => tlv(0x0c, Buffer.from(text, 'utf8'));
export const octetString = (bytes: Buffer) => tlv(0x04, bytes);

/** A BIT STRING of whole bytes, or with `unusedBits` at the end of the last byte. */
export const bitString = (bytes: Buffer, unusedBits = 0) => tlv(0x03, Buffer.from([unusedBits]), bytes);

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, both in UTC to the second. */
export function time(date: Date): Buffer {
  const iso = date.toISOString(); // 2026-12-07T23:19:15.784Z
  const digits = iso.slice(0, 19).replace(/[-:T]/g, ''); // 20261207231915
  return date.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`))
    : tlv(0x18, Buffer.from(`${digits}Z`));
}
