// Journey (a): a developer logs into Vault with OIDC through the identity provider's own page,
// then uses a connection with the policies that login gave them.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from './testing';
import { startSandboxApp, type SandboxApp } from './cli-process';
import { oidcSandboxConfig } from './sandbox-config';
import { psql } from './psql';

type Info = {
  vaultAddr: string;
  configPath: string;
  connections: Array<{ name: string; listen: string }>;
  oidc: { username: string; password: string; role: string };
};
let world: SandboxApp<Info>;
let info: Info;
let dir: string;

test.beforeAll(async ({ appMode }) => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sesame-e2e-oidc-'));
  // The sandbox's config, but logging in with OIDC instead of the root token file.
  world = await startSandboxApp<Info>({
    mode: appMode,
    configFor: oidcSandboxConfig<Info>(dir),
  });
  info = world.info;
});

test.afterAll(async () => {
  await world?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('OIDC login through the IdP page, then a brokered psql session', async ({ page: tab }, testInfo) => {
  const page = await world.openWindow(tab);
  await expect(page.getByTestId('session-state')).toContainText(/logged out/i);
  await page.getByRole('button', { name: 'Continue with OIDC' }).click();

  // The page shows the sign-in address to open, as it would to a user whose browser did not open.
  const waiting = page.getByTestId('oidc-waiting');
  await expect(waiting).toBeVisible();
  const signInUrl = await waiting.getByRole('textbox', { name: 'Sign-in address' }).inputValue();
  expect(signInUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
  await page.screenshot({ path: testInfo.outputPath('oidc-waiting.png'), fullPage: true });
  // The desktop app hands that address to the system browser (shell.openExternal).
  if (world.desktop)
    await expect.poll(async () => (await world.desktop!.control.state()).openedExternal).toContain(signInUrl);

  const idp = await world.newBrowserPage(tab);
  await idp.goto(signInUrl);
  await idp.getByLabel('Username').fill(info.oidc.username);
  await idp.getByLabel('Password').fill(info.oidc.password);
  await idp.getByRole('button', { name: 'Sign in' }).click();
  await expect(idp.getByText(/close this window|may close/i)).toBeVisible();
  await idp.close();

  await expect(page.getByTestId('session-state')).toContainText(/logged in/i);

  const name = info.connections[0]!.name;
  await page.getByRole('switch', { name, exact: true }).click();
  const row = page.getByTestId(`connection-${name}`);
  await expect(row).toHaveAttribute('data-state', 'ready');
  const [host, port] = (await row.getByTestId('listen-address').innerText()).trim().split(':') as [string, string];
  const result = psql(host, port, 'sandbox', 'select current_user');
  expect(result.stderr).toBe('');
  expect(result.stdout).toBe('sandbox_app');
  await page.screenshot({ path: testInfo.outputPath('oidc-logged-in.png'), fullPage: true });
  expect(world.app.output()).not.toContain(info.oidc.password);
});
