import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PostgresTargetError, resolvePostgresTarget } from './target';

describe('postgres target', () => {
  it('applies defaults: sslmode verify-full for another host, user from the credential, 15 s handshake', () => {
    expect(resolvePostgresTarget({ host: 'db.internal', port: 5432 })).toEqual({
      host: 'db.internal',
      port: 5432,
      sslmode: 'verify-full',
      sslmodeDefaulted: true,
      userFrom: 'credential',
      timeouts: { handshakeMs: 15_000 },
      insecureAllowPasswordWithoutVerifiedTls: false,
    });
  });

  it("keeps libpq's prefer for loopback and any sslmode the config names", () => {
    for (const host of ['127.0.0.1', '127.3.2.1', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])
      expect(resolvePostgresTarget({ host, port: 5432 }), host).toMatchObject({
        sslmode: 'prefer',
        sslmodeDefaulted: true,
      });
    for (const host of ['10.0.0.5', 'db', '::ffff:10.0.0.1', 'localhost.example.com', '128.0.0.1'])
      expect(resolvePostgresTarget({ host, port: 5432 }).sslmode, host).toBe('verify-full');
    expect(resolvePostgresTarget({ host: 'db.internal', port: 5432, sslmode: 'prefer' })).toMatchObject({
      sslmode: 'prefer',
      sslmodeDefaulted: false,
    });
  });

  it('names the field at fault', () => {
    const bad: [unknown, RegExp][] = [
      [{ host: 'db' }, /target\.port/],
      [{ host: '', port: 5432 }, /target\.host/],
      [{ host: 'db', port: 5432, sslmode: 'verify' }, /target\.sslmode/],
      [{ host: 'db', port: 5432, userFrom: 'vault' }, /target\.userFrom/],
      [{ host: 'db', port: 5432, timeouts: { handshakeMs: 0 } }, /target\.timeouts\.handshakeMs/],
      [{ host: 'db', port: 5432, extra: 1 }, /target\.\(root\)|extra/],
      [
        { host: 'db', port: 5432, sslmode: 'disable', caFile: '/x.pem' },
        /caFile is set but target\.sslmode is disable/,
      ],
      [
        { host: 'db', port: 5432, sslmode: 'verify-full', caFile: '/no/such/ca.pem' },
        /target\.caFile: cannot read a CA certificate from \/no\/such\/ca\.pem/,
      ],
    ];
    for (const [input, message] of bad)
      expect(() => resolvePostgresTarget(input), JSON.stringify(input)).toThrow(message);
    expect(() => resolvePostgresTarget({ host: 'db' })).toThrow(PostgresTargetError);
  });

  it('reads the CA file once and refuses a file with no certificate', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sesame-target-'));
    try {
      const notPem = path.join(dir, 'ca.pem');
      fs.writeFileSync(notPem, 'hello');
      expect(() => resolvePostgresTarget({ host: 'db', port: 5432, sslmode: 'verify-ca', caFile: notPem })).toThrow(
        /no PEM certificate/,
      );
      fs.writeFileSync(notPem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      expect(
        resolvePostgresTarget({ host: 'db', port: 5432, sslmode: 'verify-ca', caFile: notPem }).ca?.toString(),
      ).toContain('BEGIN CERTIFICATE');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
