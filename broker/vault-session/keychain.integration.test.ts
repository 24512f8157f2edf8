// The session token in the real OS keychain: gnome-keyring on a private D-Bus session. Each
// step runs in its own process (keytar needs the bus in its environment), so restoring after
// a restart is a real restart.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeychain, type Keychain } from '../../sandbox/servers';
import { startVaultDev, type VaultDevServer } from '../../sandbox/vault';
import { keytarSkipNote } from '../keychain/testing';
import { createToken, vaultCall } from './testing';

const run = promisify(execFile);
const CHILD = path.join(import.meta.dirname, 'keychain.fixture.ts');
let keychain: Keychain;
let vault: VaultDevServer;

async function step(name: 'login' | 'restore' | 'logout', token?: string) {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', CHILD, name, vault.address, ...(token ? [token] : [])],
    {
      env: { ...process.env, ...keychain.env },
      timeout: 30_000,
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as {
    state: string;
    accessor: string | null;
    method: string | null;
    persistence: string | null;
    events: string[];
    stored: { token: string; accessor: string; expiresAt: string | null; method: string } | null;
  };
}
const hash = (text: string) => createHash('sha256').update(text).digest('hex');

const skipped = await keytarSkipNote();

describe.skipIf(skipped)(`keychain round trip on gnome-keyring${skipped}`, () => {
  beforeAll(async () => {
    [keychain, vault] = await Promise.all([startKeychain(), startVaultDev()]);
  });

  afterAll(async () => {
    await vault?.stop();
    await keychain?.stop();
  });

  it('stores the token at login, restores it after a restart, and logout deletes it (a handed token stays valid)', async () => {
    const { token, accessor } = await createToken(vault.address, vault.rootToken, { policies: ['default'], ttl: '1h' });
    const login = await step('login', token);
    expect(login).toMatchObject({ state: 'authenticated', accessor, persistence: 'keychain' });
    expect(login.stored).toMatchObject({ token: hash(token), accessor, method: 'token' });
    expect(Date.parse(login.stored!.expiresAt!)).toBeGreaterThan(Date.now());

    const restored = await step('restore');
    expect(restored).toMatchObject({ state: 'authenticated', accessor, method: 'token' });
    expect(restored.events).toContain('restored');

    const out = await step('logout');
    expect(out.state).toBe('logged-out');
    expect(out.stored).toBeNull();
    // The token was handed to Sesame (method token): forgotten, never revoked.
    expect((await vaultCall(vault.address, token, 'GET', 'auth/token/lookup-self')).status).toBe(200);
  });

  it('forgets a stored token that Vault no longer accepts', async () => {
    const { token } = await createToken(vault.address, vault.rootToken, { policies: ['default'], ttl: '1h' });
    await step('login', token);
    await vaultCall(vault.address, vault.rootToken, 'POST', 'auth/token/revoke', { token });
    const restored = await step('restore');
    expect(restored.state).toBe('logged-out');
    expect(restored.stored).toBeNull();
  });
});
