import { mkdtemp, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseListenAddress, startListener } from '.';

describe('listener', () => {
  it('parses TCP, IPv6 and unix addresses and explains bad ones', () => {
    expect(parseListenAddress('127.0.0.1:15432')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 15432 });
    expect(parseListenAddress('[::1]:5432')).toEqual({ kind: 'tcp', host: '::1', port: 5432 });
    expect(parseListenAddress('unix:/tmp/x/.s.PGSQL.5432')).toEqual({ kind: 'unix', path: '/tmp/x/.s.PGSQL.5432' });
    expect(() => parseListenAddress('15432')).toThrow('expected HOST:PORT');
    expect(() => parseListenAddress('unix:relative')).toThrow('must be absolute');
    expect(() => parseListenAddress('127.0.0.1:99999')).toThrow('out of range');
  });

  it('serves on a unix socket with mode 0600 in a 0700 directory, replacing a stale socket', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sesame-listener-'));
    const socketPath = path.join(dir, 'sock', '.s.PGSQL.5432');
    try {
      const first = await startListener(`unix:${socketPath}`, (s) => s.end('one'));
      expect((await stat(socketPath)).mode & 0o777).toBe(0o600);
      expect((await stat(path.dirname(socketPath))).mode & 0o777).toBe(0o700);
      await expect(startListener(`unix:${socketPath}`, () => {})).rejects.toThrow('already in use');
      // Simulate a crash: the socket file stays behind with no server.
      const server = net.createServer();
      await first.close();
      await new Promise<void>((r) => server.listen(socketPath, r));
      await new Promise<void>((r) => {
        server.close(() => r());
      });
      const second = await startListener(`unix:${socketPath}`, (s) => s.end('two'));
      const reply = await new Promise<string>((resolve) => {
        let data = '';
        net
          .connect(socketPath)
          .on('data', (d) => (data += d))
          .on('end', () => resolve(data));
      });
      expect(reply).toBe('two');
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
