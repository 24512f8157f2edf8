// The piped data phase under load: COPY of ~100 MB each way with checksums, rows over 10 MB,
// and 100 concurrent clients, all through the connector to a real PostgreSQL.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomPassword, startPostgres, type PostgresServer } from '../../sandbox/servers';
import { createPostgresConnector } from './connector';
import { listenForTests, literalFetcher, runPsql, type TestListener } from './testing';

const APP_USER = 'bulk_app';
const APP_PASSWORD = randomPassword();
const ROWS = 1_400_000; // ~100 MB of COPY text
let server: PostgresServer;
let listener: TestListener;

const row = (i: number) => `${i}\t${createHash('sha256').update(String(i)).digest('hex')}\n`;

/** The COPY text for rows 1..ROWS, produced lazily in 1 MB-ish chunks. */
function copyText(): Readable {
  let i = 1;
  return new Readable({
    read() {
      const lines: string[] = [];
      for (let n = 0; n < 15_000 && i <= ROWS; n++) lines.push(row(i++));
      this.push(lines.length ? lines.join('') : null);
    },
  });
}

beforeAll(async () => {
  server = await startPostgres();
  const admin = new pg.Client({
    host: server.host,
    port: server.port,
    user: server.adminUser,
    password: server.adminPassword,
    database: 'postgres',
  });
  await admin.connect();
  try {
    await admin.query(`create role ${APP_USER} login password '${APP_PASSWORD}'`);
    await admin.query(`create table bulk (i int primary key, payload text) ; alter table bulk owner to ${APP_USER}`);
  } finally {
    await admin.end();
  }
  const connector = createPostgresConnector({ host: server.host, port: server.port, database: 'postgres' });
  listener = await listenForTests(connector, literalFetcher({ username: APP_USER, password: APP_PASSWORD }));
});

afterAll(async () => {
  await listener?.close();
  await server?.stop();
});

describe('data phase', () => {
  it('copies ~100 MB in and out unchanged (checksums match)', async () => {
    const expected = createHash('sha256');
    for await (const chunk of copyText()) expected.update(chunk as string);
    const expectedDigest = expected.digest('hex');

    const copyIn = await runPsql(listener.port, ['-c', 'copy bulk (i, payload) from stdin'], { stdin: copyText() });
    expect(copyIn.stderr).toBe('');
    expect(copyIn.stdout.trim()).toBe(`COPY ${ROWS}`);

    const out = createHash('sha256');
    let bytes = 0;
    const copyOut = await runPsql(listener.port, ['-c', 'copy (select i, payload from bulk order by i) to stdout'], {
      onStdout: (chunk) => {
        bytes += chunk.length;
        out.update(chunk);
      },
    });
    expect(copyOut.stderr).toBe('');
    expect(bytes).toBeGreaterThan(100_000_000);
    expect(out.digest('hex')).toBe(expectedDigest);
    expect(listener.bytes.toTarget).toBeGreaterThan(100_000_000);
    expect(listener.bytes.toClient).toBeGreaterThan(100_000_000);
  });

  it('carries a row over 10 MB each way', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: listener.port, user: 'x', database: 'postgres' });
    await client.connect();
    try {
      const big = 'sesame'.repeat(2_000_000); // 12 MB
      const local = createHash('md5').update(big).digest('hex');
      const up = await client.query('select md5($1::text) as digest, length($1::text) as length', [big]);
      expect(up.rows).toEqual([{ digest: local, length: big.length }]);
      const down = await client.query("select repeat('sesame', 2000000) as big");
      expect(
        createHash('md5')
          .update(down.rows[0].big as string)
          .digest('hex'),
      ).toBe(local);
    } finally {
      await client.end();
    }
  });

  it('serves 100 concurrent clients', async () => {
    const users = await Promise.all(
      Array.from({ length: 100 }, async (_, n) => {
        const client = new pg.Client({
          host: '127.0.0.1',
          port: listener.port,
          user: `client${n}`,
          database: 'postgres',
        });
        await client.connect();
        try {
          return (await client.query('select current_user as u, $1::int as n', [n])).rows[0];
        } finally {
          await client.end();
        }
      }),
    );
    expect(users).toEqual(Array.from({ length: 100 }, (_, n) => ({ u: APP_USER, n })));
  });
});
