// Identifiers in Vault's formats: hvs./hvb. tokens, 24-char base62 accessors and lease suffixes.
import { randomBytes, randomUUID } from 'node:crypto';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function base62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      // 248 = 62 * 4: rejecting the rest keeps every character equally likely
      if (b < 248 && out.length < length) out += BASE62[b % 62];
    }
  }
  return out;
}

export const newServiceToken = (): string => `hvs.${base62(24)}`;
export const newBatchToken = (): string => `hvb.${base62(24)}`;
export const newAccessor = (): string => base62(24);
export const newUuid = (): string => randomUUID();

/** RFC 3339 with nanoseconds, as Go prints time.Time in JSON. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}
