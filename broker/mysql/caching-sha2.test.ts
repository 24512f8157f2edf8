// caching_sha2_password and AuthSwitchRequest toward the backend. MySQL 8 cannot run here
// (Debian 12 ships MariaDB, which has no caching_sha2_password server plugin), so the backend is
// a scripted peer that checks the proofs the way mysqld does: it keeps SHA256(SHA256(password))
// or SHA1(SHA1(password)), and an RSA key pair for full authentication. The client is mysql2.
import { constants, createHash, generateKeyPairSync, privateDecrypt, randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createMysqlConnector } from './connector';
import type { MysqlTarget } from './target';
import { createPacketReader } from './packet-reader';
import {
  CACHING_SHA2_PASSWORD,
  Cap,
  NATIVE_PASSWORD,
  encodeAuthSwitch,
  encodeErr,
  encodePacket,
  encodeServerGreeting,
  has,
  parseHandshakeResponse,
  type HandshakeResponse,
} from './protocol';
import { connectThrough, listenForTests, literalFetcher, type TestListener } from './testing';

const PASSWORD = 'the right password';
const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PUBLIC_PEM = Buffer.from(publicKey.export({ type: 'spki', format: 'pem' }) as string);
const OK = Buffer.from([0, 0, 0, 2, 0, 0, 0]);
const hash = (algorithm: string, ...parts: Buffer[]) =>
  parts.reduce((h, p) => h.update(p), createHash(algorithm)).digest();
const xor = (a: Buffer, b: Buffer) => Buffer.from(a.map((x, i) => x ^ b[i % b.length]!));

/** mysqld's check of a caching_sha2_password scramble against its stored double hash. */
function sha2ProofMatches(proof: Buffer, scramble: Buffer, password: string): boolean {
  const stored = hash('sha256', hash('sha256', Buffer.from(password)));
  const candidate = xor(proof, hash('sha256', stored, scramble));
  return proof.length === 32 && hash('sha256', candidate).equals(stored);
}

/** mysqld's check of a mysql_native_password scramble against its stored double hash. */
function nativeProofMatches(proof: Buffer, scramble: Buffer, password: string): boolean {
  const stored = hash('sha1', hash('sha1', Buffer.from(password)));
  const candidate = xor(proof, hash('sha1', scramble, stored));
  return proof.length === 20 && hash('sha1', candidate).equals(stored);
}

/** What a MySQL 8 server without TLS offers (CLIENT_MYSQL set: no MariaDB extensions). */
const MYSQL8_CAPABILITIES =
  (0xffffffff &
    ~(
      Cap.SSL |
      Cap.COMPRESS |
      Cap.ZSTD_COMPRESSION |
      Cap.MULTI_FACTOR_AUTH |
      Cap.CAPABILITY_EXTENSION |
      Cap.SSL_VERIFY_SERVER_CERT |
      Cap.REMEMBER_OPTIONS
    )) >>>
  0;

const scramble20 = () => Buffer.from(randomBytes(20).map((b) => 0x21 + (b % 90)));

interface Exchange {
  readonly response: HandshakeResponse;
  readonly scramble: Buffer;
  send(seq: number, payload: Buffer): void;
  read(seq: number): Promise<Buffer>;
}

/**
 * A backend that greets with `plugin`, runs `login` (which ends with the OK, or throws after an
 * ERR to drop the connection), then answers COM_PING with OK until the client quits.
 */
async function scriptedBackend(plugin: string, login: (x: Exchange) => Promise<void>) {
  const seen: HandshakeResponse[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    const reader = createPacketReader(socket, { peer: 'client', signal: new AbortController().signal });
    const scramble = scramble20();
    const greeting = encodeServerGreeting({
      serverVersion: '8.0.36-scripted',
      connectionId: 7,
      scramble,
      capabilities: MYSQL8_CAPABILITIES,
      mariadbCapabilities: 0,
      charset: 255,
      status: 2,
      authPlugin: plugin,
    });
    socket.write(encodePacket(0, greeting));
    void (async () => {
      const hello = parseHandshakeResponse((await reader.read(1, 'response')).payload);
      if (hello.kind !== 'response') throw new Error('expected a HandshakeResponse41');
      seen.push(hello);
      await login({
        response: hello,
        scramble,
        send: (seq, payload) => socket.write(encodePacket(seq, payload)),
        read: async (seq) => (await reader.read(seq, 'auth')).payload,
      });
      for (;;) {
        const command = await reader.read(0, 'command');
        if (command.payload[0] !== 0x0e /* COM_PING */) break;
        socket.write(encodePacket(1, OK));
      }
      socket.end();
    })().catch(() => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as net.AddressInfo).port, seen };
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** Full authentication over plain TCP sends the password to whoever answers: tests of it opt in. */
const INSECURE = { insecureAllowPasswordWithoutVerifiedTls: true };

async function brokerTo(
  port: number,
  values: Record<string, string>,
  refreshed?: Record<string, string>,
  target: Partial<MysqlTarget> = {},
) {
  const connector = createMysqlConnector({
    host: '127.0.0.1',
    port,
    sslmode: 'disable',
    database: 'orders',
    ...target,
  });
  const credentials = literalFetcher(values, refreshed ? { refreshed } : {});
  const listener: TestListener = await listenForTests(connector, credentials);
  cleanups.push(() => listener.close());
  return { listener, credentials };
}

/** Connects mysql2 through the broker (with an extra connect attribute), pings, disconnects. */
async function connectAndPing(port: number): Promise<void> {
  const c = await connectThrough(port, { connectAttributes: { program_name: 'sesame-test' } });
  try {
    await c.ping();
  } finally {
    await c.end();
  }
}

/** Full authentication over plain TCP: request_public_key, then the RSA-sealed password. */
async function fullAuthWithRsa(x: Exchange, seq: number, scramble: Buffer): Promise<number> {
  x.send(seq, Buffer.from([0x01, 0x04]));
  expect(await x.read(seq + 1)).toEqual(Buffer.from([0x02]));
  x.send(seq + 2, Buffer.concat([Buffer.from([0x01]), PUBLIC_PEM]));
  const sealed = await x.read(seq + 3);
  const opened = privateDecrypt(
    { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
    sealed,
  );
  expect(xor(opened, scramble).toString()).toBe(`${PASSWORD}\0`);
  return seq + 4;
}

describe('caching_sha2_password toward the backend', () => {
  it('logs in on the fast path (fast_auth_success) and relays the login as the client asked', async () => {
    const backend = await scriptedBackend(CACHING_SHA2_PASSWORD, async (x) => {
      expect(x.response.authPlugin).toBe(CACHING_SHA2_PASSWORD);
      expect(sha2ProofMatches(x.response.authResponse, x.scramble, PASSWORD)).toBe(true);
      x.send(2, Buffer.from([0x01, 0x03]));
      x.send(3, OK);
    });
    const { listener } = await brokerTo(backend.port, { username: 'app', password: PASSWORD });
    await connectAndPing(listener.port);
    const [response] = backend.seen;
    expect(response!.user.toString()).toBe('app');
    expect(response!.database?.toString()).toBe('orders');
    expect(has(response!.capabilities, Cap.SSL) || has(response!.capabilities, Cap.COMPRESS)).toBe(false);
    expect(response!.attributes?.toString('latin1')).toContain('sesame-test');
    expect(listener.logs.find((r) => r.message === 'session started')).toMatchObject({
      authPlugin: CACHING_SHA2_PASSWORD,
      serverVersion: '8.0.36-scripted',
    });
  });

  it('performs full authentication with the server RSA key when the cache misses (opted in)', async () => {
    const backend = await scriptedBackend(CACHING_SHA2_PASSWORD, async (x) => {
      expect(sha2ProofMatches(x.response.authResponse, x.scramble, PASSWORD)).toBe(true);
      x.send(await fullAuthWithRsa(x, 2, x.scramble), OK);
    });
    const { listener } = await brokerTo(backend.port, { username: 'app', password: PASSWORD }, undefined, INSECURE);
    await connectAndPing(listener.port);
    await listener.settled();
    expect(listener.serveErrors).toEqual([]);
    expect(JSON.stringify(listener.logs)).not.toContain(PASSWORD);
  });

  it('refuses full authentication without verified TLS unless opted in: nothing follows the request', async () => {
    const afterRequest: Buffer[] = [];
    const backend = await scriptedBackend(CACHING_SHA2_PASSWORD, async (x) => {
      x.send(2, Buffer.from([0x01, 0x04]));
      afterRequest.push(await x.read(3));
    });
    const { listener } = await brokerTo(backend.port, { username: 'app', password: PASSWORD });
    const err = (await connectThrough(listener.port).catch((e: unknown) => e)) as { errno: number; message: string };
    expect(err.errno).toBe(1045);
    expect(err.message).toContain(
      "sesame: connection 'orders-mysql': the backend 127.0.0.1:" +
        `${backend.port} asks for the password itself, encrypted with an RSA key it sends`,
    );
    expect(err.message).toMatch(/set target\.insecureAllowPasswordWithoutVerifiedTls: true$/);
    await listener.settled();
    expect(afterRequest).toEqual([]);
  });

  it('follows an AuthSwitchRequest from native to caching_sha2_password with the new scramble', async () => {
    const backend = await scriptedBackend(NATIVE_PASSWORD, async (x) => {
      expect(x.response.authPlugin).toBe(NATIVE_PASSWORD);
      expect(nativeProofMatches(x.response.authResponse, x.scramble, PASSWORD)).toBe(true);
      const second = scramble20();
      x.send(2, encodeAuthSwitch(CACHING_SHA2_PASSWORD, second));
      expect(sha2ProofMatches(await x.read(3), second, PASSWORD)).toBe(true);
      x.send(await fullAuthWithRsa(x, 4, second), OK);
    });
    const { listener } = await brokerTo(backend.port, { username: 'app', password: PASSWORD }, undefined, INSECURE);
    await connectAndPing(listener.port);
    expect(listener.logs.find((r) => r.message === 'session started')).toMatchObject({
      authPlugin: CACHING_SHA2_PASSWORD,
    });
  });

  it('follows an AuthSwitchRequest from caching_sha2 to native', async () => {
    const backend = await scriptedBackend(CACHING_SHA2_PASSWORD, async (x) => {
      const second = scramble20();
      x.send(2, encodeAuthSwitch(NATIVE_PASSWORD, second));
      expect(nativeProofMatches(await x.read(3), second, PASSWORD)).toBe(true);
      x.send(4, OK);
    });
    const { listener } = await brokerTo(backend.port, { username: 'app', password: PASSWORD });
    await connectAndPing(listener.port);
  });

  it('retries once with a fresh credential when the backend answers 1045', async () => {
    const backend = await scriptedBackend(CACHING_SHA2_PASSWORD, async (x) => {
      if (!sha2ProofMatches(x.response.authResponse, x.scramble, PASSWORD)) {
        x.send(2, encodeErr(1045, '28000', "Access denied for user 'app'@'localhost' (using password: YES)"));
        throw new Error('refused');
      }
      x.send(2, Buffer.from([0x01, 0x03]));
      x.send(3, OK);
    });
    const { listener, credentials } = await brokerTo(
      backend.port,
      { username: 'app', password: 'stale' },
      { username: 'app', password: PASSWORD },
    );
    await connectAndPing(listener.port);
    expect(credentials.calls).toEqual([{ refresh: false }, { refresh: true }]);
    expect(backend.seen).toHaveLength(2);
  });

  it('answers ERR 1251 when the backend switches to a plugin the broker lacks', async () => {
    const backend = await scriptedBackend(CACHING_SHA2_PASSWORD, async (x) => {
      x.send(2, encodeAuthSwitch('dialog', Buffer.from('Password: ')));
      await x.read(3);
    });
    const { listener } = await brokerTo(backend.port, { username: 'app', password: PASSWORD });
    const err = (await connectThrough(listener.port).catch((e: unknown) => e)) as { errno: number; message: string };
    expect(err.errno).toBe(1251);
    expect(err.message).toMatch(/asks for the 'dialog' authentication plugin for user 'app'/);
  });
});
