// A newcomer on the built-in sandbox (`sesame start` with no config of theirs) logs out and in
// again. Log out forgets the token Sesame was handed (the sandbox's token file: a vault CLI
// login would keep working) without asking; the login form then offers the sandbox's demo
// logins, which `sesame start` printed too; a token Sesame created (userpass) is revoked on
// Log out only after the user confirms.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { parse } from 'yaml';
import { attachDesktop, runCli, windowPage, type CliProcess, type Desktop } from './cli-process';
import { prepareStandin, type StandinDir } from './electron/harness';
import { expect, test } from './testing';

let app: CliProcess | undefined;
let desktop: Desktop | undefined;
let standin: StandinDir | undefined;
let home: string;

test.beforeAll(async ({ appMode }) => {
  home = await mkdtemp(path.join(os.tmpdir(), 'sesame-e2e-newcomer-'));
  if (appMode === 'browser') {
    // No config of the user's: $XDG_CONFIG_HOME/sesame/config.yaml does not exist.
    app = runCli(['start', '--browser'], { XDG_CONFIG_HOME: home });
    await app.waitFor(/http:\/\/127\.0\.0\.1:\d+\/#token=\S+/, 120_000);
  } else {
    standin = await prepareStandin();
    app = runCli(['start'], standin.env);
    desktop = await attachDesktop(app, standin);
  }
});

test.afterAll(async () => {
  await desktop?.chromium.close().catch(() => {});
  desktop?.control.close();
  await app?.stop();
  await standin?.remove();
  if (home) await rm(home, { recursive: true, force: true });
});

async function openWindow(tab: Page): Promise<Page> {
  if (desktop) return windowPage(desktop);
  const before = app!.output().match(/#token=/g)?.length ?? 0;
  app!.input('');
  await expect.poll(() => app!.output().match(/#token=/g)?.length ?? 0).toBeGreaterThan(before);
  await tab.goto(
    app!
      .output()
      .match(/http:\/\/127\.0\.0\.1:\d+\/#token=\S+/g)!
      .at(-1)!,
  );
  return tab;
}

async function vaultAnswer(address: string, token: string, apiPath: string, init: RequestInit = {}) {
  return (await fetch(`${address}/v1/${apiPath}`, { ...init, headers: { 'X-Vault-Token': token } })).status;
}

test('log out and in again on the sandbox: handed tokens are forgotten, created ones revoked after asking', async ({
  page: tab,
}, testInfo) => {
  const output = app!.output();
  expect(output).toContain('a Vault dev server, PostgreSQL, MariaDB, sshd and an OIDC identity provider');
  const userpass = output.match(/userpass\s+(\S+) \/ (\S+)/)!;
  expect(userpass).toBeTruthy();

  const page = await openWindow(tab);
  const session = page.getByTestId('session-state');
  await expect(session).toHaveAttribute('data-state', 'authenticated');
  const vaultAddress = (await page.getByTestId('vault-health').locator('code').first().innerText()).trim();
  await page.getByRole('tab', { name: 'Settings' }).click();
  const configPath = (
    await page
      .getByRole('tabpanel', { name: 'Settings' })
      .locator('code')
      .filter({ hasText: 'sesame.yaml' })
      .first()
      .innerText()
  ).trim();
  const config = parse(await readFile(configPath, 'utf8')) as { vault: { auth: { tokenFile: string } } };
  const handed = (await readFile(config.vault.auth.tokenFile, 'utf8')).trim();

  // The sandbox's token was handed to Sesame (a token file): Log out forgets it, no question.
  await page.getByRole('button', { name: 'Log out', exact: true }).click();
  await expect(session).toHaveAttribute('data-state', 'logged-out');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  expect(await vaultAnswer(vaultAddress, handed, 'auth/token/lookup-self')).toBe(200);

  // The login form offers the sandbox's demo logins (the same `sesame start` printed).
  const demo = page.getByTestId('sandbox-logins');
  await expect(demo).toContainText(`${userpass[1]} / ${userpass[2]}`);
  await page.screenshot({ path: testInfo.outputPath('sandbox-logins.png'), fullPage: true });
  await demo.getByRole('button', { name: 'Fill in' }).click();
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await expect(session).toHaveAttribute('data-state', 'authenticated');
  await page.getByRole('tab', { name: /Leases/ }).click();
  const accessor = (await page.getByTestId('session-panel').locator('code').first().innerText()).trim();

  // A token Sesame created: Log out asks first; Cancel keeps the session.
  await page.getByRole('button', { name: 'Log out', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Log out and revoke the token?' });
  await expect(dialog).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('logout-confirm.png'), fullPage: true });
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(session).toHaveAttribute('data-state', 'authenticated');
  await page.getByRole('button', { name: 'Log out', exact: true }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Log out and revoke' }).click();
  await expect(session).toHaveAttribute('data-state', 'logged-out');
  const lookup = await fetch(`${vaultAddress}/v1/auth/token/lookup-accessor`, {
    method: 'POST',
    headers: { 'X-Vault-Token': handed },
    body: JSON.stringify({ accessor }),
  });
  expect(lookup.status).not.toBe(200); // revoked at Vault
});
