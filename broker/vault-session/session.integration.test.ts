// The session against the Vault dev server: logins, renewal with 3 s TTLs up to the max TTL,
// the 'expiring' warning, holding token() callers until a login, re-authentication after a
// revocation, logout, backoff after a failed renewal, and bad input.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startVaultDev, type VaultDevServer } from '../../sandbox/vault';
import { CredentialError } from '../credentials';
import { createLogger, type LogRecord } from '../log';
import { createVaultClient, type VaultClient } from '../vault';
import { InvalidLoginError } from './login-request';
import { createVaultSession } from './session';
import type { SessionEvent, SessionOptions, VaultSession } from './session-types';
import { createToken, nextEvent, reachState, vaultCall } from './testing';

let vault: VaultDevServer;
let client: VaultClient;
let dir: string;
const records: LogRecord[] = [];
const log = createLogger('test', (r) => records.push(r), 'debug');
const sessions: VaultSession[] = [];

function session(options: SessionOptions = {}): VaultSession {
  const s = createVaultSession(client, log, { minBackoffMs: 200, maxBackoffMs: 1_000, ...options });
  sessions.push(s);
  return s;
}

beforeAll(async () => {
  vault = await startVaultDev();
  client = createVaultClient({ address: vault.address, minBackoffMs: 50, maxBackoffMs: 200 });
  dir = await mkdtemp(path.join(os.tmpdir(), 'sesame-session-'));
  await vaultCall(vault.address, vault.rootToken, 'POST', 'sys/auth/userpass', { type: 'userpass' });
  await vaultCall(vault.address, vault.rootToken, 'POST', 'auth/userpass/users/alice', {
    password: 'correct horse',
    token_ttl: '1h',
  });
});

afterEach(() => {
  for (const s of sessions.splice(0)) s.close();
});

afterAll(async () => {
  await vault?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  // Whatever happened above, no token reached a log line.
  const text = JSON.stringify(records);
  expect(text).not.toMatch(/hvs\.[A-Za-z0-9]{8,}/);
  expect(text).not.toContain('correct horse');
});

describe('login', () => {
  it('with a token: the snapshot shows the accessor and policies, never the token', async () => {
    const { token, accessor } = await createToken(vault.address, vault.rootToken, { policies: ['default'], ttl: '1h' });
    const s = session();
    const snap = await s.login({ method: 'token', token });
    expect(snap).toMatchObject({
      state: 'authenticated',
      method: 'token',
      accessor,
      policies: ['default'],
      renewable: true,
    });
    // Where the token came from, as Vault's lookup-self says (not the lookup path itself).
    expect(snap.loginPath).toBe('auth/token/create');
    expect(JSON.stringify(snap)).not.toContain(token);
    expect(await s.token()).toBe(token);
  });

  it('with userpass; a wrong password fails clearly and keeps nothing', async () => {
    const s = session();
    await expect(s.login({ method: 'userpass', username: 'alice', password: 'wrong' })).rejects.toThrow(
      /auth\/userpass\/login\/alice/,
    );
    expect(s.snapshot().state).toBe('error');
    const snap = await s.login({ method: 'userpass', username: 'alice', password: 'correct horse' });
    expect(snap).toMatchObject({ state: 'authenticated', method: 'userpass', loginPath: 'auth/userpass/login/alice' });
  });

  it('a failed second login keeps the session that is still good', async () => {
    const s = session();
    await s.login({ method: 'userpass', username: 'alice', password: 'correct horse' });
    await expect(s.login({ method: 'userpass', username: 'alice', password: 'nope' })).rejects.toThrow();
    expect(s.snapshot()).toMatchObject({ state: 'authenticated', method: 'userpass' });
    expect(s.snapshot().error).toMatch(/login with userpass failed/);
  });

  it('refuses malformed requests with the field at fault', async () => {
    const s = session();
    await expect(s.login({ method: 'userpass', username: 'alice', password: '' })).rejects.toThrow(InvalidLoginError);
    await expect(s.login({ method: 'userpass', username: 'alice', password: '' })).rejects.toThrow(/password/);
    await expect(s.login({ method: 'kerberos' } as never)).rejects.toThrow(/unknown login method "kerberos"/);
    await expect(s.login({ method: 'token' } as never)).rejects.toThrow(/exactly one of token or tokenFile/);
    await expect(s.login({ method: 'userpass', mount: '../sys', username: 'a', password: 'b' })).rejects.toThrow(
      /mount/,
    );
  });
});

describe('lifecycle with 3 s TTLs', () => {
  it('renews at ~2/3 TTL until the max TTL, warns, expires, then holds token() until a login', async () => {
    const { token } = await createToken(vault.address, vault.rootToken, {
      policies: ['default'],
      ttl: '3s',
      explicit_max_ttl: '8s',
    });
    const s = session({ expiryWarningMs: 1_500, loginWaitMs: 30_000 });
    const events: SessionEvent[] = [];
    s.onEvent((e) => events.push(e));
    const snap = await s.login({ method: 'token', token });
    expect(snap.maxExpiresAt).toBeInstanceOf(Date);

    await reachState(s, 'expired');
    expect(s.snapshot().error).toMatch(/expired/);
    const renewals = events.filter((e) => e.type === 'renewed');
    expect(renewals.length).toBeGreaterThanOrEqual(2);
    // The last renewal is the one Vault cut short at the max TTL; nothing renews past it.
    expect(renewals.at(-1)).toMatchObject({ atMaxTtl: true });
    expect(renewals.at(-1)!.expiresAt.getTime()).toBeLessThanOrEqual(snap.maxExpiresAt!.getTime() + 1_000);
    const order = events.map((e) => e.type);
    expect(order.indexOf('expiring')).toBeGreaterThan(-1);
    expect(order.indexOf('expiring')).toBeLessThan(order.indexOf('expired'));

    // A broker asks for the token now: it is held, the app is asked to prompt for a login.
    const required = nextEvent(s, 'login-required');
    const held = s.token();
    expect((await required).reason).toMatch(/expired/);
    const fresh = await createToken(vault.address, vault.rootToken, { policies: ['default'], ttl: '1h' });
    await s.login({ method: 'token', token: fresh.token });
    expect(await held).toBe(fresh.token);
  });

  it('a held token() call fails with a clear CredentialError when nobody logs in in time', async () => {
    const { token } = await createToken(vault.address, vault.rootToken, {
      policies: ['default'],
      ttl: '2s',
      renewable: false,
    });
    const s = session({ expiryWarningMs: 0 });
    await s.login({ method: 'token', token });
    await reachState(s, 'expired');
    const error = await s.token({ waitMs: 1_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialError);
    expect((error as CredentialError).kind).toBe('no-session');
    expect((error as Error).message).toMatch(/expired, and nobody logged in within 1 s/);
    // Never logged in at all: fail at once instead of holding.
    await expect(session().token()).rejects.toThrow(/not logged in/);
  });

  it('a failed renewal backs off and retries, and the session survives', async () => {
    const { token } = await createToken(vault.address, vault.rootToken, {
      policies: ['default'],
      ttl: '3s',
      explicit_max_ttl: '30s',
    });
    const s = session({ expiryWarningMs: 1_000 });
    await s.login({ method: 'token', token });
    const rule = vault.faults.fail(503, { pathPrefix: 'auth/token/renew-self', count: 1, errors: ['Vault is sealed'] });
    const failed = await nextEvent(s, 'renewal-failed');
    expect(failed.retryInMs).toBeGreaterThan(0);
    await nextEvent(s, 'renewed');
    expect(s.snapshot().state).toBe('authenticated');
    vault.faults.remove(rule.id);
  });

  it('re-authenticates from a token file after the token is revoked', async () => {
    const first = await createToken(vault.address, vault.rootToken, {
      policies: ['default'],
      ttl: '3s',
      explicit_max_ttl: '60s',
    });
    const tokenFile = path.join(dir, 'token-reauth');
    await writeFile(tokenFile, `${first.token}\n`, { mode: 0o600 });
    const s = session();
    await s.login({ method: 'token', tokenFile });
    expect(s.snapshot().reauthenticates).toBe(true);

    const second = await createToken(vault.address, vault.rootToken, { policies: ['default'], ttl: '1h' });
    await writeFile(tokenFile, second.token);
    await vaultCall(vault.address, vault.rootToken, 'POST', 'auth/token/revoke', { token: first.token });
    const again = await nextEvent(s, 'reauthenticated');
    expect(again.method).toBe('token');
    expect(s.snapshot()).toMatchObject({ state: 'authenticated', accessor: second.accessor });
    expect(await s.token()).toBe(second.token);
  });
});

describe('non-interactive logins', () => {
  beforeAll(async () => {
    const root = vault.rootToken;
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const setup: Array<[string, unknown]> = [
      ['sys/auth/approle', { type: 'approle' }],
      ['auth/approle/role/ci', { token_ttl: '2s', token_max_ttl: '3s', token_policies: ['default'] }],
      ['sys/auth/jwt', { type: 'jwt' }],
      ['auth/jwt/config', { jwt_validation_pubkeys: [await exportSPKI(publicKey)] }],
      [
        'auth/jwt/role/builder',
        {
          role_type: 'jwt',
          bound_audiences: ['sesame'],
          user_claim: 'sub',
          token_policies: ['default'],
          token_ttl: '1h',
        },
      ],
    ];
    for (const [p, body] of setup) {
      const r = await vaultCall(vault.address, root, 'POST', p, body);
      if (r.status >= 300) throw new Error(`setup ${p}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    const roleId = (await vaultCall(vault.address, root, 'GET', 'auth/approle/role/ci/role-id')).body.data.role_id;
    const secretId = (await vaultCall(vault.address, root, 'POST', 'auth/approle/role/ci/secret-id', {})).body.data
      .secret_id;
    await writeFile(path.join(dir, 'role-id'), roleId);
    await writeFile(path.join(dir, 'secret-id'), secretId, { mode: 0o600 });
    const jwt = await new SignJWT({ sub: 'builder-1' })
      .setProtectedHeader({ alg: 'RS256' })
      .setAudience('sesame')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(privateKey);
    await writeFile(path.join(dir, 'jwt'), jwt, { mode: 0o600 });
  });

  it('AppRole from files logs in again by itself when the token reaches its max TTL', async () => {
    const s = session();
    const first = await s.login({
      method: 'approle',
      roleIdFile: path.join(dir, 'role-id'),
      secretIdFile: path.join(dir, 'secret-id'),
    });
    expect(first).toMatchObject({
      state: 'authenticated',
      method: 'approle',
      reauthenticates: true,
      loginPath: 'auth/approle/login',
    });
    await nextEvent(s, 'reauthenticated');
    const second = s.snapshot();
    expect(second.state).toBe('authenticated');
    expect(second.accessor).not.toBe(first.accessor);
    expect((await vaultCall(vault.address, await s.token(), 'GET', 'auth/token/lookup-self')).status).toBe(200);
  });

  it('JWT from a file, and start() logs in with the configured auto-auth', async () => {
    const jwtFile = path.join(dir, 'jwt');
    const s = session({ autoAuth: { method: 'jwt', role: 'builder', jwtFile } });
    const snap = await s.start();
    expect(snap).toMatchObject({
      state: 'authenticated',
      method: 'jwt',
      reauthenticates: true,
      displayName: expect.stringContaining('builder-1'),
    });
    expect(() => session({ autoAuth: { method: 'userpass', username: 'alice', password: 'correct horse' } })).toThrow(
      /non-interactive/,
    );
    await expect(
      session().login({ method: 'jwt', role: 'builder', jwtFile: path.join(dir, 'missing') }),
    ).rejects.toThrow(/JWT file .*missing: it does not exist/);
  });
});

describe('logout and the token sink', () => {
  it('writes the sink 0600, and logout revokes the token it created and removes the sink', async () => {
    const sink = path.join(dir, 'sink', 'vault-token');
    const s = session({ tokenSink: sink });
    await s.login({ method: 'userpass', username: 'alice', password: 'correct horse' });
    const token = await s.token({ waitMs: 0 });
    expect(s.snapshot().minted).toBe(true);
    expect(await readFile(sink, 'utf8')).toBe(token);
    expect((await stat(sink)).mode & 0o777).toBe(0o600);
    await s.logout();
    expect(s.snapshot().state).toBe('logged-out');
    expect((await vaultCall(vault.address, token, 'GET', 'auth/token/lookup-self')).status).toBe(403);
    await expect(stat(sink)).rejects.toThrow(/ENOENT/);
  });

  it('never revokes a token it was handed: logout forgets it, and the vault CLI keeps its login', async () => {
    const { token } = await createToken(vault.address, vault.rootToken, { policies: ['default'], ttl: '1h' });
    const s = session();
    await s.login({ method: 'token', token });
    expect(s.snapshot().minted).toBe(false);
    await s.logout({ revoke: true });
    expect(s.snapshot().state).toBe('logged-out');
    expect((await vaultCall(vault.address, token, 'GET', 'auth/token/lookup-self')).status).toBe(200);
  });

  it('stops retrying a token file Vault refuses, naming the file, and logs in when the file changes', async () => {
    const file = path.join(dir, 'refused-token');
    const { token: revoked } = await createToken(vault.address, vault.rootToken, { policies: ['default'], ttl: '1h' });
    await vaultCall(vault.address, vault.rootToken, 'POST', 'auth/token/revoke', { token: revoked });
    await writeFile(file, `${revoked}\n`, { mode: 0o600 });
    const events: string[] = [];
    const s = session({
      autoAuth: { method: 'token', tokenFile: file },
      tokenFileWatchMs: 50,
      minBackoffMs: 20,
      maxBackoffMs: 20,
    });
    s.onEvent((e) => events.push(e.type));
    await s.start();
    expect(s.snapshot()).toMatchObject({
      state: 'error',
      error: expect.stringContaining(`the token in ${file} is invalid or revoked`),
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(events.filter((e) => e === 'reauth-failed')).toHaveLength(1); // no retry storm
    const { token: fresh } = await createToken(vault.address, vault.rootToken, { policies: ['default'], ttl: '1h' });
    await writeFile(file, `${fresh}\n`);
    await expect.poll(() => s.snapshot().state, { timeout: 10_000 }).toBe('authenticated');
    expect(await s.token({ waitMs: 0 })).toBe(fresh);
  });
});
