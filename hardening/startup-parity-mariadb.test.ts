// Issue 17, item 10 (MySQL): bad input gets what the real server gives, nothing more. Every
// malformed path of the connection phase runs the same bytes, after the greeting, against
// MariaDB 10.11 and against the broker, and compares what comes back — the packets (ERR code,
// SQLSTATE or none, message, sequence id; the broker's "sesame: connection '<name>': " prefix
// aside) and when the socket closes. MariaDB logs each of these as an aborted connection; the
// broker logs why. The greeting itself differs by design (the broker's own scramble and flags).
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalCa, issueLocalServerCertificate } from '../broker/local-ca';
import { createMysqlConnector } from '../broker/mysql';
import { startMariaDb, type MariaDbServer } from '../sandbox/servers';
import { mysqlTranscript, type MysqlScript } from './testing/mysql-transcript';
import { fixedCredentials, serveConnector, type ServedConnector } from './testing/serve-connector';

const PROTOCOL_41 = 1 << 9;
const SECURE_CONNECTION = 1 << 15;
const LONG_PASSWORD = 1;
const PLUGIN_AUTH = 1 << 19;
const SSL = 1 << 11;
const CAPS = PROTOCOL_41 | SECURE_CONNECTION | LONG_PASSWORD | PLUGIN_AUTH;

const packet = (seq: number, payload: Buffer) => {
  const head = Buffer.alloc(4);
  head.writeUIntLE(payload.length, 0, 3);
  head[3] = seq;
  return Buffer.concat([head, payload]);
};
/** The 32-byte head of a HandshakeResponse41 (and of an SSLRequest), then `rest`. */
const response = (caps: number, rest = '') => {
  const head = Buffer.alloc(32);
  head.writeUInt32LE(caps >>> 0, 0);
  head.writeUInt32LE(1 << 24, 4);
  head[8] = 33;
  return Buffer.concat([head, Buffer.from(rest, 'latin1')]);
};
/** A response from a user who exists on the server, proposing caching_sha2: MariaDB switches it to native. */
const switchingResponse = packet(1, response(CAPS, 'root\0\0caching_sha2_password\0'));

/** Both servers give up on a silent client after 3 s here (a close "at once" is told apart); wait past that. */
const TIMEOUT_S = 3;
const STALL_MS = TIMEOUT_S * 1000 + 5_000;

interface Case {
  readonly name: string;
  readonly script: MysqlScript;
  /** What the broker's log says about it (MariaDB's says "Aborted connection"). */
  readonly logged?: RegExp;
}

const CASES: Case[] = [
  { name: 'connects and leaves without a byte', script: { send: Buffer.alloc(0), end: true } },
  { name: 'half a packet header, then EOF', script: { send: Buffer.from([5, 0]), end: true } },
  { name: 'a client that says nothing', script: { send: Buffer.alloc(0), waitMs: STALL_MS } },
  {
    name: 'an HTTP request (its "sequence id" is a space)',
    script: { send: Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n') },
    logged: /sequence id 32/,
  },
  {
    name: 'a HandshakeResponse with sequence id 5',
    script: { send: packet(5, response(CAPS, 'x\0\0')) },
    logged: /sequence id 5/,
  },
  {
    name: 'a HandshakeResponse with sequence id 0',
    script: { send: packet(0, response(CAPS, 'x\0\0')) },
    logged: /sequence id 0/,
  },
  {
    name: 'a 16 MB packet announced and never sent',
    script: { send: Buffer.from([0xff, 0xff, 0xff, 1]), waitMs: STALL_MS },
  },
  {
    name: 'a 300 KB packet of garbage',
    script: { send: packet(1, Buffer.alloc(300_000, 0xff)), waitMs: STALL_MS },
    logged: /300000/,
  },
  {
    name: 'an SSLRequest where no TLS was offered',
    script: { send: packet(1, response(CAPS | SSL)) },
    logged: /TLS/,
  },
  { name: 'a 4-byte response', script: { send: packet(1, Buffer.from([0x00, 0x82, 0, 0])) }, logged: /4 bytes/ },
  {
    name: 'a response cut at 20 bytes',
    script: { send: packet(1, response(CAPS).subarray(0, 20)) },
    logged: /truncated/,
  },
  {
    name: 'a pre-4.1 client (answered without a SQLSTATE)',
    script: { send: packet(1, Buffer.from([0x05, 0x84, 0, 0, 0, 0x78, 0])) },
    logged: /pre-4\.1/,
  },
  {
    name: 'a user name without its terminator',
    script: { send: packet(1, response(CAPS, 'no-terminator')) },
    logged: /unterminated/,
  },
  { name: 'an empty packet', script: { send: packet(1, Buffer.alloc(0)) }, logged: /0 bytes/ },
  {
    name: 'auth data longer than the packet',
    script: { send: packet(1, response(CAPS, 'x\0\x32\x01\x02')) },
    logged: /truncated/,
  },
  {
    name: 'half a packet, then EOF',
    script: { send: packet(1, response(CAPS, 'x\0\0')).subarray(0, 20), end: true },
  },
  {
    name: 'half a packet, then nothing',
    script: { send: packet(1, response(CAPS, 'x\0\0')).subarray(0, 20), waitMs: STALL_MS },
  },
  {
    name: 'an auth switch answered with sequence id 7',
    script: { send: Buffer.concat([switchingResponse, packet(7, Buffer.alloc(20, 1))]) },
    logged: /sequence id 7/,
  },
  { name: 'an auth switch, then EOF', script: { send: switchingResponse, end: true } },
  { name: 'an auth switch, then nothing', script: { send: switchingResponse, waitMs: STALL_MS } },
];

describe('malformed connection phases: the broker answers as MariaDB 10.11 does', () => {
  let server: MariaDbServer;
  let broker: ServedConnector;

  beforeAll(async () => {
    server = await startMariaDb();
    const admin = await mysql.createConnection({
      host: server.host,
      port: server.port,
      user: server.adminUser,
      password: server.adminPassword,
    });
    // A silent client is let go after TIMEOUT_S, like the broker below.
    await admin.query(`SET GLOBAL connect_timeout = ${TIMEOUT_S}`);
    await admin.end();
    const connector = createMysqlConnector({
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

  it.each(CASES)('$name', async ({ script, logged }) => {
    const brokerLogsBefore = broker.recentLogs.length;
    const [real, through] = await Promise.all([
      mysqlTranscript(server.port, script),
      mysqlTranscript(broker.port, script),
    ]);
    expect(real.rest).toBe('');
    expect(through).toEqual(real);
    if (logged) {
      const records = broker.recentLogs.slice(brokerLogsBefore).filter((r) => r.level === 'warn');
      expect(JSON.stringify(records)).toMatch(logged);
    }
  });
});

/** The broker with TLS on its local leg, against MariaDB with TLS: the paths where TLS fails to start. */
const sslRequest = packet(1, response(CAPS | SSL));
// Not compared: an SSL request, then EOF. MariaDB's OpenSSL answers the client that left with a
// TLS alert and a plain "Bad handshake"; the broker closes without a word.
const TLS_CASES: Case[] = [
  {
    name: 'an SSL request, then bytes that are not a TLS ClientHello',
    script: { send: Buffer.concat([sslRequest, packet(2, response(CAPS, 'x\0\0'))]) },
  },
  { name: 'an SSL request, then nothing', script: { send: sslRequest, waitMs: STALL_MS } },
];

describe('malformed connection phases with TLS on: the broker answers as MariaDB 10.11 with TLS does', () => {
  let server: MariaDbServer;
  let broker: ServedConnector;

  beforeAll(async () => {
    server = await startMariaDb({ tls: true });
    const admin = await mysql.createConnection({
      host: server.host,
      port: server.port,
      user: server.adminUser,
      password: server.adminPassword,
    });
    await admin.query(`SET GLOBAL connect_timeout = ${TIMEOUT_S}`);
    await admin.end();
    const connector = createMysqlConnector(
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
    const [real, through] = await Promise.all([
      mysqlTranscript(server.port, script),
      mysqlTranscript(broker.port, script),
    ]);
    expect(real.rest).toBe('');
    expect(through).toEqual(real);
  });
});
