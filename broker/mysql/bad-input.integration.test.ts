// Bad input on either leg: garbage, truncated, oversized or out-of-sequence packets, TLS or
// pre-4.1 clients, a client or a backend that stalls. A client gets what MariaDB would give it
// (hardening/startup-parity-mariadb.test.ts compares the two byte for byte): ERR 1156, ERR 1043
// "Bad handshake", or a close without a word; the log has the broker's reason. A backend's
// failure is reported to the client. Never a hang, and the listener keeps serving meanwhile.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomPassword, startMariaDb, type MariaDbServer } from '../../sandbox/servers';
import { createMysqlConnector } from './connector';
import {
  Cap,
  createPacketFramer,
  encodePacket,
  encodeSslRequest,
  parseErr,
  parseServerGreeting,
  type Packet,
} from './protocol';
import { asRoot, connectThrough, listenForTests, literalFetcher, type TestListener } from './testing';

const APP_PASSWORD = randomPassword();
const good = { username: 'app', password: APP_PASSWORD };
let server: MariaDbServer;
let listener: TestListener;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  server = await startMariaDb();
  await asRoot(server, [`CREATE USER 'app'@'%' IDENTIFIED BY '${APP_PASSWORD}'`]);
  const connector = createMysqlConnector({
    host: server.host,
    port: server.port,
    sslmode: 'disable',
    timeouts: { handshakeMs: 1500 },
  });
  listener = await listenForTests(connector, literalFetcher(good));
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await listener?.close();
  await server?.stop();
});

/** A raw TCP client that collects every packet it receives until the broker closes. */
async function rawClient(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const framer = createPacketFramer(1 << 24, 'backend');
  const packets: Packet[] = [];
  let wake = () => {};
  socket.on('data', (chunk: Buffer) => {
    framer.push(chunk);
    let p;
    while ((p = framer.next())) packets.push(p);
    wake();
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.once('close', () => wake());
  return {
    socket,
    packets,
    /** Waits until `n` packets arrived (or the socket closed). */
    async received(n: number): Promise<Packet[]> {
      while (packets.length < n && !socket.destroyed) await new Promise<void>((resolve) => (wake = resolve));
      return packets;
    },
    /** Waits for the broker to close, then returns the ERR it sent last. */
    async finalError() {
      await closed;
      const last = packets[packets.length - 1];
      expect(last?.payload[0]).toBe(0xff);
      return { seq: last!.seq, ...parseErr(last!.payload) };
    },
  };
}

async function stillServes(port: number): Promise<void> {
  const c = await connectThrough(port);
  try {
    const [rows] = await c.query('SELECT CURRENT_USER() AS who');
    expect(rows).toEqual([{ who: 'app@%' }]);
  } finally {
    await c.end();
  }
}

/** A HandshakeResponse41 head with `caps`, a user and an empty auth response. */
function handshakeResponse(caps: number, user = 'x'): Buffer {
  const head = encodeSslRequest({ capabilities: caps, mariadbCapabilities: 0, maxPacketSize: 1 << 24, charset: 33 });
  head.writeUInt32LE(caps >>> 0, 0);
  return Buffer.concat([head, Buffer.from(`${user}\0`), Buffer.from([0])]);
}
const CAPS_41 = Cap.PROTOCOL_41 | Cap.SECURE_CONNECTION | Cap.LONG_PASSWORD;

describe('a client sending bad input', () => {
  it("answers an HTTP request as MariaDB does: ERR 1156 on its header's sequence id", async () => {
    const client = await rawClient(listener.port);
    const [greeting] = await client.received(1);
    expect(parseServerGreeting(greeting!.payload).serverVersion).toMatch(/MariaDB/);
    client.socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const err = await client.finalError();
    expect(err).toMatchObject({ code: 1156, sqlstate: '08S01', seq: 1 });
    expect(err.message).toBe("sesame: connection 'orders-mysql': Got packets out of order");
    await listener.settled();
    expect(listener.logs.find((r) => r.message === 'session failed')?.error).toBe(
      "the client sent sequence id 32 while reading the client's handshake response (expected 1)",
    );
    await stillServes(listener.port);
  });

  it('answers a pre-4.1 client, an SSLRequest and a broken response with "Bad handshake"; the log says why', async () => {
    const cases: [Buffer, string | undefined, RegExp][] = [
      [
        encodePacket(1, Buffer.from([0x05, 0x84, 0, 0, 0, 0x78, 0])),
        undefined,
        /the client speaks the pre-4\.1 protocol/,
      ],
      [
        encodePacket(
          1,
          encodeSslRequest({ capabilities: CAPS_41, mariadbCapabilities: 0, maxPacketSize: 1 << 24, charset: 33 }),
        ),
        '08S01',
        /the client asked for TLS, which the broker does not offer on this connection; connect without it \(mariadb --skip-ssl/,
      ],
      [
        encodePacket(1, Buffer.concat([handshakeResponse(CAPS_41).subarray(0, 32), Buffer.from('no-terminator')])),
        '08S01',
        /unterminated string in the handshake response/,
      ],
    ];
    for (const [bytes, sqlstate, reason] of cases) {
      const logged = listener.logs.length;
      const client = await rawClient(listener.port);
      await client.received(1);
      client.socket.write(bytes);
      const err = await client.finalError();
      // The pre-4.1 client gets the pre-4.1 ERR: no SQLSTATE.
      expect(err).toMatchObject({ code: 1043, seq: 2, sqlstate: sqlstate ?? 'HY000' });
      expect(err.message).toBe("sesame: connection 'orders-mysql': Bad handshake");
      await listener.settled();
      expect(listener.logs.slice(logged).find((r) => r.message === 'session failed')?.error).toMatch(reason);
    }
    await stillServes(listener.port);
  });

  it('ends quietly when a client sends half a packet and leaves', async () => {
    const client = await rawClient(listener.port);
    await client.received(1);
    client.socket.end(encodePacket(1, handshakeResponse(CAPS_41)).subarray(0, 20));
    await client.received(2);
    await listener.settled();
    expect(listener.serveErrors).toEqual([]);
    await stillServes(listener.port);
  });

  it('lets a client that stalls mid-handshake go at the deadline without a word, while others are served', async () => {
    const silent = await rawClient(listener.port);
    const midPacket = await rawClient(listener.port);
    await silent.received(1);
    await midPacket.received(1);
    midPacket.socket.write(encodePacket(1, handshakeResponse(CAPS_41)).subarray(0, 10));
    await stillServes(listener.port);
    for (const client of [silent, midPacket]) {
      if (!client.socket.destroyed) await new Promise<void>((resolve) => client.socket.once('close', () => resolve()));
      expect(client.packets).toHaveLength(1); // the greeting only
    }
    await listener.settled();
    expect(
      listener.logs.filter(
        (r) => r.error === "timed out after 1500 ms while waiting for the client's handshake response",
      ),
    ).toHaveLength(2);
  });
});

describe('a backend that misbehaves', () => {
  async function fakeBackend(onSocket: (socket: net.Socket) => void): Promise<number> {
    const sockets = new Set<net.Socket>();
    const fake = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      onSocket(socket);
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => fake.close(() => resolve()));
    });
    return (fake.address() as net.AddressInfo).port;
  }

  async function errorThrough(port: number) {
    const connector = createMysqlConnector({
      host: '127.0.0.1',
      port,
      sslmode: 'disable',
      timeouts: { handshakeMs: 1500 },
    });
    const l = await listenForTests(connector, literalFetcher(good));
    cleanups.push(() => l.close());
    const client = await rawClient(l.port);
    return client.finalError();
  }

  it('times out a backend that accepts but never greets, with ERR 1429 as the first packet', async () => {
    const port = await fakeBackend(() => {});
    const err = await errorThrough(port);
    expect(err).toMatchObject({ code: 1429, sqlstate: 'HY000', seq: 0 });
    expect(err.message).toBe(
      `sesame: connection 'orders-mysql': timed out after 1500 ms while waiting for the greeting of the backend 127.0.0.1:${port}`,
    );
  });

  it('reports a backend that speaks something else', async () => {
    const port = await fakeBackend((socket) => socket.write('SSH-2.0-OpenSSH_9.2\r\n'));
    const err = await errorThrough(port);
    expect(err.code).toBe(1429);
    expect(err.message).toMatch(
      /backend 127\.0\.0\.1:\d+: the backend sent a packet of \d+ bytes during the handshake/,
    );
  });

  it("relays a backend's refusal before its greeting (too many connections)", async () => {
    const port = await fakeBackend((socket) =>
      socket.end(
        encodePacket(0, Buffer.concat([Buffer.from([0xff, 0x10, 0x04]), Buffer.from('Too many connections')])),
      ),
    );
    const err = await errorThrough(port);
    expect(err).toMatchObject({ code: 1040, sqlstate: '08004', seq: 0 });
    expect(err.message).toMatch(/the backend 127\.0\.0\.1:\d+ refused the connection: Too many connections$/);
  });
});
