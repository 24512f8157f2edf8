// The connector with the real `mariadb` CLI and mysql2 against a real MariaDB 10.11.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomPassword, startMariaDb, type MariaDbServer } from '../../sandbox/servers';
import type { CredentialFetcher } from '../connector';
import { createMysqlConnector } from './connector';
import { MysqlTargetError } from './target';
import { asRoot, connectThrough, listenForTests, literalFetcher, runMariadbCli, type TestListener } from './testing';

const APP_PASSWORD = randomPassword();
const STALE_PASSWORD = randomPassword();
const good = { username: 'app', password: APP_PASSWORD };
let server: MariaDbServer;
const listeners: TestListener[] = [];
let scratch: string;

beforeAll(async () => {
  server = await startMariaDb();
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sesame-mysql-test-'));
  await asRoot(server, [
    `CREATE USER 'app'@'%' IDENTIFIED BY '${APP_PASSWORD}'`,
    'CREATE DATABASE orders',
    'CREATE TABLE orders.items (id INT PRIMARY KEY, name VARCHAR(50))',
    "INSERT INTO orders.items VALUES (1, 'apple'), (2, 'pear')",
    'CREATE TABLE orders.blobs (b LONGBLOB)',
    "GRANT ALL ON orders.* TO 'app'@'%'",
    "GRANT FILE ON *.* TO 'app'@'%'",
    'SET GLOBAL max_allowed_packet = 64 * 1024 * 1024',
    "INSTALL SONAME 'auth_ed25519'",
    "CREATE USER 'edwards'@'%' IDENTIFIED VIA ed25519 USING PASSWORD('ed-pw')",
  ]);
});

afterAll(async () => {
  await Promise.all(listeners.map((l) => l.close()));
  await server?.stop();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

async function listen(values: Record<string, string>, target: Record<string, unknown> = {}, fetcherOptions = {}) {
  const connector = createMysqlConnector({ host: server.host, port: server.port, sslmode: 'disable', ...target });
  const credentials = literalFetcher(values, fetcherOptions);
  const listener = await listenForTests(connector, credentials);
  listeners.push(listener);
  return { listener, credentials, connector };
}

async function withConnection<T>(
  port: number,
  fn: (c: mysql.Connection) => Promise<T>,
  options: mysql.ConnectionOptions = {},
): Promise<T> {
  const connection = await connectThrough(port, options);
  try {
    return await fn(connection);
  } finally {
    await connection.end().catch(() => {});
  }
}

async function rows<T>(c: mysql.Connection, sql: string, params?: unknown[]): Promise<T[]> {
  const [result] = await c.query(sql, params);
  return result as T[];
}

interface DriverError {
  errno?: number;
  sqlState?: string;
  message: string;
}

async function connectError(port: number, options: mysql.ConnectionOptions = {}): Promise<DriverError> {
  try {
    const c = await connectThrough(port, options);
    await c.end();
  } catch (err) {
    return err as DriverError;
  }
  throw new Error('the connection unexpectedly succeeded');
}

describe('logging in with the credential', () => {
  it('lets the real mariadb CLI in with any user and no password, as the credential user', async () => {
    const { listener, credentials } = await listen(good);
    const result = await runMariadbCli(listener.port, [
      '-u',
      'anything',
      '--batch',
      '--skip-column-names',
      '-e',
      'SELECT CURRENT_USER(), @@version',
    ]);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\t')).toEqual(['app@%', expect.stringContaining('MariaDB')]);
    await listener.settled();
    expect(credentials.released).toHaveLength(1);
    expect(listener.bytes.toTarget).toBeGreaterThan(0);
    expect(listener.bytes.toClient).toBeGreaterThan(0);
  });

  it('switches a client that starts with caching_sha2_password to native, like a real server', async () => {
    const { listener } = await listen(good);
    const result = await runMariadbCli(listener.port, [
      '-u',
      'someone',
      '--default-auth=caching_sha2_password',
      '-N',
      '-e',
      'SELECT CURRENT_USER()',
    ]);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('app@%');
  });

  it('serves mysql2 queries and prepared statements, and greets with the backend version and connection id', async () => {
    const { listener } = await listen(good, { database: 'orders' });
    await withConnection(listener.port, async (c) => {
      expect(await rows(c, 'SELECT CURRENT_USER() AS who, DATABASE() AS db')).toEqual([{ who: 'app@%', db: 'orders' }]);
      const [items] = await c.execute('SELECT name FROM items WHERE id = ?', [2]);
      expect(items).toEqual([{ name: 'pear' }]);
      for (let i = 0; i < 3; i++) {
        const [sum] = await c.execute('SELECT ? + ? AS s', [i, 40]);
        expect(sum).toEqual([{ s: 40 + i }]);
      }
      const [[{ id }]] = (await c.query('SELECT CONNECTION_ID() AS id')) as unknown as [[{ id: number }]];
      expect(c.threadId).toBe(id);
    });
    expect(listener.logs.find((r) => r.message === 'session started')).toMatchObject({
      user: 'app',
      database: 'orders',
      tls: false,
    });
  });

  it("lets the mysql CLI's KILL QUERY reach the right backend thread (the greeting carries its id)", async () => {
    const { listener } = await listen(good);
    await withConnection(listener.port, async (sleeper) => {
      const sleeping = rows(sleeper, 'SELECT SLEEP(30) AS r').then(
        () => 'finished',
        (e: DriverError) => e.errno,
      );
      await withConnection(listener.port, async (killer) => {
        for (;;) {
          const list = await rows<{ Id: number; State: string }>(
            killer,
            'SELECT ID AS Id, STATE AS State FROM information_schema.PROCESSLIST',
          );
          if (list.some((p) => p.Id === sleeper.threadId && p.State === 'User sleep')) break;
        }
        await killer.query(`KILL QUERY ${sleeper.threadId}`);
      });
      expect(await sleeping).toBe(1317); // ER_QUERY_INTERRUPTED
    });
  });

  it("chooses the configured database, or the client's with databaseFrom 'client'", async () => {
    const configured = await listen(good, { database: 'orders' });
    const clientAsks = { database: 'information_schema' };
    const database = (port: number) => withConnection(port, (c) => rows(c, 'SELECT DATABASE() AS db'), clientAsks);
    expect(await database(configured.listener.port)).toEqual([{ db: 'orders' }]);
    const fromClient = await listen(good, { database: 'orders', databaseFrom: 'client' });
    expect(await database(fromClient.listener.port)).toEqual([{ db: 'information_schema' }]);
    const cli = await runMariadbCli(fromClient.listener.port, ['-u', 'x', '-N', '-e', 'SELECT DATABASE()']);
    expect(cli.stdout.trim()).toBe('orders');
  });
});

describe('credential problems', () => {
  it('answers a refused password with a clear 1045 after one fresh fetch, never showing the password', async () => {
    const { listener, credentials } = await listen({ username: 'app', password: STALE_PASSWORD });
    const err = await connectError(listener.port);
    expect(err.errno).toBe(1045);
    expect(err.sqlState).toBe('28000');
    expect(err.message).toMatch(
      new RegExp(
        "^sesame: connection 'orders-mysql': the backend 127\\.0\\.0\\.1:\\d+ refused the login of user 'app': " +
          "Access denied for user 'app'@'127\\.0\\.0\\.1' \\(using password: YES\\) " +
          '\\(credential from vault-kv secret/data/orders-mysql, also after fetching it afresh\\)$',
      ),
    );
    expect(credentials.calls).toEqual([{ refresh: false }, { refresh: true }]);
    const cli = await runMariadbCli(listener.port, ['-u', 'anything', '-e', 'SELECT 1']);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toMatch(
      /^ERROR 1045 \(28000\): sesame: connection 'orders-mysql': the backend .* refused the login of user 'app'/,
    );
    await listener.settled();
    expect(credentials.released).toHaveLength(4);
    const everything = JSON.stringify(listener.logs) + err.message + cli.stderr;
    expect(everything).not.toContain(STALE_PASSWORD);
  });

  it('recovers from a rotated password: the fresh credential works', async () => {
    const { listener, credentials } = await listen(
      { username: 'app', password: STALE_PASSWORD },
      {},
      { refreshed: good },
    );
    await withConnection(listener.port, async (c) =>
      expect(await rows(c, 'SELECT CURRENT_USER() AS who')).toEqual([{ who: 'app@%' }]),
    );
    expect(credentials.calls).toEqual([{ refresh: false }, { refresh: true }]);
    await listener.settled();
    expect(credentials.released.map((c) => c.values.password === APP_PASSWORD)).toEqual([false, true]);
    expect(listener.logs.some((r) => r.message === 'the backend refused the credential; fetching it afresh')).toBe(
      true,
    );
  });

  it("names the missing field of a credential without 'password' or 'username'", async () => {
    const noPassword = await listen({ username: 'app' });
    const err = await connectError(noPassword.listener.port);
    expect(err.errno).toBe(1045);
    expect(err.message).toBe(
      "sesame: connection 'orders-mysql': the Vault secret at secret/data/orders-mysql has no 'password' field",
    );
    const noUser = await listen({ password: APP_PASSWORD });
    expect((await connectError(noUser.listener.port)).message).toMatch(/has no 'username' \(or 'user'\) field$/);
    const userKey = await listen({ user: 'app', password: APP_PASSWORD });
    await withConnection(userKey.listener.port, async (c) =>
      expect(await rows(c, 'SELECT CURRENT_USER() AS who')).toEqual([{ who: 'app@%' }]),
    );
  });

  it('reports a credential source that fails, naming the source', async () => {
    const connector = createMysqlConnector({ host: server.host, port: server.port, sslmode: 'disable' });
    const failing: CredentialFetcher = {
      description: 'vault-kv secret/data/orders-mysql',
      get: async () => {
        throw new Error('Vault at https://vault.example:8200 is sealed');
      },
    };
    const listener = await listenForTests(connector, failing);
    listeners.push(listener);
    const err = await connectError(listener.port);
    expect(err.errno).toBe(1045);
    expect(err.message).toBe(
      "sesame: connection 'orders-mysql': could not get the credential from vault-kv secret/data/orders-mysql: Vault at https://vault.example:8200 is sealed",
    );
  });

  it('names an auth plugin the broker cannot perform (a user identified via ed25519)', async () => {
    const { listener, credentials } = await listen({ username: 'edwards', password: 'ed-pw' });
    const err = await connectError(listener.port);
    expect(err.errno).toBe(1251);
    expect(err.message).toMatch(
      /asks for the 'client_ed25519' authentication plugin for user 'edwards'; the broker supports mysql_native_password and caching_sha2_password$/,
    );
    expect(credentials.calls).toHaveLength(1);
  });
});

describe('backend problems', () => {
  it('answers 1429 when the backend is unreachable, before any greeting', async () => {
    const probe = await listen(good);
    const closedPort = probe.listener.port;
    await probe.listener.close();
    const { listener, credentials } = await listen(good, { port: closedPort });
    const err = await connectError(listener.port);
    expect(err.errno).toBe(1429);
    expect(err.sqlState).toBe('HY000');
    expect(err.message).toBe(
      `sesame: connection 'orders-mysql': cannot reach the backend 127.0.0.1:${closedPort}: ECONNREFUSED`,
    );
    expect(credentials.calls).toHaveLength(0);
  });

  it("relays the backend's own refusal (an unknown database) without a credential retry", async () => {
    const { listener, credentials } = await listen(good, { database: 'nope' });
    const err = await connectError(listener.port);
    expect(err.errno).toBe(1044);
    expect(err.message).toMatch(
      /^sesame: connection 'orders-mysql': the backend .* refused the login of user 'app': Access denied for user 'app'@'%' to database 'nope'$/,
    );
    expect(credentials.calls).toHaveLength(1);
  });

  it('refuses TLS-requiring sslmodes against a backend without TLS', async () => {
    const { listener } = await listen(good, { sslmode: 'required' });
    const err = await connectError(listener.port);
    expect(err.errno).toBe(1429);
    expect(err.message).toMatch(/the backend 127\.0\.0\.1:\d+ does not offer TLS, and sslmode is required$/);
    const preferred = await listen(good, { sslmode: 'preferred' });
    await withConnection(preferred.listener.port, async (c) =>
      expect(await rows(c, 'SELECT 1 AS one')).toEqual([{ one: 1 }]),
    );
  });

  it('rejects an invalid target naming the field', () => {
    expect(() => createMysqlConnector({ host: 'db', port: 70000 } as never)).toThrow(MysqlTargetError);
    expect(() => createMysqlConnector({ host: 'db', port: 3306, sslmode: 'verify-full' } as never)).toThrow(
      /target\.sslmode/,
    );
    expect(() =>
      createMysqlConnector({ host: 'db', port: 3306, caFile: '/nonexistent/ca.pem', sslmode: 'verify-ca' }),
    ).toThrow(/target\.caFile: cannot read/);
  });
});

describe('the command phase', () => {
  it('refuses COM_CHANGE_USER with a clear error and ends that session', async () => {
    const { listener } = await listen(good);
    const c = await connectThrough(listener.port);
    try {
      const err = (await c.changeUser({ user: 'root', password: '' }).then(
        () => undefined,
        (e: unknown) => e,
      )) as DriverError;
      expect(err.errno).toBe(1235);
      expect(err.message).toBe(
        "sesame: connection 'orders-mysql': COM_CHANGE_USER is refused: the broker keeps the identity of the session; reconnect to start a new session",
      );
    } finally {
      c.destroy();
    }
    await listener.settled();
    expect(
      listener.logs.some((r) => r.message === 'refused a COM_CHANGE_USER from the client and ended the session'),
    ).toBe(true);
  });

  it('passes LOAD DATA LOCAL INFILE whose packets start with the COM_CHANGE_USER byte and wrap the sequence id', async () => {
    const { listener } = await listen(good, { database: 'orders' });
    const file = path.join(scratch, 'change-user-bytes.bin');
    const line = Buffer.concat([Buffer.alloc(63, 0x11), Buffer.from('\n')]);
    fs.writeFileSync(file, Buffer.concat(Array<Buffer>(40_000).fill(line)));
    const result = await runMariadbCli(listener.port, [
      '-u',
      'x',
      '--local-infile=1',
      '-N',
      '-e',
      `CREATE TABLE infile_rows (b VARBINARY(100)); LOAD DATA LOCAL INFILE '${file}' INTO TABLE infile_rows CHARACTER SET binary; SELECT COUNT(*), MIN(b) = MAX(b) FROM infile_rows`,
    ]);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('40000\t1');
  });

  it('carries rows and statements over 16 MB (multi-packet) both ways intact', async () => {
    const { listener } = await listen(good, { database: 'orders' });
    const blob = Buffer.alloc(20 * 1024 * 1024);
    for (let i = 0; i < blob.length; i += 4) blob.writeUInt32LE((i * 2654435761) >>> 0, i);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    await withConnection(listener.port, async (c) => {
      await c.query('INSERT INTO blobs VALUES (?)', [blob]);
      const [back] = await rows<{ b: Buffer }>(c, 'SELECT b FROM blobs');
      expect(sha(back!.b)).toBe(sha(blob));
      const long = await rows<{ n: number }>(c, "SELECT LENGTH(REPEAT('x', 18 * 1024 * 1024)) AS n");
      expect(long).toEqual([{ n: 18 * 1024 * 1024 }]);
    });
  });

  it('serves 100 concurrent clients, each in its own backend session', async () => {
    const { listener } = await listen(good);
    const results = await Promise.all(
      Array.from({ length: 100 }, () =>
        withConnection(listener.port, (c) =>
          rows<{ who: string; id: number }>(c, 'SELECT CURRENT_USER() AS who, CONNECTION_ID() AS id'),
        ),
      ),
    );
    expect(new Set(results.map(([r]) => r!.who))).toEqual(new Set(['app@%']));
    expect(new Set(results.map(([r]) => r!.id)).size).toBe(100);
    await listener.settled();
    expect(listener.serveErrors).toEqual([]);
  });

  it('refuses clients over maxSessions with 1040 while the others go on', async () => {
    const { listener } = await listen(good, { maxSessions: 1 });
    await withConnection(listener.port, async (first) => {
      const err = await connectError(listener.port);
      expect(err.errno).toBe(1040);
      expect(err.message).toBe("sesame: connection 'orders-mysql': too many clients: at most 1 sessions at once");
      expect(await rows(first, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    });
  });

  it('closes live sessions when the connection is turned off', async () => {
    const { listener, credentials } = await listen(good);
    const c = await connectThrough(listener.port);
    c.on('error', () => {});
    const sleeping = c.query('SELECT SLEEP(30)').then(
      () => 'finished',
      (e: DriverError) => e.message,
    );
    await listener.close();
    expect(await sleeping).toMatch(/closed|lost|ECONNRESET/i);
    expect(credentials.released).toHaveLength(1);
  });
});
