// Faults of the login itself: an OIDC login whose browser callback never arrives (it times out,
// or the user cancels), on a session that was and on one that was not logged in; and a machine
// with no OS keychain (the token stays in memory, the user is told why, no file holds it).
import { readdir, readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVaultSession, OidcLoginError, type VaultSession } from '../broker/vault-session';
import { createLogger, type LogRecord } from '../broker/log';
import { createVaultClient } from '../broker/vault';
import { createMemorySecretStore } from '../app/platform';
import { startOidcProvider, type OidcProvider } from '../sandbox/oidc';
import { freePort } from '../sandbox/servers';
import { startVaultDev, type VaultDevServer } from '../sandbox/vault';
import { createPeriodicToken, startHostWorld } from './testing/host-world';
import { countResources, expectReleased } from './testing/leaks';

const CLIENT = {
  clientId: 'vault-oidc',
  clientSecret: 'hardening-oidc-client-secret',
  redirectUris: ['http://localhost:1/oidc/callback'],
};

describe('login faults', () => {
  let vault: VaultDevServer;
  let idp: OidcProvider;
  let callbackPort: number;
  const logs: LogRecord[] = [];
  const log = createLogger('hardening', (r) => void logs.push(r), 'debug');

  async function write(p: string, body: unknown): Promise<void> {
    const res = await fetch(`${vault.address}/v1/${p}`, {
      method: 'POST',
      headers: { 'X-Vault-Token': vault.rootToken },
      body: JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`${p} answered ${res.status}: ${await res.text()}`);
  }

  beforeAll(async () => {
    [vault, idp] = await Promise.all([startVaultDev(), startOidcProvider({ clients: [CLIENT] })]);
    callbackPort = await freePort();
    await write('sys/auth/oidc', { type: 'oidc' });
    await write('auth/oidc/config', {
      oidc_discovery_url: idp.issuer,
      oidc_client_id: CLIENT.clientId,
      oidc_client_secret: CLIENT.clientSecret,
      default_role: 'dev',
    });
    await write('auth/oidc/role/dev', {
      user_claim: 'email',
      allowed_redirect_uris: [`http://localhost:${callbackPort}/oidc/callback`],
      token_policies: ['default'],
    });
  });

  afterAll(async () => {
    await Promise.all([vault?.stop(), idp?.stop()]);
  });

  /** The callback port is free again: the one-shot listener closed. */
  const portIsFree = () =>
    new Promise<boolean>((resolve) => {
      const probe = net.createServer();
      probe.once('error', () => resolve(false));
      probe.listen(callbackPort, '127.0.0.1', () => probe.close(() => resolve(true)));
    });

  function session(): VaultSession {
    // The "browser" opens nothing: the person never completes the login.
    return createVaultSession(createVaultClient({ address: vault.address }), log, { openBrowser: async () => {} });
  }

  it('an OIDC callback that never arrives times out: a clear error, the port released, nothing left running', async () => {
    const before = countResources();
    const s = session();
    const failure = await s
      .login({ method: 'oidc', role: 'dev', port: callbackPort, timeoutMs: 1_000 })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OidcLoginError);
    expect((failure as OidcLoginError).kind).toBe('timeout');
    expect(s.snapshot()).toMatchObject({
      state: 'error',
      error: expect.stringMatching(/not completed in the browser within 1 s/),
    });
    expect(await portIsFree()).toBe(true);
    s.close();
    await expectReleased(before, { fds: 2, handles: 2 });
  });

  it('a cancelled OIDC login ends at once with "cancelled" and a logged-in session stays logged in', async () => {
    const before = countResources();
    const s = session();
    const token = await createPeriodicToken(vault.address, vault.rootToken);
    await s.login({ method: 'token', token });
    const waiting = s
      .login({ method: 'oidc', role: 'dev', port: callbackPort, timeoutMs: 600_000 })
      .catch((e: unknown) => e);
    await expect.poll(() => s.snapshot().loginUrl ?? '', { timeout: 15_000 }).toMatch(/^http/);
    s.cancelLogin();
    const failure = await waiting;
    expect((failure as OidcLoginError).kind).toBe('cancelled');
    // The attempt ended; the token login before it is still good, and cancelling is no error.
    expect(s.snapshot()).toMatchObject({ state: 'authenticated', method: 'token' });
    expect(s.snapshot().error).toBeUndefined();
    expect(await s.token({ waitMs: 0 })).toBe(token);
    expect(await portIsFree()).toBe(true);
    s.close();
    await expectReleased(before, { fds: 2, handles: 2 });
    expect(JSON.stringify(logs)).not.toContain(token);
  });

  it('with no OS keychain the session is memory-only, says why, works, and writes the token to no file', async () => {
    const reason = 'no OS keychain: cannot autolaunch D-Bus without X11 $DISPLAY';
    const token = await createPeriodicToken(vault.address, vault.rootToken);
    const world = await startHostWorld({
      vaultAddr: vault.address,
      token,
      connections: [],
      secrets: createMemorySecretStore(reason),
    });
    try {
      expect(await world.host.call('session.get', {})).toMatchObject({ state: 'authenticated', method: 'token' });
      const activity = await world.host.call('activity.list', {});
      expect(activity).toContainEqual(
        expect.objectContaining({
          kind: 'keychain-unavailable',
          level: 'warn',
          message: expect.stringContaining(reason),
        }),
      );
      // Only the token file we wrote as the config's input holds the token (Sesame's own keys
      // are kept in files here, in keys/, but never the token).
      const files = (await readdir(world.dir, { recursive: true, withFileTypes: true })).filter((f) => f.isFile());
      expect(files.length).toBeGreaterThan(1);
      for (const file of files) {
        const text = await readFile(path.join(file.parentPath, file.name), 'utf8');
        if (file.name !== 'vault-token') expect(text, file.name).not.toContain(token);
      }
      expect(JSON.stringify(world.logs)).not.toContain(token);
    } finally {
      await world.close();
    }
  });
});
