import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chooseScramBinding, createScramClient, saslPrep } from './scram';

// RFC 7677 §3, the SCRAM-SHA-256 example exchange.
const RFC7677 = {
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal:
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

const rfcClient = () => createScramClient({ username: 'user', password: 'pencil', nonce: 'rOprNGfwEbeRWgbNEkqO' });

describe('SCRAM-SHA-256 client', () => {
  it('reproduces the RFC 7677 example exactly and verifies its server signature', async () => {
    const client = rfcClient();
    expect(client.mechanism).toBe('SCRAM-SHA-256');
    expect(client.clientFirstMessage()).toBe(RFC7677.clientFirst);
    expect(await client.clientFinalMessage(RFC7677.serverFirst)).toBe(RFC7677.clientFinal);
    expect(client.verified).toBe(false);
    client.verifyServerFinal(RFC7677.serverFinal);
    expect(client.verified).toBe(true);
  });

  it('reuses the derived key only for the same password, salt and iteration count', async () => {
    // The RFC exchange again (now from the kept key) is still exact.
    for (let i = 0; i < 2; i++) {
      const again = rfcClient();
      again.clientFirstMessage();
      expect(await again.clientFinalMessage(RFC7677.serverFirst)).toBe(RFC7677.clientFinal);
      again.verifyServerFinal(RFC7677.serverFinal);
    }
    // A rotated password, another salt or another count with the same nonces: another proof.
    const proofOf = async (password: string, serverFirst: string) => {
      const client = createScramClient({ username: 'user', password, nonce: 'rOprNGfwEbeRWgbNEkqO' });
      client.clientFirstMessage();
      return (await client.clientFinalMessage(serverFirst)).split(',p=')[1];
    };
    const rfcProof = RFC7677.clientFinal.split(',p=')[1];
    expect(await proofOf('pencil2', RFC7677.serverFirst)).not.toBe(rfcProof);
    expect(await proofOf('pencil', RFC7677.serverFirst.replace('s=W22Z', 's=X22Z'))).not.toBe(rfcProof);
    expect(await proofOf('pencil', RFC7677.serverFirst.replace('i=4096', 'i=4097'))).not.toBe(rfcProof);
  });

  it('refuses a server that does not know the password (wrong signature)', async () => {
    const client = rfcClient();
    await client.clientFinalMessage(RFC7677.serverFirst);
    expect(() => client.verifyServerFinal('v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=')).toThrow(
      /server signature is wrong/,
    );
    expect(() => client.verifyServerFinal('e=invalid-proof')).toThrow(/invalid-proof/);
    expect(client.verified).toBe(false);
  });

  it('refuses a server-final before server-first, and malformed server-first messages', async () => {
    expect(() => rfcClient().verifyServerFinal(RFC7677.serverFinal)).toThrow(/before server-first/);
    const bad = [
      ['r=someoneElsesNonce,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096', /does not extend the client nonce/],
      ['r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096', /does not extend/],
      ['r=rOprNGfwEbeRWgbNEkqOx,s=not base64!,i=4096', /salt is not valid base64/],
      ['r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0', /invalid iteration count/],
      ['r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999999', /invalid iteration count/],
      ['r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==', /no 'i' attribute/],
      ['m=ext,r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1', /unsupported SCRAM extension/],
      ['garbage', /malformed server-first-message/],
    ] as const;
    for (const [serverFirst, error] of bad) {
      await expect(rfcClient().clientFinalMessage(serverFirst), serverFirst).rejects.toThrow(error);
    }
  });

  it('uses a fresh random nonce and an empty user name by default, as libpq does', () => {
    const a = createScramClient({ password: 'x' }).clientFirstMessage();
    const b = createScramClient({ password: 'x' }).clientFirstMessage();
    expect(a).toMatch(/^n,,n=,r=[A-Za-z0-9+/]{24}$/);
    expect(a).not.toBe(b);
    expect(createScramClient({ password: 'x', username: 'a=b,c' }).clientFirstMessage()).toContain('n=a=3Db=2Cc,');
  });
});

describe('SCRAM-SHA-256-PLUS channel binding', () => {
  const bindingData = createHash('sha256').update('the server certificate').digest();

  it('chooses PLUS on TLS when offered, flags "y" when not, "n" without TLS', () => {
    expect(chooseScramBinding(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'], bindingData)).toEqual({
      kind: 'tls-server-end-point',
      data: bindingData,
    });
    expect(chooseScramBinding(['SCRAM-SHA-256'], bindingData)).toEqual({ kind: 'supported' });
    expect(chooseScramBinding(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'], undefined)).toEqual({ kind: 'none' });
    expect(chooseScramBinding(['OAUTHBEARER'], bindingData)).toBeUndefined();
    expect(createScramClient({ password: 'p', channelBinding: { kind: 'supported' } }).clientFirstMessage()).toMatch(
      /^y,,n=,r=/,
    );
  });

  it('binds the proof to the certificate hash so a server holding the verifier accepts it', async () => {
    const client = createScramClient({
      password: 'pencil',
      nonce: 'clientnonce',
      channelBinding: { kind: 'tls-server-end-point', data: bindingData },
    });
    expect(client.mechanism).toBe('SCRAM-SHA-256-PLUS');
    const first = client.clientFirstMessage();
    expect(first).toBe('p=tls-server-end-point,,n=,r=clientnonce');
    const salt = Buffer.from('saltsalt');
    const serverFirst = `r=clientnonceSERVER,s=${salt.toString('base64')},i=4096`;
    const final = await client.clientFinalMessage(serverFirst);

    // What the server checks: c= carries the gs2 header plus its own certificate hash, and the
    // proof verifies against the stored key.
    const attrs = Object.fromEntries(final.split(',').map((p) => [p[0], p.slice(2)]));
    expect(Buffer.from(attrs.c!, 'base64')).toEqual(
      Buffer.concat([Buffer.from('p=tls-server-end-point,,'), bindingData]),
    );
    const salted = pbkdf2Sync('pencil', salt, 4096, 32, 'sha256');
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    const storedKey = createHash('sha256').update(clientKey).digest();
    const authMessage = `${first.slice('p=tls-server-end-point,,'.length)},${serverFirst},${final.slice(0, final.indexOf(',p='))}`;
    const signature = createHmac('sha256', storedKey).update(authMessage).digest();
    const proof = Buffer.from(attrs.p!, 'base64');
    const recoveredKey = Buffer.from(proof.map((byte, i) => byte ^ signature[i]!));
    expect(createHash('sha256').update(recoveredKey).digest()).toEqual(storedKey);
    const serverKey = createHmac('sha256', salted).update('Server Key').digest();
    client.verifyServerFinal(`v=${createHmac('sha256', serverKey).update(authMessage).digest('base64')}`);
    expect(client.verified).toBe(true);
  });
});

describe('SASLprep', () => {
  it('leaves ASCII alone and normalizes the rest as PostgreSQL does', () => {
    expect(saslPrep('pencil')).toBe('pencil');
    expect(saslPrep('a\u00a0b')).toBe('a b');
    expect(saslPrep('I\u00adX')).toBe('IX');
    expect(saslPrep('\u2168')).toBe('IX');
    // Prohibited characters: PostgreSQL then uses the password unchanged.
    expect(saslPrep('\u00e9\u0007')).toBe('\u00e9\u0007');
  });
});
