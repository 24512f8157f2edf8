// The data phase's relay over real loopback sockets: bytes arrive intact and in order both ways
// when the reader is slow (the reused read buffer must never be overwritten under a queued
// write), bytes read before relaying starts are relayed first, and handshake reads stay copies.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectForRelay, readsIntoReusedBuffer, relayChunks } from './relay';

const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();
const dirs: string[] = [];

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function serve(onSocket: (socket: net.Socket) => void): net.Server {
  const server = net.createServer((socket) => {
    sockets.add(socket);
    onSocket(socket);
  });
  servers.push(server);
  return server;
}

async function listen(onSocket: (socket: net.Socket) => void): Promise<number> {
  const server = serve(onSocket);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

/**
 * A front listener that relays each client to `backendPort` the way a connector's data phase
 * does. On a unix socket (as the broker can listen), whose small buffer fills soon.
 */
async function relayTo(backendPort: number, bytes: { toTarget: number; toClient: number }): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'relay-test-'));
  dirs.push(dir);
  const socketPath = path.join(dir, 'front.sock');
  const server = serve((client) => {
    const backend = connectForRelay('127.0.0.1', backendPort);
    sockets.add(backend);
    backend.once('connect', () => {
      relayChunks(client, backend, (n) => (bytes.toTarget += n));
      relayChunks(backend, client, (n) => (bytes.toClient += n));
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return socketPath;
}

/**
 * A front listener (unix socket) whose client is relayed to a backend once the backend, sent
 * `hello`, has answered with its greeting: `greeted` gets the greeting read during this
 * handshake (up to its `;`), and whatever came with it is relayed in the data phase, to a client
 * socket corked for the first 50 ms.
 */
async function relayWhenGreeted(
  backendPort: number,
  hello: string,
  greeted: (greeting: string) => void,
): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'relay-test-'));
  dirs.push(dir);
  const socketPath = path.join(dir, 'front.sock');
  const server = serve((client) => {
    const backend = connectForRelay('127.0.0.1', backendPort);
    sockets.add(backend);
    backend.once('connect', () => backend.write(hello));
    const onData = () => {
      const text = (backend.readableLength > 0 ? backend.read() : null) as Buffer | null;
      if (!text) return;
      const end = text.indexOf(';');
      if (end < 0) return void backend.unshift(text);
      backend.off('readable', onData);
      greeted(text.subarray(0, end + 1).toString());
      backend.unshift(text.subarray(end + 1));
      // Corked for a while: every write queues, keeping a view of the chunk it was given.
      client.cork();
      setTimeout(() => client.uncork(), 50);
      relayChunks(client, backend, () => {});
      relayChunks(backend, client, () => {});
    };
    backend.on('readable', onData);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return socketPath;
}

/** `size` bytes where every 4-byte word is its own offset, so any overwrite or reordering shows. */
function pattern(size: number): Buffer {
  const buffer = Buffer.alloc(size);
  for (let i = 0; i + 4 <= size; i += 4) buffer.writeUInt32LE(i, i);
  return buffer;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Reads `size` bytes (or until the end) from `socket`, pausing 2 ms after each chunk. */
function readSlowly(socket: net.Socket, size = Infinity): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let have = 0;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      have += chunk.length;
      if (have >= size) return resolve(Buffer.concat(chunks));
      socket.pause();
      setTimeout(() => socket.resume(), 2);
    });
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
  });
}

/** Sends `data` in `piece`-byte writes 1 ms apart, then ends. */
function trickle(socket: net.Socket, data: Buffer, piece: number): void {
  let offset = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || offset >= data.length) {
      clearInterval(timer);
      socket.end();
      return;
    }
    socket.write(data.subarray(offset, (offset += piece)));
  }, 1);
}

describe('relayChunks', () => {
  it("relays the backend's bytes intact to a client that stalls, counting every byte", async () => {
    const download = pattern(1024 * 1024);
    // Small chunks to a client that does not read yet: once its (unix socket) buffer is full,
    // the relay's writes queue while staying under the stream's highWaterMark, so it keeps
    // reading. A reused read buffer would then be overwritten under them.
    const backendPort = await listen((socket) => trickle(socket, download, 2 * 1024));
    const bytes = { toTarget: 0, toClient: 0 };
    const client = net.connect(await relayTo(backendPort, bytes));
    sockets.add(client);
    client.pause();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const received = readSlowly(client);
    client.resume();

    const got = await received;
    expect(got.length).toBe(download.length);
    expect(sha256(got)).toBe(sha256(download));
    expect(bytes).toEqual({ toTarget: 0, toClient: download.length });
  });

  it("relays the client's bytes intact to a slow backend, counting every byte", async () => {
    const upload = pattern(8 * 1024 * 1024);
    let uploaded: Promise<Buffer> = Promise.resolve(Buffer.alloc(0));
    const backendPort = await listen((socket) => void (uploaded = readSlowly(socket, upload.length)));
    const bytes = { toTarget: 0, toClient: 0 };
    const client = net.connect(await relayTo(backendPort, bytes));
    sockets.add(client);
    client.write(upload);
    await new Promise<void>((resolve) => {
      const poll = () => (bytes.toTarget === upload.length ? resolve() : setTimeout(poll, 10));
      poll();
    });
    expect(sha256(await uploaded)).toBe(sha256(upload));
    expect(bytes).toEqual({ toTarget: upload.length, toClient: 0 });
  });

  it('relays first what the backend socket read before relaying started, then the rest', async () => {
    const backendPort = await listen((socket) => {
      socket.write('read during the handshake;');
      socket.on('data', () => socket.end('sent in the data phase'));
    });
    const backend = connectForRelay('127.0.0.1', backendPort);
    sockets.add(backend);
    await new Promise((resolve) => backend.once('connect', resolve));
    // Nobody reads yet: the bytes wait in the socket's stream, as a handshake reader would leave them.
    while (backend.readableLength === 0) await new Promise((resolve) => setTimeout(resolve, 5));

    const frontPort = await listen((client) => {
      relayChunks(client, backend, () => {});
      relayChunks(backend, client, () => {});
    });
    const client = net.connect({ host: '127.0.0.1', port: frontPort });
    sockets.add(client);
    const received = readSlowly(client);
    client.write('go');
    expect((await received).toString()).toBe('read during the handshake;sent in the data phase');
  });

  it('reads the accepted client socket into a reused buffer too, relaying first what it read before', async () => {
    let uploaded: Promise<Buffer> = Promise.resolve(Buffer.alloc(0));
    const upload = pattern(4 * 1024 * 1024);
    const handshake = Buffer.from('read during the handshake;');
    const backendPort = await listen(
      (socket) => void (uploaded = readSlowly(socket, handshake.length + upload.length)),
    );
    let adopted: boolean | undefined;
    const frontPort = await listen((client) => {
      // As a handshake reader would leave it: paused, with unread bytes in its stream.
      client.pause();
      const poll = () => {
        if (client.readableLength < handshake.length) return void setTimeout(poll, 5);
        const backend = connectForRelay('127.0.0.1', backendPort);
        sockets.add(backend);
        backend.once('connect', () => {
          relayChunks(client, backend, () => {});
          relayChunks(backend, client, () => {});
          adopted = readsIntoReusedBuffer(client);
          client.write('go');
        });
      };
      poll();
    });
    const client = net.connect({ host: '127.0.0.1', port: frontPort });
    sockets.add(client);
    client.write(handshake);
    await new Promise((resolve) => client.once('data', resolve));
    client.write(upload);
    expect(sha256(await uploaded)).toBe(sha256(Buffer.concat([handshake, upload])));
    // On the Node this runs on; elsewhere the relay falls back to 'data' events (relay.ts).
    expect(adopted).toBe(true);
  });

  it('keeps many connections apart while they read into the shared buffer and then their own', async () => {
    // Handshakes and first data-phase reads of every connection land in one shared buffer; the
    // bytes of each must reach its own client intact while the others read, their writes queue
    // (corked) and their clients stall.
    const count = 8;
    const downloads = Array.from({ length: count }, (_, i) => {
      const data = pattern(256 * 1024 + i * 4096);
      for (let k = 3; k < data.length; k += 4) data[k] = i; // each connection's bytes its own
      return data;
    });
    const backendPort = await listen((socket) => {
      socket.once('data', (which: Buffer) => {
        const i = Number(which.toString());
        // The greeting alone (nothing left unread when the relay starts), then the data: its
        // first chunk lands in the shared buffer while the client's writes queue.
        socket.write(`hello ${i};`);
        setTimeout(() => {
          socket.write(downloads[i]!.subarray(0, 60 * 1024));
          trickle(socket, downloads[i]!.subarray(60 * 1024), 1024 + i * 512);
        }, 20);
      });
    });
    const connection = async (i: number) => {
      let hello = '';
      const frontPath = await relayWhenGreeted(backendPort, String(i), (greeting) => (hello = greeting));
      const client = net.connect(frontPath);
      sockets.add(client);
      client.pause();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const received = readSlowly(client);
      client.resume();
      return { hello, data: await received };
    };
    const results = await Promise.all(downloads.map((_, i) => connection(i)));
    results.forEach(({ hello, data }, i) => {
      expect(hello).toBe(`hello ${i};`);
      expect(data.length).toBe(downloads[i]!.length);
      expect(sha256(data)).toBe(sha256(downloads[i]!));
    });
  });

  it('delivers handshake reads as ordinary data events until the data phase', async () => {
    const backendPort = await listen((socket) => socket.end('greeting'));
    const backend = connectForRelay('127.0.0.1', backendPort);
    sockets.add(backend);
    const chunks: Buffer[] = [];
    backend.on('data', (chunk: Buffer) => chunks.push(chunk));
    await new Promise((resolve) => backend.once('end', resolve));
    // Copies, not views of the reused buffer: they stay valid after later reads.
    expect(Buffer.concat(chunks).toString()).toBe('greeting');
  });
});
