import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBrowserBridge, MAX_CALL_BYTES, MAX_FRAME_BYTES, type BrowserBridge } from './index';
import { createMemoryHost, type MemoryHost } from './testing/memory-host';
import { exchangeToken, httpGet, openSocket, RefusedError, type ApiClient } from './testing/clients';

const VAULT_TOKEN = 'hvs.memory-host-test-token';

let staticDir: string;
let host: MemoryHost;
let bridge: BrowserBridge;
let origin: string;
const clients: ApiClient[] = [];

beforeEach(async () => {
  staticDir = await mkdtemp(path.join(tmpdir(), 'sesame-bridge-'));
  await mkdir(path.join(staticDir, 'assets'));
  await writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>Sesame</title><script type="module" src="./assets/app.js"></script>');
  await writeFile(path.join(staticDir, 'assets', 'app.js'), 'console.log("sesame");');
  await writeFile(path.join(staticDir, '.env'), 'NOT=served');
  host = createMemoryHost({
    token: VAULT_TOKEN,
    connections: [{ name: 'orders-db', protocol: 'postgres', target: 'db.internal:5432' }],
  });
  bridge = await createBrowserBridge({ api: host, staticDir });
  origin = `http://127.0.0.1:${bridge.port}`;
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await bridge?.close();
  await host?.close();
  await rm(staticDir, { recursive: true, force: true });
});

async function connect(cookie: string): Promise<ApiClient> {
  const client = await openSocket(bridge.port, { cookie, origin });
  clients.push(client);
  return client;
}

async function refusal(promise: Promise<unknown>): Promise<number> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RefusedError);
  return (error as RefusedError).status;
}

describe('the one-time token', () => {
  it('is exchanged for an HttpOnly, SameSite=Strict cookie and a redirect to / without the token', async () => {
    const { pathname, search } = new URL(bridge.url);
    expect(bridge.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{40,}$/);
    const answer = await httpGet(bridge.port, `${pathname}${search}`);
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe('/');
    const cookie = answer.headers['set-cookie']?.[0] ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toContain(search.slice(7));

    const page = await httpGet(bridge.port, '/', { cookie: cookie.split(';')[0] ?? '' });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Sesame</title>');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    const script = await httpGet(bridge.port, '/assets/app.js', { cookie: cookie.split(';')[0] ?? '' });
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
  });

  it('is refused the second time it is used', async () => {
    await exchangeToken(bridge.url);
    const { pathname, search } = new URL(bridge.url);
    const again = await httpGet(bridge.port, `${pathname}${search}`);
    expect(again.status).toBe(403);
    expect(again.headers['set-cookie']).toBeUndefined();
    expect(again.body).toContain('already been used');
  });

  it('is refused when made up', async () => {
    const answer = await httpGet(bridge.port, '/?token=guessed-token');
    expect(answer.status).toBe(403);
    expect(answer.headers['set-cookie']).toBeUndefined();
  });

  it('is not spent by a request with a rebinding Host header', async () => {
    const { pathname, search } = new URL(bridge.url);
    const rebound = await httpGet(bridge.port, `${pathname}${search}`, { host: `attacker.example:${bridge.port}` });
    expect(rebound.status).toBe(403);
    expect(rebound.headers['set-cookie']).toBeUndefined();
    await expect(exchangeToken(bridge.url)).resolves.toMatch(/^sesame_session_\d+=/);
  });
});

describe('requests without a session', () => {
  it('get 401 for pages and sockets, with no cookie or a wrong one', async () => {
    expect((await httpGet(bridge.port, '/')).status).toBe(401);
    expect((await httpGet(bridge.port, '/assets/app.js')).status).toBe(401);
    const wrong = `sesame_session_${bridge.port}=not-a-session`;
    expect((await httpGet(bridge.port, '/', { cookie: wrong })).status).toBe(401);
    expect(await refusal(openSocket(bridge.port, { origin }))).toBe(401);
    expect(await refusal(openSocket(bridge.port, { origin, cookie: wrong }))).toBe(401);
  });
});

describe('with a session', () => {
  let cookie: string;
  beforeEach(async () => {
    cookie = await exchangeToken(bridge.url);
  });

  it('refuses a WebSocket from a foreign or missing Origin', async () => {
    expect(await refusal(openSocket(bridge.port, { cookie, origin: 'http://attacker.example' }))).toBe(403);
    expect(await refusal(openSocket(bridge.port, { cookie, origin: `http://localhost:${bridge.port}` }))).toBe(403);
    expect(await refusal(openSocket(bridge.port, { cookie }))).toBe(403);
  });

  it('refuses a Host header that is not the bound loopback name:port (DNS rebinding)', async () => {
    const host = `attacker.example:${bridge.port}`;
    expect((await httpGet(bridge.port, '/', { cookie, host })).status).toBe(403);
    expect(await refusal(openSocket(bridge.port, { cookie, origin, host }))).toBe(403);
    expect(await refusal(openSocket(bridge.port, { cookie, origin: `http://${host}`, host }))).toBe(403);
  });

  it('serves only GET/HEAD and nothing outside the build', async () => {
    expect((await httpGet(bridge.port, '/', { cookie }, 'POST')).status).toBe(405);
    expect((await httpGet(bridge.port, '/', { cookie }, 'HEAD')).status).toBe(200);
    expect((await httpGet(bridge.port, '/%2e%2e/%2e%2e/etc/passwd', { cookie })).status).toBe(404);
    expect((await httpGet(bridge.port, '/.env', { cookie })).status).toBe(404);
    expect((await httpGet(bridge.port, '/api', { cookie })).status).toBe(426);
  });

  it('runs a call round trip and pushes host events', async () => {
    const client = await connect(cookie);
    const session = await client.call('session.get', {});
    expect(session).toMatchObject({ ok: true, value: { state: 'logged-out' } });

    const login = await client.call('session.login', { method: 'token', token: VAULT_TOKEN });
    expect(login).toMatchObject({ ok: true, value: { state: 'authenticated', method: 'token' } });
    await client.waitForEvent((e) => e.event === 'session.changed');

    const enabled = await client.call('connections.setEnabled', { name: 'orders-db', enabled: true });
    expect(enabled).toMatchObject({ ok: true, value: { name: 'orders-db', state: 'ready' } });
    const ready = await client.waitForEvent(
      (e) => e.event === 'connection.changed' && (e.payload as { state: string }).state === 'ready',
    );
    expect((ready.payload as { listen: string }).listen).toMatch(/^127\.0\.0\.1:\d+$/);
    const starting = client.events.findIndex(
      (e) => e.event === 'connection.changed' && (e.payload as { state: string }).state === 'starting',
    );
    expect(starting).toBeGreaterThanOrEqual(0);
    expect(starting).toBeLessThan(client.events.indexOf(ready));
    await client.waitForEvent((e) => e.event === 'activity');
  });

  it('pushes a host event to every open socket and drops one that breaks the contract', async () => {
    const first = await connect(cookie);
    const second = await connect(cookie);
    host.emit({ event: 'session.changed', payload: { state: 'no-such-state' } as never });
    host.emit({
      event: 'activity',
      payload: { id: 'x1', time: new Date().toISOString(), level: 'warn', kind: 'test', message: 'Vault is sealed.' },
    });
    for (const client of [first, second]) {
      const event = await client.waitForEvent((e) => e.event === 'activity');
      expect(event.payload).toMatchObject({ id: 'x1', message: 'Vault is sealed.' });
      expect(client.events.some((e) => e.event === 'session.changed')).toBe(false);
    }
  });

  it('answers invalid calls with typed errors and changes nothing', async () => {
    const client = await connect(cookie);
    await client.call('session.login', { method: 'token', token: VAULT_TOKEN });

    const wrongType = await client.call('connections.setEnabled', { name: 'orders-db', enabled: 'yes' });
    expect(wrongType).toMatchObject({ ok: false, error: { code: 'invalid-input', field: 'enabled' } });
    const unknownCommand = await client.call('connections.dropAll', {});
    expect(unknownCommand).toMatchObject({ ok: false, error: { code: 'unknown-command' } });
    const unknownName = await client.call('connections.setEnabled', { name: 'no-such-db', enabled: true });
    expect(unknownName).toMatchObject({ ok: false, error: { code: 'not-found', field: 'name' } });
    const longName = await client.call('connections.setEnabled', { name: 'x'.repeat(200), enabled: true });
    expect(longName).toMatchObject({ ok: false, error: { code: 'invalid-input', field: 'name' } });
    const extraField = await client.call('connections.setEnabled', { name: 'orders-db', enabled: true, force: true });
    expect(extraField).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    const badLogin = await client.call('session.login', { method: 'kerberos' });
    expect(badLogin).toMatchObject({ ok: false, error: { code: 'invalid-input', field: 'method' } });

    const oversized = JSON.stringify({
      type: 'call',
      id: 41,
      command: 'connections.setEnabled',
      input: { name: 'orders-db', enabled: true, padding: 'x'.repeat(MAX_CALL_BYTES) },
    });
    expect(await client.sendRaw(oversized, 41)).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    expect(await client.sendRaw('{not json', -1)).toMatchObject({ id: -1, ok: false, error: { code: 'invalid-input' } });
    expect(await client.sendRaw(JSON.stringify({ type: 'call', command: 'app.info' }), -1)).toMatchObject({
      ok: false,
      error: { code: 'invalid-input', field: 'id' },
    });
    expect(await client.sendRaw(Buffer.from([1, 2, 3]), -1)).toMatchObject({ ok: false, error: { code: 'invalid-input' } });

    const list = await client.call('connections.list', {});
    expect(list).toMatchObject({ ok: true, value: [{ name: 'orders-db', state: 'off' }] });
    expect(client.events.some((e) => e.event === 'connection.changed')).toBe(false);
    for (const answer of [wrongType, unknownCommand, badLogin]) {
      expect(JSON.stringify(answer)).not.toContain(VAULT_TOKEN);
    }
  });

  it('closes a socket that sends a frame over the hard size limit, and keeps serving others', async () => {
    const greedy = await connect(cookie);
    const other = await connect(cookie);
    greedy.ws.send('x'.repeat(MAX_FRAME_BYTES + 1));
    expect((await greedy.closed).code).toBe(1009);
    expect(await other.call('app.info', {})).toMatchObject({ ok: true, value: { mode: 'browser' } });
  });

  it('closes open sockets when the bridge closes', async () => {
    const client = await connect(cookie);
    await bridge.close();
    expect((await client.closed).code).toBe(1001);
  });
});

describe('start-up', () => {
  it('refuses a non-loopback address and a missing build, in plain words', async () => {
    await expect(createBrowserBridge({ api: host, staticDir, host: '0.0.0.0' })).rejects.toThrow(/loopback/);
    await expect(createBrowserBridge({ api: host, staticDir: path.join(staticDir, 'nowhere') })).rejects.toThrow(
      /renderer build is missing/,
    );
  });
});
