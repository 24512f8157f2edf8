// The opt-in persistent cache across real restarts: tokens cached by one run are answered from
// the cache by the next (the file encrypted, its key in gnome-keyring), and the file is
// discarded once the session token it belongs to is gone.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeychain, type Keychain } from '../../sandbox/servers';
import { startVaultDev, type VaultDevServer } from '../../sandbox/vault';
import { keytarSkipNote } from '../keychain/testing';
import { raw } from './testing';

const execute = promisify(execFile);
const CHILD = path.join(import.meta.dirname, 'persist.fixture.ts');
let keychain: Keychain;
let vault: VaultDevServer;
let dir: string;

async function run(file: string, which: 'first' | 'again', token?: string) {
  const { stdout } = await execute(
    process.execPath,
    ['--import', 'tsx', CHILD, vault.address, file, which, ...(token ? [token] : [])],
    {
      env: { ...process.env, ...keychain.env },
      timeout: 30_000,
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as {
    restored: number;
    session: string;
    cache: string;
    accessor: string;
    parentId: string | null;
  };
}

const sessionToken = async () =>
  (
    await raw(vault.address, 'POST', '/v1/auth/token/create', {
      token: vault.rootToken,
      body: { policies: ['creator'], ttl: '1h' },
    })
  ).json.auth.client_token as string;

const skipped = await keytarSkipNote();

describe.skipIf(skipped)(`persistent cache${skipped}`, () => {
  beforeAll(async () => {
    [keychain, vault] = await Promise.all([startKeychain(), startVaultDev()]);
    await raw(vault.address, 'PUT', '/v1/sys/policies/acl/creator', {
      token: vault.rootToken,
      body: { policy: 'path "auth/token/create" { capabilities = ["update"] }' },
    });
    dir = await mkdtemp(path.join(os.tmpdir(), 'sesame-persist-'));
  });

  afterAll(async () => {
    await vault?.stop();
    await keychain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers from the cache after a restart, from a file no one can read', async () => {
    const file = path.join(dir, 'restart', 'agent-cache');
    const token = await sessionToken();
    const first = await run(file, 'first', token);
    expect(first).toMatchObject({ restored: 0, session: 'authenticated', cache: 'MISS' });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const bytes = await readFile(file, 'utf8');
    expect(bytes).not.toContain(token);
    expect(bytes).not.toContain(first.accessor);

    const again = await run(file, 'again');
    expect(again).toMatchObject({ session: 'authenticated', cache: 'HIT', accessor: first.accessor });
    expect(again.restored).toBeGreaterThanOrEqual(1);
    expect(again.parentId).toMatch(/^token:/);
  });

  it('discards the file when the session token it belongs to has gone', async () => {
    const file = path.join(dir, 'discard', 'agent-cache');
    const old = await sessionToken();
    const first = await run(file, 'first', old);
    await raw(vault.address, 'POST', '/v1/auth/token/revoke', { token: vault.rootToken, body: { token: old } });
    const fresh = await run(file, 'first', await sessionToken());
    expect(first.restored).toBe(0);
    expect(fresh).toMatchObject({ restored: 0, cache: 'MISS' });
    expect(fresh.accessor).not.toBe(first.accessor);
  });
});
