export { createLogger, redact, jsonLineSink, textSink, silentLogger } from './logger';
export type { Logger, LogLevel, LogRecord, LogSink } from './logger';
