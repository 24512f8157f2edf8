import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBrowserBridge, MAX_CALL_BYTES, MAX_FRAME_BYTES, type BrowserBridge } from './index';
import { createMemoryHost, type MemoryHost } from './testing/memory-host';
import { BRIDGE_DENIED } from '../api';
import { createAccessControl, TOKEN_LIFETIME_MS } from './access';
import { httpGet, openSocket, RefusedError, tokenOf, type ApiClient } from './testing/clients';

const VAULT_TOKEN = 'hvs.memory-host-test-token';

let staticDir: string;
let host: MemoryHost;
let bridge: BrowserBridge;
let origin: string;
const clients: ApiClient[] = [];

beforeEach(async () => {
  staticDir = await mkdtemp(path.join(tmpdir(), 'sesame-bridge-'));
  await mkdir(path.join(staticDir, 'assets'));
  await writeFile(
    path.join(staticDir, 'index.html'),
    '<!doctype html><title>Sesame</title><script type="module" src="./assets/app.js"></script>',
  );
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

/** A socket signed in with the session secret of an earlier sign-in (a reconnect of the same tab). */
async function connect(session: string): Promise<ApiClient> {
  const client = await openSocket(bridge.port, { origin });
  clients.push(client);
  const answer = await client.hello({ session });
  if ('denied' in answer) throw new Error(`refused: ${answer.denied}`);
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

async function hello(proof: { token?: string; session?: string }) {
  const client = await openSocket(bridge.port, { origin });
  clients.push(client);
  return client.hello(proof);
}

describe('the one-time token', () => {
  it("travels in the link's #fragment (never in a request) and signs in one socket for a session secret", async () => {
    expect(bridge.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]{40,}$/);
    const token = tokenOf(bridge.url);
    const answer = await hello({ token });
    expect(answer).toMatchObject({ session: expect.stringMatching(/^[\w-]{40,}$/) });
    expect((answer as { session: string }).session).not.toBe(token);
  });

  it('is refused the second time it is presented, and when made up', async () => {
    const token = tokenOf(bridge.url);
    await hello({ token });
    expect(await hello({ token })).toMatchObject({ code: BRIDGE_DENIED, denied: 'link-unknown' });
    expect(await hello({ token: 'guessed-token' })).toMatchObject({ code: BRIDGE_DENIED, denied: 'link-unknown' });
  });

  it('expires after a minute, and is spent when presented even then', () => {
    let now = 1_000_000;
    const access = createAccessControl('127.0.0.1', 1234, () => now);
    const late = access.issueToken();
    now += TOKEN_LIFETIME_MS + 1;
    expect(access.redeemToken(late)).toEqual({ refused: 'expired' });
    expect(access.redeemToken(late)).toEqual({ refused: 'unknown' });
    const fresh = access.issueToken();
    now += TOKEN_LIFETIME_MS - 1;
    expect(access.redeemToken(fresh)).toMatchObject({ session: expect.any(String) });
  });

  it('is not read from a socket whose upgrade was refused (rebinding Host)', async () => {
    const token = tokenOf(bridge.url);
    expect(await refusal(openSocket(bridge.port, { origin, host: `rebind.example:${bridge.port}` }))).toBe(403);
    expect(await hello({ token })).toMatchObject({ session: expect.any(String) });
  });
});

describe('without a sign-in', () => {
  it('the page and its assets are served (they hold no secret) but the socket serves nothing', async () => {
    expect((await httpGet(bridge.port, '/')).status).toBe(200);
    expect((await httpGet(bridge.port, '/assets/app.js')).status).toBe(200);
    const client = await openSocket(bridge.port, { origin });
    clients.push(client);
    client.ws.send(JSON.stringify({ type: 'call', id: 1, command: 'connections.list', input: {} }));
    expect(await client.closed).toMatchObject({ code: BRIDGE_DENIED, reason: 'bad-hello' });
    expect(await hello({ session: 'not-a-session' })).toMatchObject({ code: BRIDGE_DENIED, denied: 'session-unknown' });
    expect(await hello({})).toMatchObject({ code: BRIDGE_DENIED, denied: 'session-unknown' });
  });

  it('another site may not frame or fetch the page (Sec-Fetch-Site cross-site or same-site); a top-level navigation is fine', async () => {
    expect((await httpGet(bridge.port, '/', { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect(
      (
        await httpGet(bridge.port, '/', {
          'sec-fetch-site': 'same-site',
          'sec-fetch-mode': 'no-cors',
          'sec-fetch-dest': 'script',
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await httpGet(bridge.port, '/', {
          'sec-fetch-site': 'cross-site',
          'sec-fetch-mode': 'navigate',
          'sec-fetch-dest': 'iframe',
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await httpGet(bridge.port, '/', {
          'sec-fetch-site': 'cross-site',
          'sec-fetch-mode': 'navigate',
          'sec-fetch-dest': 'document',
        })
      ).status,
    ).toBe(200);
    expect((await httpGet(bridge.port, '/', { 'sec-fetch-site': 'none' })).status).toBe(200);
    expect((await httpGet(bridge.port, '/assets/app.js', { 'sec-fetch-site': 'same-origin' })).status).toBe(200);
  });
});

describe('with a session', () => {
  let secret: string;
  beforeEach(async () => {
    secret = ((await hello({ token: tokenOf(bridge.url) })) as { session: string }).session;
  });

  it('refuses a WebSocket from a foreign or missing Origin', async () => {
    expect(await refusal(openSocket(bridge.port, { origin: 'http://attacker.example' }))).toBe(403);
    expect(await refusal(openSocket(bridge.port, { origin: `http://localhost:${bridge.port}` }))).toBe(403);
    expect(await refusal(openSocket(bridge.port, {}))).toBe(403);
  });

  it('refuses a Host header that is not the bound loopback name:port (DNS rebinding)', async () => {
    const host = `attacker.example:${bridge.port}`;
    expect((await httpGet(bridge.port, '/', { host })).status).toBe(403);
    expect(await refusal(openSocket(bridge.port, { origin, host }))).toBe(403);
    expect(await refusal(openSocket(bridge.port, { origin: `http://${host}`, host }))).toBe(403);
  });

  it('serves only GET/HEAD and nothing outside the build', async () => {
    expect((await httpGet(bridge.port, '/', {}, 'POST')).status).toBe(405);
    expect((await httpGet(bridge.port, '/', {}, 'HEAD')).status).toBe(200);
    expect((await httpGet(bridge.port, '/%2e%2e/%2e%2e/etc/passwd')).status).toBe(404);
    expect((await httpGet(bridge.port, '/.env')).status).toBe(404);
    expect((await httpGet(bridge.port, '/api')).status).toBe(426);
  });

  it('runs a call round trip and pushes host events', async () => {
    const client = await connect(secret);
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
    const first = await connect(secret);
    const second = await connect(secret);
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
    const client = await connect(secret);
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
    expect(await client.sendRaw('{not json', -1)).toMatchObject({
      id: -1,
      ok: false,
      error: { code: 'invalid-input' },
    });
    expect(await client.sendRaw(JSON.stringify({ type: 'call', command: 'app.info' }), -1)).toMatchObject({
      ok: false,
      error: { code: 'invalid-input', field: 'id' },
    });
    expect(await client.sendRaw(Buffer.from([1, 2, 3]), -1)).toMatchObject({
      ok: false,
      error: { code: 'invalid-input' },
    });

    const list = await client.call('connections.list', {});
    expect(list).toMatchObject({ ok: true, value: [{ name: 'orders-db', state: 'off' }] });
    expect(client.events.some((e) => e.event === 'connection.changed')).toBe(false);
    for (const answer of [wrongType, unknownCommand, badLogin]) {
      expect(JSON.stringify(answer)).not.toContain(VAULT_TOKEN);
    }
  });

  it('closes a socket that sends a frame over the hard size limit, and keeps serving others', async () => {
    const greedy = await connect(secret);
    const other = await connect(secret);
    greedy.ws.send('x'.repeat(MAX_FRAME_BYTES + 1));
    expect((await greedy.closed).code).toBe(1009);
    expect(await other.call('app.info', {})).toMatchObject({ ok: true, value: { mode: 'browser' } });
  });

  it('closes open sockets when the bridge closes', async () => {
    const client = await connect(secret);
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
