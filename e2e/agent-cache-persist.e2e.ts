// Journey (#19.7): the token agent's persistent cache, turned on in Settings, carries a dynamic
// secret across a restart of the app and serves it while Vault is sealed. The app runs with a
// real OS keychain (gnome-keyring on a private D-Bus), where the cache file's key lives. A tool
// reads database credentials through VAULT_AGENT_ADDR as the vault CLI does (X-Vault-Request,
// no token: the agent adds the session's); after the restart and the seal, the same read gets
// the same lease from the restored cache, and the Leases view shows it.
import { access } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from './testing';
import { startSandboxApp, type SandboxApp } from './cli-process';
import { startKeychain, type Keychain } from '../sandbox/servers';

type Info = { vaultAddr: string; agentAddr: string; rootToken: string; configPath: string };
let world: SandboxApp<Info>;
let keychain: Keychain;

test.beforeAll(async ({ appMode }) => {
  keychain = await startKeychain();
  world = await startSandboxApp<Info>({ mode: appMode, env: keychain.env });
});

test.afterAll(async () => {
  await world?.stop();
  await keychain?.stop();
});

/** `vault read database/creds/sandbox-postgres` with VAULT_AGENT_ADDR set: what the CLI sends. */
async function readCreds(): Promise<{ status: number; cache: string | null; leaseId: string; username: string }> {
  const res = await fetch(`${world.info.agentAddr}/v1/database/creds/sandbox-postgres`, {
    headers: { 'X-Vault-Request': 'true' },
  });
  const body = (await res.json()) as { lease_id?: string; data?: { username: string } };
  return {
    status: res.status,
    cache: res.headers.get('x-cache'),
    leaseId: body.lease_id ?? '',
    username: body.data?.username ?? '',
  };
}

test('the persistent agent cache serves a dynamic secret after a restart while Vault is sealed', async ({
  page: tab,
}, testInfo) => {
  let page = await world.openWindow(tab);
  await expect(page.getByTestId('session-state')).toHaveAttribute('data-state', 'authenticated');

  // Settings: the keychain is there, so persistence can be turned on; it applies in place.
  await page.getByRole('tab', { name: 'Settings' }).click();
  const status = page.getByTestId('agent-persist-status');
  await expect(status).toHaveAttribute('data-state', 'off');
  await page.getByRole('switch', { name: 'Keep the agent cache across restarts' }).click();
  await expect(
    page.getByRole('status').filter({ hasText: 'keeps its cached tokens and leases across restarts' }),
  ).toBeVisible();
  await expect(status).toHaveAttribute('data-state', 'active');
  const file = path.join(path.dirname(world.info.configPath), 'agent-cache');
  await expect(status).toContainText(file);
  await expect(page.getByTestId('agent-persist-restored')).toHaveCount(0);
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath('agent-cache-on.png'), fullPage: true });

  // A tool reads database credentials through the agent: a new lease, cached.
  const first = await readCreds();
  expect(first).toMatchObject({ status: 200, cache: 'MISS' });
  expect(first.leaseId).toMatch(/^database\/creds\/sandbox-postgres\//);
  expect(await readCreds()).toMatchObject({ cache: 'HIT', leaseId: first.leaseId });
  // The encrypted file is written (debounced) once the lease is cached.
  await expect
    .poll(() =>
      access(file).then(
        () => true,
        () => false,
      ),
    )
    .toBe(true);

  // Quit and start the app again (the sandbox's Vault keeps running; the token file logs in).
  await world.restartApp();
  page = await world.openWindow(tab);
  await expect(page.getByTestId('session-state')).toHaveAttribute('data-state', 'authenticated');
  await page.getByRole('tab', { name: 'Settings' }).click();
  await expect(page.getByTestId('agent-persist-status')).toHaveAttribute('data-state', 'active');
  await expect(page.getByTestId('agent-persist-restored')).toHaveText(
    /^Restored \d+ entr(y|ies) when the agent started\.$/,
  );

  // Vault goes down for the tools: sealed by an operator, its API answers 503.
  const seal = await fetch(`${world.info.vaultAddr}/v1/sys/seal`, {
    method: 'PUT',
    headers: { 'X-Vault-Token': world.info.rootToken },
  });
  expect(seal.status).toBe(204);
  await expect(page.getByTestId('vault-health')).toHaveAttribute('data-status', 'sealed');
  const direct = await fetch(`${world.info.vaultAddr}/v1/database/creds/sandbox-postgres`, {
    headers: { 'X-Vault-Token': world.info.rootToken },
  });
  expect(direct.status).toBe(503);

  // The same read through the agent: the same lease and user, from the restored cache.
  const after = await readCreds();
  expect(after).toEqual({ status: 200, cache: 'HIT', leaseId: first.leaseId, username: first.username });

  // The Leases view shows the restored entry: the agent's, the same lease id.
  await page.getByRole('tab', { name: /Leases/ }).click();
  const row = page.locator(`[data-testid="lease-row"][data-lease-id="lease:${first.leaseId}"]`);
  await expect(row).toHaveCount(1);
  await expect(row).toHaveAttribute('data-kind', 'lease');
  await expect(row).toContainText('database/creds/sandbox-postgres');
  await expect(row).toContainText('Proxy');
  await page.screenshot({ path: testInfo.outputPath('agent-cache-restored-sealed.png'), fullPage: true });
});
