// Real sockets and real client processes: the pid found is the child's, the name its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPeerProcessFinder, describePeer, findPeerProcess } from '.';

const children: ChildProcess[] = [];
const servers: net.Server[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A server on `address` whose next accepted socket is returned. */
async function listen(address: { host: string; port: 0 } | { path: string }) {
  let accept!: (socket: net.Socket) => void;
  const accepted = new Promise<net.Socket>((resolve) => (accept = resolve));
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    sockets.push(socket);
    accept(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) =>
    'path' in address ? server.listen(address.path, resolve) : server.listen(address.port, address.host, resolve),
  );
  return { server, accepted, port: (server.address() as net.AddressInfo).port };
}

/** A node child that connects and stays. */
function nodeClient(target: string): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const n=require('net');const t=${target};const s=n.connect(t);s.on('error',()=>{});setInterval(()=>{},1e5)`,
    ],
    { stdio: 'ignore' },
  );
  children.push(child);
  return child;
}

describe('findPeerProcess', () => {
  it('finds a node client over IPv4 TCP: its pid, name and executable', async () => {
    const { accepted, port } = await listen({ host: '127.0.0.1', port: 0 });
    const child = nodeClient(`{host:'127.0.0.1',port:${port}}`);
    const peer = await findPeerProcess(await accepted);
    expect(peer).toEqual({ pid: child.pid, name: 'node', exe: realpathSync(process.execPath) });
    expect(describePeer(peer)).toBe(`node (pid ${child.pid})`);
  });

  it('finds a client over IPv6 loopback', async () => {
    const { accepted, port } = await listen({ host: '::1', port: 0 });
    const child = nodeClient(`{host:'::1',port:${port}}`);
    expect((await findPeerProcess(await accepted))?.pid).toBe(child.pid);
  });

  it('finds an IPv4 client of a dual-stack listener (::ffff:127.0.0.1)', async () => {
    const { accepted, port } = await listen({ host: '::', port: 0 });
    const child = nodeClient(`{host:'127.0.0.1',port:${port}}`);
    const socket = await accepted;
    expect(socket.remoteAddress).toBe('::ffff:127.0.0.1');
    expect((await findPeerProcess(socket))?.pid).toBe(child.pid);
  });

  it('finds the real psql, named psql', async () => {
    const { accepted, port } = await listen({ host: '127.0.0.1', port: 0 });
    const child = spawn('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'x', '-w', '-c', 'select 1'], {
      stdio: 'ignore',
    });
    children.push(child);
    const peer = await findPeerProcess(await accepted);
    expect(peer).toMatchObject({ pid: child.pid, name: 'psql' });
    expect(peer?.exe).toMatch(/psql$/);
  });

  it('finds a client of a unix socket', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sesame-peer-'));
    try {
      const socketPath = path.join(dir, 'peer.sock');
      const { accepted } = await listen({ path: socketPath });
      const child = nodeClient(JSON.stringify(socketPath));
      const peer = await findPeerProcess(await accepted);
      expect(peer).toMatchObject({ pid: child.pid, name: 'node' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('tells several clients apart when they connect at once', async () => {
    const accepted: net.Socket[] = [];
    const server = net.createServer((socket) => {
      sockets.push(socket);
      accepted.push(socket);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const clients = [1, 2, 3, 4].map(() => nodeClient(`{host:'127.0.0.1',port:${port}}`));
    await expect.poll(() => accepted.length, { timeout: 10_000 }).toBe(4);
    const found = await Promise.all(accepted.map((s) => findPeerProcess(s)));
    expect(found.map((p) => p?.pid).sort()).toEqual(clients.map((c) => c.pid).sort());
  });

  it('is undefined for a client that has exited, off Linux, and when the budget is spent', async () => {
    const { accepted, port } = await listen({ host: '127.0.0.1', port: 0 });
    const child = spawn(process.execPath, ['-e', `require('net').connect(${port},'127.0.0.1',()=>process.exit(0))`]);
    const socket = await accepted;
    await new Promise((r) => child.once('exit', r));
    expect(await findPeerProcess(socket)).toBeUndefined();

    const second = await listen({ host: '127.0.0.1', port: 0 });
    nodeClient(`{host:'127.0.0.1',port:${second.port}}`);
    const live = await second.accepted;
    expect(await createPeerProcessFinder({ platform: 'darwin' })(live)).toBeUndefined();
    expect(await createPeerProcessFinder({ timeoutMs: 0 })(live)).toBeUndefined();
    // A /proc without the tables (a container's masked /proc): unknown, not a throw.
    expect(await createPeerProcessFinder({ procRoot: '/nonexistent' })(live)).toBeUndefined();
  });

  it('says why the executable is missing instead of leaving it out silently', async () => {
    // A kernel thread has no executable: readlink /proc/2/exe is ENOENT.
    const { readProcessDetails } = await import('./process-info');
    const details = await readProcessDetails('/proc', 2, performance.now() + 1000);
    expect(details?.exe).toBeUndefined();
    expect(details?.exeUnreadable).toMatch(/^none|permission denied/);
  });
});
