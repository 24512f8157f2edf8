// First run and settings: with no config file, Sesame asks where Vault is and checks each
// address live (not a URL, nothing listening, a real Vault), writes the file, and the login form
// follows. Then the Settings tab turns the token agent on at a chosen port — refusals come back
// into the field — and a tool reaches Vault through it without a token of its own.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from './testing';
import { startSandboxApp, type SandboxApp } from './cli-process';
import { freePort } from '../sandbox/servers/ports';

type Info = { vaultAddr: string; rootToken: string; configPath: string; postgres: { port: number } };
let world: SandboxApp<Info>;
let dir: string;
let configPath: string;

test.beforeAll(async ({ appMode }) => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sesame-e2e-first-run-'));
  configPath = path.join(dir, 'sesame', 'config.yaml');
  world = await startSandboxApp<Info>({ mode: appMode, configFor: async () => configPath });
});

test.afterAll(async () => {
  await world?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('first run: the Vault address is checked live and saved; the agent listener is set in Settings', async ({
  page: tab,
}, testInfo) => {
  const page = await world.openWindow(tab);
  const setup = page.getByTestId('setup');
  await expect(setup.getByRole('heading', { name: 'Welcome to Sesame' })).toBeVisible();
  await expect(page.getByRole('tablist')).toHaveCount(0);
  const address = setup.getByLabel('Vault address');
  const check = setup.getByTestId('vault-check');
  const save = setup.getByRole('button', { name: 'Continue' });

  await address.fill('vault.example.com');
  await expect(setup.getByText('expected an http(s) URL')).toBeVisible();
  await expect(address).toHaveAttribute('aria-invalid', 'true');

  await address.fill(`http://127.0.0.1:${await freePort()}`);
  await expect(check).toHaveAttribute('data-status', 'unreachable');
  await expect(check).toContainText('nothing is listening there');
  await expect(save).toBeDisabled();
  await expect(stat(configPath)).rejects.toThrow(/ENOENT/);

  await address.fill(world.info.vaultAddr);
  await expect(check).toHaveAttribute('data-status', 'ok');
  await expect(check).toContainText('up and unsealed');
  await page.screenshot({ path: testInfo.outputPath('first-run-checked.png'), fullPage: true });
  await save.click();

  // The host started from the new file: the login form, for the saved Vault.
  const login = page.getByRole('region', { name: 'Log in to Vault' });
  await expect(login).toContainText(world.info.vaultAddr);
  expect(await readFile(configPath, 'utf8')).toContain(`address: ${world.info.vaultAddr}`);
  expect((await stat(configPath)).mode & 0o777).toBe(0o600);
  await login.getByRole('radio', { name: 'Token' }).check();
  await login.getByLabel('Vault token').fill(world.info.rootToken);
  await login.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('session-state')).toHaveAttribute('data-state', 'authenticated');
  await expect(page.getByTestId('vault-health')).toHaveAttribute('data-status', 'ok');

  await page.getByRole('tab', { name: 'Settings' }).click();
  const listener = page.getByLabel('Agent listener');
  const saveAgent = page.getByRole('button', { name: 'Save agent settings' });
  await listener.fill(`0.0.0.0:${await freePort()}`);
  await saveAgent.click();
  await expect(page.getByText('Use a loopback address')).toBeVisible();
  // PostgreSQL holds this port: the host finds out and says so next to the field.
  await listener.fill(`127.0.0.1:${world.info.postgres.port}`);
  await saveAgent.click();
  await expect(page.getByText(/is already in use by another program/)).toBeVisible();
  await expect(listener).toHaveAttribute('aria-invalid', 'true');

  const port = await freePort();
  await listener.fill(`127.0.0.1:${port}`);
  await saveAgent.click();
  // Saved once the host has restarted and answered (the hint under the field shows the
  // address as it is typed, so it proves nothing).
  await expect(
    page.getByRole('status').filter({ hasText: `The token agent now listens on 127.0.0.1:${port}.` }),
  ).toBeVisible();
  await expect(page.locator('p.with-copy').getByText(`VAULT_AGENT_ADDR=http://127.0.0.1:${port}`)).toBeVisible();
  const lookup = await fetch(`http://127.0.0.1:${port}/v1/auth/token/lookup-self`, {
    headers: { 'X-Vault-Request': 'true' },
  });
  expect(lookup.status).toBe(200);
  expect(await readFile(configPath, 'utf8')).toContain(`listen: 127.0.0.1:${port}`);
  // The restart kept the login (the token is the session's, restored for the same Vault).
  await expect(page.getByTestId('session-state')).toHaveAttribute('data-state', 'authenticated');
  await page.screenshot({ path: testInfo.outputPath('settings-agent-on.png'), fullPage: true });
});
