// Durations as Vault reads and writes them: integer seconds, numeric strings, or Go duration
// strings ("1h30m", "90s", "1.5h"); answers carry seconds or Go's format ("768h0m0s").
import { VaultError } from './errors';

const UNITS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
};

/** Seconds from a Go duration string; undefined when the text is not one. */
function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    total += Number(m[1]) * (UNITS[m[2] ?? 's'] ?? 1);
    matched = re.lastIndex;
  }
  if (matched !== text.length || text.length === 0) return undefined;
  return total;
}

/**
 * Seconds from a request field. Throws a 400 in Vault's wording for anything else
 * (negative numbers, unknown units, objects).
 */
export function parseDurationField(value: unknown, field: string): number {
  const fail = (): never => {
    throw new VaultError(400, [
      `error converting input ${JSON.stringify(value)} for field "${field}": time: invalid duration ${JSON.stringify(String(value))}`,
    ]);
  };
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) fail();
    return Math.floor(value);
  }
  if (typeof value !== 'string') return fail();
  const text = value.trim();
  if (text === '') return 0;
  if (/^\d+$/.test(text)) return Number(text);
  const seconds = parseGoDuration(text);
  if (seconds === undefined) return fail();
  return Math.floor(seconds);
}

/** Go's time.Duration String() for whole seconds: 0s, 45s, 1m30s, 768h0m0s. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s === 0) return '0s';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h${m}m${sec}s`;
  if (m > 0) return `${m}m${sec}s`;
  return `${sec}s`;
}
