// The caching proxy against the Vault dev server, through raw HTTP and node-vault: auto-auth,
// hits and misses with their headers, token caching by Vault Agent's rules, renewal and
// eviction at max TTL, revocation cascades, every cache-clear type, Vault sealed or
// unreachable, and bad input.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import nodeVault from 'node-vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../sandbox/servers';
import { startVaultDev, type VaultDevServer } from '../../sandbox/vault';
import { createVaultSession, type VaultSession } from '../vault-session';
import { createLogger, type LogRecord } from '../log';
import { createVaultClient } from '../vault';
import { startAgentProxy, type AgentProxy } from './index';
import { awaitLease, raw } from './testing';

let vault: VaultDevServer;
let session: VaultSession;
let proxy: AgentProxy;
let sessionToken: string;
let dir: string;
const records: LogRecord[] = [];
const log = createLogger('test', (r) => records.push(r), 'debug');
const POLICY = `path "auth/token/create" { capabilities = ["update"] }
path "secret/*" { capabilities = ["create", "read", "update", "delete", "list"] }`;

const create = (body: Record<string, unknown>, token?: string) =>
  raw(proxy.address, 'POST', '/v1/auth/token/create', { body, ...(token ? { token } : {}) });

beforeAll(async () => {
  vault = await startVaultDev();
  dir = await mkdtemp(path.join(os.tmpdir(), 'sesame-proxy-'));
  const root = { token: vault.rootToken };
  expect(
    (await raw(vault.address, 'PUT', '/v1/sys/policies/acl/dev', { ...root, body: { policy: POLICY } })).status,
  ).toBe(204);
  const created = await raw(vault.address, 'POST', '/v1/auth/token/create', {
    ...root,
    body: { policies: ['dev'], ttl: '1h' },
  });
  sessionToken = created.json.auth.client_token;
  session = createVaultSession(createVaultClient({ address: vault.address }), log);
  await session.login({ method: 'token', token: sessionToken });
  proxy = await startAgentProxy({ vaultAddress: vault.address, listen: '127.0.0.1:0', session, log });
});

afterAll(async () => {
  await proxy?.close();
  session?.close();
  await vault?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  const text = JSON.stringify(records);
  expect(text).not.toMatch(/hvs\.[A-Za-z0-9]{8,}/);
});

describe('forwarding and caching tokens', () => {
  it('adds the session token, answers a miss then a hit with X-Cache and Age', async () => {
    const body = { policies: ['dev'], ttl: '1h', meta: { test: 'hit-miss' } };
    const first = await create(body);
    expect(first.status).toBe(200);
    expect(first.headers['x-cache']).toBe('MISS');
    const second = await create(body);
    expect(second.headers['x-cache']).toBe('HIT');
    expect(Number(second.headers.age)).toBeGreaterThanOrEqual(0);
    expect(second.json.auth.client_token).toBe(first.json.auth.client_token);
    const entry = proxy.registry.get(`token:${first.json.auth.accessor}`);
    expect(entry).toMatchObject({
      kind: 'child-token',
      path: 'auth/token/create',
      origin: { type: 'proxy' },
      hits: 1,
      state: 'active',
    });
    expect(entry?.parentId).toBe(`token:${session.snapshot().accessor}`);
    // A different body is a different request.
    expect((await create({ ...body, meta: { test: 'other' } })).headers['x-cache']).toBe('MISS');
  });

  it('passes through what it must not cache: non-renewable tokens, errors, tokens of unmanaged parents', async () => {
    const fixed = { policies: ['dev'], ttl: '1h', renewable: false };
    await create(fixed);
    expect((await create(fixed)).headers['x-cache']).toBe('MISS');
    const denied = await raw(proxy.address, 'GET', '/v1/sys/policies/acl/dev');
    expect(denied.status).toBe(403);
    expect(denied.json.errors[0]).toMatch(/permission denied/);
    // The root token is not managed by the agent: what it creates is not cached.
    const body = { policies: ['dev'], ttl: '1h' };
    await create(body, vault.rootToken);
    expect((await create(body, vault.rootToken)).headers['x-cache']).toBe('MISS');
  });

  it('node-vault works through the proxy and its reads are answered from the cache', async () => {
    // node-vault does not send X-Vault-Request by itself: it is told to, as the proxy's refusal says.
    const bare = nodeVault({ endpoint: proxy.address, token: sessionToken });
    await expect(bare.read('secret/data/node-vault')).rejects.toThrow(/X-Vault-Request: true/);
    const client = nodeVault({
      endpoint: proxy.address,
      token: sessionToken,
      requestOptions: { headers: { 'X-Vault-Request': 'true' } },
    });
    await client.write('secret/data/node-vault', { data: { greeting: 'hello' } });
    const first = await client.read('secret/data/node-vault');
    const second = await client.read('secret/data/node-vault');
    expect(second.data.data).toEqual({ greeting: 'hello' });
    expect(second.data.metadata.version).toBe(first.data.metadata.version);
    expect(proxy.registry.get('kv:root/|secret/data/node-vault')).toMatchObject({
      kind: 'kv-secret',
      hits: 1,
      version: 1,
    });
  });

  it('renews a cached token and evicts it at its max TTL', async () => {
    const body = { policies: ['dev'], ttl: '2s', explicit_max_ttl: '5s' };
    const first = await create(body);
    const id = `token:${first.json.auth.accessor}`;
    const ended = await awaitLease(proxy.registry, id, (r) => r.state === 'expired');
    expect(ended.renewals).toBeGreaterThanOrEqual(1);
    expect(ended.endReason).toMatch(/max TTL/);
    const again = await create(body);
    expect(again.headers['x-cache']).toBe('MISS');
    expect(again.json.auth.client_token).not.toBe(first.json.auth.client_token);
  });
});

describe('revocation through the proxy', () => {
  it('revoke-self evicts the token and, by cascade, the tokens it created', async () => {
    const child = (await create({ policies: ['dev'], ttl: '1h', meta: { case: 'cascade' } })).json.auth;
    const grandchild = (await create({ policies: ['dev'], ttl: '1h' }, child.client_token)).json.auth;
    expect(proxy.registry.get(`token:${grandchild.accessor}`)).toMatchObject({
      parentId: `token:${child.accessor}`,
      state: 'active',
    });

    const revoked = await raw(proxy.address, 'POST', '/v1/auth/token/revoke-self', { token: child.client_token });
    expect(revoked.status).toBe(204);
    expect(proxy.registry.get(`token:${child.accessor}`)).toMatchObject({ state: 'revoked' });
    expect(proxy.registry.get(`token:${grandchild.accessor}`)).toMatchObject({ state: 'revoked' });
    expect(
      (await raw(vault.address, 'GET', '/v1/auth/token/lookup-self', { token: grandchild.client_token })).status,
    ).toBe(403);
    expect((await create({ policies: ['dev'], ttl: '1h', meta: { case: 'cascade' } })).headers['x-cache']).toBe('MISS');
  });

  it('revoke-accessor and revoke {token} evict what they revoke', async () => {
    const a = (await create({ policies: ['dev'], ttl: '1h', meta: { case: 'accessor' } })).json.auth;
    const b = (await create({ policies: ['dev'], ttl: '1h', meta: { case: 'token' } })).json.auth;
    const root = { token: vault.rootToken };
    expect(
      (await raw(proxy.address, 'POST', '/v1/auth/token/revoke-accessor', { ...root, body: { accessor: a.accessor } }))
        .status,
    ).toBe(204);
    expect(
      (await raw(proxy.address, 'POST', '/v1/auth/token/revoke', { ...root, body: { token: b.client_token } })).status,
    ).toBe(204);
    expect(proxy.registry.get(`token:${a.accessor}`)?.state).toBe('revoked');
    expect(proxy.registry.get(`token:${b.accessor}`)?.state).toBe('revoked');
  });
});

describe('cache-clear', () => {
  const clear = (body: unknown) => raw(proxy.address, 'POST', '/agent/v1/cache-clear', { body });

  it('clears by token (with what it created), token_accessor, request_path, lease and all', async () => {
    const parent = (await create({ policies: ['dev'], ttl: '1h', meta: { case: 'clear-token' } })).json.auth;
    const child = (await create({ policies: ['dev'], ttl: '1h' }, parent.client_token)).json.auth;
    expect((await clear({ type: 'token', value: parent.client_token })).status).toBe(200);
    expect(proxy.registry.get(`token:${parent.accessor}`)?.state).toBe('evicted');
    expect(proxy.registry.get(`token:${child.accessor}`)?.state).toBe('evicted');
    // Evicted is not revoked: the token still works at Vault.
    expect((await raw(vault.address, 'GET', '/v1/auth/token/lookup-self', { token: parent.client_token })).status).toBe(
      200,
    );

    const byAccessor = (await create({ policies: ['dev'], ttl: '1h', meta: { case: 'clear-accessor' } })).json.auth;
    expect((await clear({ type: 'token_accessor', value: byAccessor.accessor })).status).toBe(200);
    expect(proxy.registry.get(`token:${byAccessor.accessor}`)?.state).toBe('evicted');

    const byPath = (await create({ policies: ['dev'], ttl: '1h', meta: { case: 'clear-path' } })).json.auth;
    expect((await clear({ type: 'request_path', value: '/v1/auth/token/create' })).status).toBe(200);
    expect(proxy.registry.get(`token:${byPath.accessor}`)?.state).toBe('evicted');

    expect((await clear({ type: 'lease', value: 'database/creds/none/0000' })).status).toBe(200);

    const kept = (await create({ policies: ['dev'], ttl: '1h', meta: { case: 'clear-all' } })).json.auth;
    expect(proxy.size).toBeGreaterThan(0);
    expect((await clear({ type: 'all' })).status).toBe(200);
    expect(proxy.size).toBe(0);
    expect(proxy.registry.get(`token:${kept.accessor}`)?.state).toBe('evicted');
    // The session itself stays logged in.
    expect(session.snapshot().state).toBe('authenticated');
  });

  it('refuses unknown types and missing fields with Vault-style 400s', async () => {
    expect(await clear({ type: 'everything' })).toMatchObject({
      status: 400,
      json: { errors: [expect.stringMatching(/invalid type provided/)] },
    });
    expect(await clear({ value: 'x' })).toMatchObject({
      status: 400,
      json: { errors: ['failed to parse clear input: no type provided'] },
    });
    expect(await clear({ type: 'token' })).toMatchObject({
      status: 400,
      json: { errors: ['failed to clear cache: token not provided'] },
    });
    expect((await raw(proxy.address, 'POST', '/agent/v1/cache-clear', { rawBody: '{not json' })).status).toBe(400);
    expect((await raw(proxy.address, 'GET', '/agent/v1/cache-clear')).status).toBe(405);
  });
});

describe('Vault sealed or unreachable', () => {
  it('passes Vault’s 503 through while sealed, keeps serving hits and keeps the registry', async () => {
    const body = { policies: ['dev'], ttl: '1h', meta: { case: 'sealed' } };
    const first = (await create(body)).json.auth;
    vault.seal();
    try {
      const sealed = await raw(proxy.address, 'GET', '/v1/secret/data/anything');
      expect(sealed.status).toBe(503);
      expect(sealed.json).toEqual({ errors: ['Vault is sealed'] });
      const hit = await create(body);
      expect(hit.headers['x-cache']).toBe('HIT');
      expect(proxy.registry.get(`token:${first.accessor}`)?.state).toBe('active');
    } finally {
      vault.unseal();
    }
  });

  it('answers 502 in Vault’s error shape when Vault cannot be reached', async () => {
    const port = await freePort();
    const lonely = await startAgentProxy({ vaultAddress: `http://127.0.0.1:${port}`, listen: '127.0.0.1:0', log });
    try {
      const answer = await raw(lonely.address, 'GET', '/v1/sys/health');
      expect(answer.status).toBe(502);
      expect(answer.json.errors[0]).toMatch(
        /error forwarding the request to Vault at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/,
      );
    } finally {
      await lonely.close();
    }
  });
});

describe('bad input and listeners', () => {
  it('answers malformed requests with Vault-style errors', async () => {
    const badJson = await raw(proxy.address, 'POST', '/v1/secret/data/x', { rawBody: '{"data": ' });
    expect(badJson).toMatchObject({ status: 400, json: { errors: ['error parsing JSON'] } });
    const notObject = await raw(proxy.address, 'POST', '/v1/secret/data/x', { rawBody: '[1,2]' });
    expect(notObject.status).toBe(400);
    const big = await raw(proxy.address, 'POST', '/v1/secret/data/x', {
      rawBody: `{"data":{"v":"${'x'.repeat(33 * 1024 * 1024)}"}}`,
    });
    expect(big.status).toBe(413);
    expect(big.json.errors[0]).toMatch(/larger than/);
    expect((await raw(proxy.address, 'GET', '/v1/secret/data/%E0%A4%A')).status).toBe(400);
    expect((await raw(proxy.address, 'GET', '/v1/secret/../sys/health')).status).toBe(400);
    expect((await raw(proxy.address, 'LIST', '/v1/secret/metadata')).status).toBe(400);
    expect((await raw(proxy.address, 'GET', '/ui/')).status).toBe(404);
    const fromPage = await raw(proxy.address, 'POST', '/v1/secret/data/x', {
      body: { data: {} },
      headers: { Origin: 'https://evil.example' },
    });
    expect(fromPage.status).toBe(403);
    const rebinding = await raw(proxy.address, 'GET', '/v1/sys/health', { headers: { Host: 'evil.example:8100' } });
    expect(rebinding.status).toBe(403);
  });

  it('listens on a unix socket', async () => {
    const socket = path.join(dir, 'agent.sock');
    const onSocket = await startAgentProxy({
      vaultAddress: vault.address,
      listen: `unix:${socket}`,
      session,
      registry: proxy.registry,
      log,
    });
    try {
      expect(onSocket.address).toBe(`unix:${socket}`);
      const health = await raw(onSocket.address, 'GET', '/v1/sys/health');
      expect(health.status).toBe(200);
      expect(health.json.sealed).toBe(false);
    } finally {
      await onSocket.close();
    }
  });
});
