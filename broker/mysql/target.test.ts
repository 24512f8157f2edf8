import { describe, expect, it } from 'vitest';
import { MysqlTargetError, resolveMysqlTarget } from './target';

describe('mysql target', () => {
  it('verifies another host fully when the config names no sslmode; loopback keeps preferred', () => {
    expect(resolveMysqlTarget({ host: 'db.internal', port: 3306 })).toEqual({
      host: 'db.internal',
      port: 3306,
      sslmode: 'verify-identity',
      sslmodeDefaulted: true,
      databaseFrom: 'config',
      timeouts: { handshakeMs: 15_000 },
      insecureAllowPasswordWithoutVerifiedTls: false,
    });
    expect(resolveMysqlTarget({ host: '127.0.0.1', port: 3306 }).sslmode).toBe('preferred');
    expect(resolveMysqlTarget({ host: 'localhost', port: 3306 }).sslmode).toBe('preferred');
    expect(resolveMysqlTarget({ host: 'db.internal', port: 3306, sslmode: 'preferred' })).toMatchObject({
      sslmode: 'preferred',
      sslmodeDefaulted: false,
    });
  });

  it('names the field at fault', () => {
    expect(() => resolveMysqlTarget({ host: 'db', port: 3306, sslmode: 'prefer' })).toThrow(/target\.sslmode/);
    expect(() =>
      resolveMysqlTarget({ host: 'db', port: 3306, insecureAllowPasswordWithoutVerifiedTls: 'yes' }),
    ).toThrow(MysqlTargetError);
  });
});
