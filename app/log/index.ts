// The shells (main/, cli/) log through app/: one logger with one redaction, re-exported here
// because shells above app/ may not import broker/ directly.
export { createLogger, textSink, jsonLineSink, redact, silentLogger } from '../../broker/log';
export type { Logger, LogLevel, LogRecord, LogSink } from '../../broker/log';
