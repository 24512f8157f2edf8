// Structured logging with redaction. Every log line passes through `redact`, so a token or a
// password that slips into a field never reaches stderr or a file.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogRecord {
  time: string;
  level: LogLevel;
  scope: string;
  message: string;
  [field: string]: unknown;
}

export type LogSink = (record: LogRecord) => void;

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(scope: string): Logger;
}

const SECRET_KEY =
  /(pass(word)?|secret|token|private_?key|credential|authorization|cookie|jwt|signed_key|client_token|hmac)/i;
/** Vault tokens (`hvs.`, `hvb.`, `s.`), so a token inside a message string is caught too. */
const TOKEN_IN_TEXT = /\b(hv[sbr]\.[A-Za-z0-9_-]{8,}|s\.[A-Za-z0-9]{20,})/g;

/** A copy of `value` with secret-looking fields and token-looking strings replaced. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[deep]';
  if (typeof value === 'string') return value.replace(TOKEN_IN_TEXT, '[redacted-token]');
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) return { name: value.name, message: redact(value.message, depth + 1) };
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      out[key] =
        SECRET_KEY.test(key) && v !== undefined && v !== null && v !== '' ? '[redacted]' : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}

export function createLogger(scope: string, sink: LogSink, minLevel: LogLevel = 'info'): Logger {
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < LEVELS[minLevel]) return;
    const safe = (fields ? redact(fields) : {}) as Record<string, unknown>;
    sink({ ...safe, time: new Date().toISOString(), level, scope, message: redact(message) as string });
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (sub) => createLogger(`${scope}.${sub}`, sink, minLevel),
  };
}

/** One JSON object per line on stderr: the daemon's format. */
export const jsonLineSink: LogSink = (record) => process.stderr.write(`${JSON.stringify(record)}\n`);

/** Human-readable lines on stderr for the CLI. */
export const textSink: LogSink = (r) => {
  const { time, level, scope, message, ...rest } = r;
  const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
  process.stderr.write(`${time.slice(11, 19)} ${level.padEnd(5)} ${scope}: ${message}${extra}\n`);
};

export const silentLogger: Logger = createLogger('silent', () => {}, 'error');
