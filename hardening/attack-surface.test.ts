// The local attack surface: listeners are loopback unless configured otherwise; unix sockets
// are 0600 in a 0700 directory; the caching proxy and the browser bridge refuse what a web page
// can send (a foreign Origin: CSRF; a foreign Host: DNS rebinding); the token sink is 0600.
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrowserBridge } from '../app/bridge';
import { httpGet, openSocket, RefusedError } from '../app/bridge/testing/clients';
import type { AppApi } from '../app/api';
import { createVaultSession } from '../broker/vault-session';
import { startListener } from '../broker/listener';
import { createLogger } from '../broker/log';
import { startAgentProxy, type AgentProxy } from '../broker/proxy';
import { raw } from '../broker/proxy/testing';
import { createVaultClient } from '../broker/vault';
import { startVaultDev, type VaultDevServer } from '../sandbox/vault';
import { createPeriodicToken } from './testing/host-world';

const log = createLogger('hardening', () => {}, 'error');
const mode = async (file: string) => (await stat(file)).mode & 0o777;

describe('local attack surface', () => {
  let vault: VaultDevServer;
  let dir: string;

  beforeAll(async () => {
    vault = await startVaultDev();
    dir = await mkdtemp(path.join(tmpdir(), 'sesame-hardening-surface-'));
    await mkdir(path.join(dir, 'static'));
    await writeFile(path.join(dir, 'static', 'index.html'), '<!doctype html><title>Sesame</title>');
  });

  afterAll(async () => {
    await vault?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a unix-socket listener is 0600 inside a private 0700 directory, and removed on close', async () => {
    const socketPath = path.join(dir, 'run', 'sesame', 'orders.sock');
    const listener = await startListener(`unix:${socketPath}`, (socket) => socket.destroy());
    try {
      expect(await mode(socketPath)).toBe(0o600);
      expect(await mode(path.dirname(socketPath))).toBe(0o700);
    } finally {
      await listener.close();
    }
    await expect(stat(socketPath)).rejects.toThrow(/ENOENT/);
  });

  describe('the caching proxy', () => {
    let proxy: AgentProxy;
    let port: string;
    beforeAll(async () => {
      proxy = await startAgentProxy({ vaultAddress: vault.address, listen: '127.0.0.1:0', log });
      port = new URL(proxy.address).port;
    });
    afterAll(async () => proxy?.close());

    it('listens on loopback and serves a plain local client', async () => {
      expect(proxy.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await raw(proxy.address, 'GET', '/v1/sys/health');
      expect(health.status).toBe(200);
    });

    it('refuses a browser-style cross-site request (any Origin header): CSRF', async () => {
      for (const origin of ['https://evil.example', 'null', `http://127.0.0.1:${port}`]) {
        const answer = await raw(proxy.address, 'GET', '/v1/sys/health', { headers: { Origin: origin } });
        expect(answer.status).toBe(403);
        expect(answer.json.errors[0]).toMatch(/web pages/);
      }
      const write = await raw(proxy.address, 'POST', '/v1/secret/data/x', {
        body: { data: { a: 'b' } },
        headers: { Origin: 'https://evil.example' },
      });
      expect(write.status).toBe(403);
    });

    it('refuses a foreign Host header: DNS rebinding', async () => {
      const answer = await raw(proxy.address, 'GET', '/v1/sys/health', {
        headers: { Host: `rebind.evil.example:${port}` },
      });
      expect(answer.status).toBe(403);
      expect(answer.json.errors[0]).toMatch(/loopback/);
    });
  });

  describe('the browser bridge', () => {
    const api: AppApi = { call: async () => ({}) as never, subscribe: () => () => {} };

    it('binds loopback only and refuses any other address', async () => {
      await expect(createBrowserBridge({ api, staticDir: path.join(dir, 'static'), host: '0.0.0.0' })).rejects.toThrow(
        /only binds a loopback address/,
      );
    });

    it('refuses a foreign Origin on the WebSocket and a foreign Host on HTTP and WebSocket', async () => {
      const bridge = await createBrowserBridge({ api, staticDir: path.join(dir, 'static') });
      try {
        const statusOf = (p: Promise<unknown>) =>
          p.then(
            () => 0,
            (e: unknown) => (e instanceof RefusedError ? e.status : -1),
          );
        expect(await statusOf(openSocket(bridge.port, { origin: 'https://evil.example' }))).toBe(403);
        expect(
          await statusOf(
            openSocket(bridge.port, {
              origin: `http://127.0.0.1:${bridge.port}`,
              host: `rebind.evil.example:${bridge.port}`,
            }),
          ),
        ).toBe(403);
        expect((await httpGet(bridge.port, '/', { Host: `rebind.evil.example:${bridge.port}` })).status).toBe(403);
        // Without the link's token (or a session it bought), even our own origin gets nothing.
        const unsigned = await openSocket(bridge.port, { origin: `http://127.0.0.1:${bridge.port}` });
        unsigned.ws.send(JSON.stringify({ type: 'call', id: 1, command: 'connections.list', input: {} }));
        expect(await unsigned.closed).toMatchObject({ code: 4401, reason: 'bad-hello' });
      } finally {
        await bridge.close();
      }
    });
  });

  it('the token sink is 0600 in a 0700 directory, and removed at logout', async () => {
    const sink = path.join(dir, 'sink-home', '.vault-token');
    const session = createVaultSession(createVaultClient({ address: vault.address }), log, { tokenSink: sink });
    try {
      await session.login({ method: 'token', token: await createPeriodicToken(vault.address, vault.rootToken) });
      expect(await mode(sink)).toBe(0o600);
      expect(await mode(path.dirname(sink))).toBe(0o700);
      await session.logout();
      await expect(stat(sink)).rejects.toThrow(/ENOENT/);
    } finally {
      session.close();
    }
  });
});
