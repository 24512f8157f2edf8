// TLS from the broker to a real MariaDB that offers TLS, in every sslmode.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa, randomPassword, startMariaDb, type MariaDbServer } from '../../sandbox/servers';
import { createMysqlConnector } from './connector';
import type { MysqlTarget } from './target';
import { asRoot, connectThrough, listenForTests, literalFetcher, runMariadbCli, type TestListener } from './testing';

const APP_PASSWORD = randomPassword();
let server: MariaDbServer;
let scratch: string;
const listeners: TestListener[] = [];

beforeAll(async () => {
  server = await startMariaDb({ tls: true });
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sesame-mysql-tls-'));
  await asRoot(server, [`CREATE USER 'app'@'%' IDENTIFIED BY '${APP_PASSWORD}'`]);
});

afterAll(async () => {
  await Promise.all(listeners.map((l) => l.close()));
  await server?.stop();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

async function listen(target: Partial<MysqlTarget>) {
  const connector = createMysqlConnector({ host: server.host, port: server.port, ...target });
  const listener = await listenForTests(connector, literalFetcher({ username: 'app', password: APP_PASSWORD }));
  listeners.push(listener);
  return listener;
}

/** The TLS cipher of the backend session as the server sees it ('' when in clear). */
async function backendCipher(port: number): Promise<string> {
  const c = await connectThrough(port);
  try {
    const [rows] = await c.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
    return (rows as { Value: string }[])[0]!.Value;
  } finally {
    await c.end();
  }
}

async function failure(port: number): Promise<{ errno?: number; message: string }> {
  const c = await connectThrough(port).catch((err: { errno?: number; message: string }) => err);
  if ('end' in c) {
    await c.end();
    throw new Error('the connection unexpectedly succeeded');
  }
  return c;
}

describe('TLS to the backend', () => {
  it('verifies the chain and the host name with verify-identity and the CA file, by IP and by name', async () => {
    for (const host of ['127.0.0.1', 'localhost']) {
      const listener = await listen({ host, sslmode: 'verify-identity', caFile: server.tls!.caFile });
      expect(await backendCipher(listener.port)).not.toBe('');
      expect(listener.logs.find((r) => r.message === 'session started')).toMatchObject({ tls: true });
    }
  });

  it('serves the mariadb CLI (plain on the local leg) over a verified backend TLS session', async () => {
    const listener = await listen({ sslmode: 'verify-identity', caFile: server.tls!.caFile });
    const result = await runMariadbCli(listener.port, [
      '-u',
      'anything',
      '-N',
      '-e',
      "SELECT CURRENT_USER(); SHOW STATUS LIKE 'Ssl_version'",
    ]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^app@%\nSsl_version\tTLSv1\.[23]\n$/);
  });

  it('uses TLS without verification in preferred and required modes, and none with disable', async () => {
    expect(await backendCipher((await listen({ sslmode: 'preferred' })).port)).not.toBe('');
    expect(await backendCipher((await listen({ sslmode: 'required' })).port)).not.toBe('');
    expect(await backendCipher((await listen({ sslmode: 'disable' })).port)).toBe('');
  });

  it('fails with 1429 when the chain does not verify (no CA file, or another CA)', async () => {
    const noCa = await failure((await listen({ sslmode: 'verify-ca' })).port);
    expect(noCa.errno).toBe(1429);
    expect(noCa.message).toMatch(
      /^sesame: connection 'orders-mysql': TLS verification of the backend 127\.0\.0\.1:\d+ failed \(sslmode verify-ca\): (self[- ]signed|unable to verify|unable to get)/,
    );
    const other = await createTestCa(scratch, { commonName: 'Some Other CA' });
    const wrongCa = await failure((await listen({ sslmode: 'required', caFile: other.certFile })).port);
    expect(wrongCa.errno).toBe(1429);
    expect(wrongCa.message).toMatch(/TLS verification of the backend 127\.0\.0\.1:\d+ failed \(sslmode required\)/);
  });

  it('fails with 1429 on a host name the certificate does not name (verify-identity), but verify-ca accepts it', async () => {
    // '127.1' reaches 127.0.0.1, but the certificate names only localhost and 127.0.0.1.
    const mismatch = await failure(
      (await listen({ host: '127.1', sslmode: 'verify-identity', caFile: server.tls!.caFile })).port,
    );
    expect(mismatch.errno).toBe(1429);
    expect(mismatch.message).toMatch(
      /TLS verification of the backend 127\.1:\d+ failed \(sslmode verify-identity\): .*127\.1/,
    );
    expect(
      await backendCipher((await listen({ host: '127.1', sslmode: 'verify-ca', caFile: server.tls!.caFile })).port),
    ).not.toBe('');
  });
});
