import { describe, expect, it } from 'vitest';
import { createLogger, redact, type LogRecord } from '.';

describe('logger', () => {
  it('redacts secret-looking fields at any depth and Vault tokens inside text', () => {
    const records: LogRecord[] = [];
    const log = createLogger('test', (r) => records.push(r), 'debug');
    log.info('login with hvs.CAESIJx0aGVyZWFsdG9rZW5oZXJl done', {
      path: 'secret/data/db',
      password: 'hunter2',
      nested: { client_token: 'hvs.abc', list: [{ secret_id: 'x' }], ok: 1 },
      error: new Error('token s.abcdefghijklmnopqrstuvwx rejected'),
    });
    const text = JSON.stringify(records);
    expect(text).not.toMatch(/hunter2|hvs\.abc|CAESIJx0|abcdefghijklmnopqrstuvwx/);
    expect(records[0]).toMatchObject({ path: 'secret/data/db', password: '[redacted]', nested: { ok: 1 } });
    expect(records[0]!.message).toBe('login with [redacted-token] done');
  });

  it('keeps empty and absent secret fields as they are (they reveal nothing)', () => {
    expect(redact({ password: '', token: undefined })).toEqual({ password: '', token: undefined });
  });

  it('drops records below the minimum level', () => {
    const records: LogRecord[] = [];
    createLogger('t', (r) => records.push(r), 'warn').info('quiet');
    expect(records).toEqual([]);
  });
});
