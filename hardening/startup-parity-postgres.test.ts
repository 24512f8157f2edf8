// Issue 17, item 10 (PostgreSQL): bad input gets what the real server gives, nothing more. Every
// malformed-startup path runs the same bytes against PostgreSQL 15 and against the broker and
// compares what comes back — the one-byte answers, the messages (severity, SQLSTATE, message,
// detail, hint; the broker's "sesame: connection '<name>': " prefix aside), whether the socket is
// closed — and that what PostgreSQL only logs, the broker logs too. The cases follow the
// postmaster's ProcessStartupPacket. PostgreSQL on Debian has GSSAPI, which answers a
// GSSENCRequest over TCP with 'G'; over its unix socket it answers 'N' like a build without it
// (and like the broker, which has no GSSAPI), so the GSSENCRequest cases compare with that.
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalCa, issueLocalServerCertificate } from '../broker/local-ca';
import { createPostgresConnector } from '../broker/postgres';
import { startPostgres, type PostgresServer } from '../sandbox/servers';
import { pgTranscript, type PgScript } from './testing/pg-transcript';
import { fixedCredentials, serveConnector, type ServedConnector } from './testing/serve-connector';

const PROTOCOL_3 = 0x30000;
const SSL = 80877103;
const GSSENC = 80877104;
const CANCEL = 80877102;

const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const packet = (...parts: Buffer[]) => {
  const body = Buffer.concat(parts);
  return Buffer.concat([int32(body.length + 4), body]);
};
const startup = (parameters: string, protocol = PROTOCOL_3) =>
  packet(int32(protocol), Buffer.from(parameters, 'latin1'));
const sslRequest = packet(int32(SSL));
const gssRequest = packet(int32(GSSENC));
const goodStartup = startup('user\0admin\0database\0postgres\0\0');

interface Case {
  readonly name: string;
  readonly script: PgScript;
  /** What PostgreSQL writes to its log (and only there, unless it is also sent). */
  readonly logged?: string;
  /** Run against PostgreSQL's unix socket (GSSENCRequest cases). */
  readonly viaSocket?: boolean;
}

const send = (bytes: Buffer) => ({ send: bytes });
const readByte = { readByte: true } as const;
/** Both servers give up on a silent client after 3 s here (so a close "at once" is told apart); wait past that. */
const TIMEOUT_S = 3;
const STALL_MS = TIMEOUT_S * 1000 + 5_000;

const CASES: Case[] = [
  { name: 'connects and leaves without a byte', script: { steps: [], end: true } },
  {
    name: 'half a length word, then EOF',
    script: { steps: [send(Buffer.from([0, 0]))], end: true },
    logged: 'incomplete startup packet',
  },
  {
    name: 'a length below 8',
    script: { steps: [send(Buffer.from([0, 0, 0, 4]))] },
    logged: 'invalid length of startup packet',
  },
  {
    name: 'a length above 10004 (10000 after the length word)',
    script: { steps: [send(Buffer.concat([int32(10_005), int32(PROTOCOL_3)]))] },
    logged: 'invalid length of startup packet',
  },
  {
    name: 'a length of 10004 whose packet never comes',
    script: { steps: [send(Buffer.concat([int32(10_004), int32(PROTOCOL_3)]))], waitMs: STALL_MS },
  },
  {
    name: "Terminate before the startup packet (node-postgres' connect() then end())",
    script: { steps: [send(Buffer.concat([Buffer.from('X\0\0\0\x04', 'latin1'), goodStartup]))] },
    logged: 'invalid length of startup packet',
  },
  {
    name: 'an HTTP request',
    script: { steps: [send(Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'))] },
    logged: 'invalid length of startup packet',
  },
  {
    name: 'a TLS ClientHello without SSLRequest (direct SSL of PostgreSQL 17 clients)',
    script: { steps: [send(Buffer.from('160301012c010001280303', 'hex'))] },
    logged: 'invalid length of startup packet',
  },
  {
    name: 'a startup packet cut short, then EOF',
    script: { steps: [send(goodStartup.subarray(0, 12))], end: true },
    logged: 'incomplete startup packet',
  },
  {
    name: 'a startup packet that stalls halfway',
    script: { steps: [send(goodStartup.subarray(0, 12))], waitMs: STALL_MS },
  },
  { name: 'a client that connects and says nothing', script: { steps: [], waitMs: STALL_MS } },
  {
    name: 'protocol 2.0 (answered in protocol 2)',
    script: { steps: [send(startup('user\0admin\0\0', 0x20000))] },
    logged: 'unsupported frontend protocol 2.0: server supports 3.0 to 3.0',
  },
  {
    name: 'protocol 4.0',
    script: { steps: [send(startup('user\0admin\0\0', 0x40000))] },
    logged: 'unsupported frontend protocol 4.0: server supports 3.0 to 3.0',
  },
  {
    name: 'an unknown request code',
    script: { steps: [send(packet(int32((1234 << 16) | 5681)))] },
    logged: 'unsupported frontend protocol 1234.5681: server supports 3.0 to 3.0',
  },
  {
    name: 'parameters without the terminating NUL',
    script: { steps: [send(startup('user\0admin\0'))] },
    logged: 'invalid startup packet layout: expected terminator as last byte',
  },
  {
    name: 'a parameter name without a value',
    script: { steps: [send(startup('user\0'))] },
    logged: 'invalid startup packet layout: expected terminator as last byte',
  },
  {
    name: 'no user',
    script: { steps: [send(startup('database\0postgres\0\0'))] },
    logged: 'no PostgreSQL user name specified in startup packet',
  },
  {
    name: 'an empty user',
    script: { steps: [send(startup('user\0\0\0'))] },
    logged: 'no PostgreSQL user name specified in startup packet',
  },
  {
    name: 'SSLRequest twice',
    script: { steps: [send(sslRequest), readByte, send(sslRequest)] },
    logged: 'unsupported frontend protocol 1234.5679: server supports 3.0 to 3.0',
  },
  {
    name: 'SSLRequest with the startup packet pipelined behind it (CVE-2021-23214)',
    script: { steps: [send(Buffer.concat([sslRequest, goodStartup])), readByte] },
    logged: 'received unencrypted data after SSL request',
  },
  { name: 'SSLRequest, then EOF', script: { steps: [send(sslRequest), readByte], end: true } },
  {
    name: 'SSLRequest with extra bytes in it, then protocol 2.0',
    script: { steps: [send(packet(int32(SSL), int32(0))), readByte, send(startup('user\0admin\0\0', 0x20000))] },
    logged: 'unsupported frontend protocol 2.0: server supports 3.0 to 3.0',
  },
  {
    name: 'GSSENCRequest twice',
    script: { steps: [send(gssRequest), readByte, send(gssRequest)] },
    logged: 'unsupported frontend protocol 1234.5680: server supports 3.0 to 3.0',
    viaSocket: true,
  },
  {
    name: 'GSSENCRequest with the startup packet pipelined behind it',
    script: { steps: [send(Buffer.concat([gssRequest, goodStartup])), readByte] },
    logged: 'received unencrypted data after GSSAPI encryption request',
    viaSocket: true,
  },
  {
    name: 'SSLRequest, GSSENCRequest, then SSLRequest again',
    script: { steps: [send(sslRequest), readByte, send(gssRequest), readByte, send(sslRequest)] },
    logged: 'unsupported frontend protocol 1234.5679: server supports 3.0 to 3.0',
    viaSocket: true,
  },
  {
    name: 'CancelRequest with a key nobody issued',
    script: { steps: [send(packet(int32(CANCEL), int32(4242), int32(7)))] },
    logged: 'PID 4242 in cancel request did not match any process',
  },
  {
    name: 'CancelRequest too short',
    script: { steps: [send(packet(int32(CANCEL), int32(4242)))] },
    logged: 'invalid length of startup packet',
  },
  {
    name: 'CancelRequest too long',
    script: { steps: [send(packet(int32(CANCEL), int32(4242), int32(7), int32(9)))] },
    logged: 'invalid length of startup packet',
  },
  {
    name: 'protocol 3.1 with a _pq_ option: NegotiateProtocolVersion first',
    script: { steps: [send(startup('user\0admin\0_pq_.compression\0on\0\0', 0x30001))], firstMessages: 1 },
  },
  {
    name: 'protocol 3.7: NegotiateProtocolVersion first',
    script: { steps: [send(startup('user\0admin\0\0', 0x30007))], firstMessages: 1 },
  },
];

describe('malformed startups: the broker answers as PostgreSQL 15 does', () => {
  let server: PostgresServer;
  let broker: ServedConnector;

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
    // A silent client is let go after TIMEOUT_S, like the broker below.
    await admin.query(`ALTER SYSTEM SET authentication_timeout = '${TIMEOUT_S}s'`);
    await admin.query('SELECT pg_reload_conf()');
    await admin.end();
    const connector = createPostgresConnector({
      host: server.host,
      port: server.port,
      sslmode: 'disable',
      timeouts: { handshakeMs: TIMEOUT_S * 1000 },
    });
    broker = await serveConnector(
      connector,
      fixedCredentials({ username: server.adminUser, password: server.adminPassword }),
      'parity',
    );
  });

  afterAll(async () => {
    await broker?.close();
    await server?.stop();
  });

  /** Lines PostgreSQL logged since `offset` (poll: the line is written as the backend exits). */
  async function serverLogged(offset: number, text: string): Promise<string> {
    const deadline = Date.now() + 5_000;
    let tail = '';
    while (Date.now() < deadline) {
      tail = readFileSync(server.logFile, 'utf8').slice(offset);
      if (tail.includes(text)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    return tail;
  }

  it.each(CASES)('$name', async ({ script, logged, viaSocket }) => {
    const logOffset = statSync(server.logFile).size;
    const brokerLogsBefore = broker.recentLogs.length;
    const realAddress = viaSocket ? path.join(server.socketDir, `.s.PGSQL.${server.port}`) : server.port;
    const [real, through] = await Promise.all([pgTranscript(realAddress, script), pgTranscript(broker.port, script)]);
    expect(real.rest).toBe('');
    expect(through).toEqual(real);
    if (logged) {
      expect(await serverLogged(logOffset, logged)).toContain(logged);
      const records = broker.recentLogs.slice(brokerLogsBefore).filter((r) => r.level !== 'debug');
      expect(JSON.stringify(records)).toContain(logged);
    }
  });

  it("node-postgres' connect() followed at once by end(): no 'error' event, as with PostgreSQL", async () => {
    async function connectThenEnd(port: number) {
      const errorEvents: string[] = [];
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'admin', database: 'postgres' });
      // An app with no listener crashes on an 'error' event; we record it instead.
      client.on('error', (error) => errorEvents.push(error.message));
      let connect = 'pending';
      const connecting = client.connect().then(
        () => (connect = 'resolved'),
        () => (connect = 'rejected'),
      );
      await client.end();
      await Promise.race([connecting, new Promise((r) => setTimeout(r, 1_000))]);
      return { errorEvents, connect };
    }
    const real = await connectThenEnd(server.port);
    const through = await connectThenEnd(broker.port);
    expect(real.errorEvents).toEqual([]);
    expect(through).toEqual(real);
  });

  it('a Node app doing connect() then end() with no error handling does not crash', async () => {
    const pgPath = createRequire(import.meta.url).resolve('pg');
    const app = (port: number) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const script = `const pg = require(${JSON.stringify(pgPath)});
          const client = new pg.Client({ host: '127.0.0.1', port: ${port}, user: 'admin', database: 'postgres' });
          client.connect();
          client.end();`;
        execFile(process.execPath, ['-e', script], { timeout: 20_000 }, (error, _stdout, stderr) =>
          resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr }),
        );
      });
    const [real, through] = await Promise.all([app(server.port), app(broker.port)]);
    expect(real).toEqual({ code: 0, stderr: '' });
    expect(through).toEqual(real);
  });
});

/** The broker with TLS on its local leg, against PostgreSQL with ssl=on: the paths where TLS fails to start. */
const TLS_CASES: Case[] = [
  { name: "SSLRequest answered 'S', then EOF", script: { steps: [send(sslRequest), readByte], end: true } },
  {
    name: "SSLRequest answered 'S', then bytes that are not a TLS ClientHello",
    script: { steps: [send(sslRequest), readByte, send(goodStartup)] },
  },
  {
    name: "SSLRequest with the startup packet pipelined: 'S', and a handshake that never comes",
    script: { steps: [send(Buffer.concat([sslRequest, goodStartup])), readByte], waitMs: STALL_MS },
  },
];

describe('malformed startups with TLS on: the broker answers as PostgreSQL 15 with ssl=on does', () => {
  let server: PostgresServer;
  let broker: ServedConnector;

  beforeAll(async () => {
    server = await startPostgres({ tls: true });
    const admin = new pg.Client({ ...serverLogin(server), ssl: { rejectUnauthorized: false } });
    await admin.connect();
    await admin.query(`ALTER SYSTEM SET authentication_timeout = '${TIMEOUT_S}s'`);
    await admin.query('SELECT pg_reload_conf()');
    await admin.end();
    const connector = createPostgresConnector(
      { host: server.host, port: server.port, sslmode: 'disable', timeouts: { handshakeMs: TIMEOUT_S * 1000 } },
      { localTls: issueLocalServerCertificate(createLocalCa()) },
    );
    broker = await serveConnector(
      connector,
      fixedCredentials({ username: server.adminUser, password: server.adminPassword }),
      'parity',
    );
  });

  afterAll(async () => {
    await broker?.close();
    await server?.stop();
  });

  it.each(TLS_CASES)('$name', async ({ script }) => {
    const [real, through] = await Promise.all([pgTranscript(server.port, script), pgTranscript(broker.port, script)]);
    expect(real.bytes).toEqual(['S']);
    expect(through).toEqual(real);
  });
});

function serverLogin(server: PostgresServer) {
  return {
    host: server.host,
    port: server.port,
    user: server.adminUser,
    password: server.adminPassword,
    database: 'postgres',
  };
}
