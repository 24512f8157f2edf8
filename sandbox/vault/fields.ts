// Typed readers for request fields, with Vault's lenient coercions (numbers as strings,
// comma-separated lists) and its 400 wording when a value cannot be converted.
import { parseDurationField } from './duration';
import { VaultError } from './errors';

type Body = Record<string, unknown>;

function conversionError(value: unknown, field: string, reason: string): VaultError {
  return new VaultError(400, [`error converting input ${JSON.stringify(value)} for field "${field}": ${reason}`]);
}

export function has(body: Body, field: string): boolean {
  return body[field] !== undefined && body[field] !== null;
}

export function str(body: Body, field: string, fallback = ''): string {
  const v = body[field];
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw conversionError(v, field, `'' expected type 'string', got unconvertible type '${goType(v)}'`);
}

export function int(body: Body, field: string, fallback = 0): number {
  const v = body[field];
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v.trim());
  throw conversionError(v, field, `cannot parse '' as int`);
}

export function bool(body: Body, field: string, fallback = false): boolean {
  const v = body[field];
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && ['true', '1', 't', 'TRUE', 'True'].includes(v)) return true;
  if (typeof v === 'string' && ['false', '0', 'f', 'FALSE', 'False', ''].includes(v)) return false;
  if (typeof v === 'number' && (v === 0 || v === 1)) return v === 1;
  throw conversionError(v, field, `cannot parse '' as bool`);
}

/** A list of strings: a JSON array or a comma-separated string. */
export function strList(body: Body, field: string, fallback: string[] = []): string[] {
  const v = body[field];
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'string')
    return v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) {
    return v.map((x) => String(x).trim()).filter((s) => s !== '');
  }
  throw conversionError(v, field, `'' expected type 'string', got unconvertible type '${goType(v)}'`);
}

/** Seconds from an int or a Go duration string. */
export function duration(body: Body, field: string, fallback = 0): number {
  const v = body[field];
  if (v === undefined || v === null) return fallback;
  return parseDurationField(v, field);
}

/** A map of string → string (metadata, custom_metadata); values are stringified. */
export function strMap(body: Body, field: string): Record<string, string> | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object' && !Array.isArray(v)) {
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v as Body)) {
      if (typeof x === 'object' && x !== null) {
        throw conversionError(v, field, `'[${k}]' expected type 'string', got unconvertible type '${goType(x)}'`);
      }
      out[k] = String(x);
    }
    return out;
  }
  throw conversionError(v, field, `'' expected a map, got '${goType(v)}'`);
}

/** An arbitrary JSON object field. */
export function obj(body: Body, field: string): Body | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object' && !Array.isArray(v)) return v as Body;
  throw conversionError(v, field, `'' expected a map, got '${goType(v)}'`);
}

function goType(v: unknown): string {
  if (Array.isArray(v)) return 'slice';
  if (typeof v === 'object') return 'map';
  if (typeof v === 'number') return 'float64';
  return typeof v;
}
