// Journey (issue #19 item 1): the developer's Vault login is revoked while they work. A psql
// started then is not refused: it waits, the window (and in the desktop app the tray and a
// notification) names it, the developer logs in again through the identity provider's page,
// and the waiting psql prints its result. Browser and Electron-shaped modes.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { startSandboxApp, type SandboxApp } from './cli-process';
import { oidcSandboxConfig } from './sandbox-config';
import { startClient } from './client-process';
import { shootSchemes } from './screens';
import { expect, test } from './testing';

type Info = {
  vaultAddr: string;
  rootToken: string;
  configPath: string;
  oidc: { username: string; password: string; role: string };
};
let world: SandboxApp<Info>;
let dir: string;

test.beforeAll(async ({ appMode }) => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sesame-e2e-held-'));
  world = await startSandboxApp<Info>({
    mode: appMode,
    configFor: oidcSandboxConfig<Info>(dir),
  });
});

test.afterAll(async () => {
  await world?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** OIDC through the identity provider's page, as the user does it in their browser. */
async function logInWithOidc(page: Page, tab: Page): Promise<void> {
  await page.getByRole('button', { name: 'Continue with OIDC' }).click();
  const signInUrl = await page.getByRole('textbox', { name: 'Sign-in address' }).inputValue();
  const idp = await world.newBrowserPage(tab);
  await idp.goto(signInUrl);
  // The second time the identity provider remembers the user (its own session cookie), as a
  // real one does: no form, straight back to Sesame.
  const form = idp.getByLabel('Username');
  const signedIn = idp.getByText(/close this window|may close/i);
  await expect(form.or(signedIn)).toBeVisible();
  if (await form.isVisible()) {
    await form.fill(world.info.oidc.username);
    await idp.getByLabel('Password').fill(world.info.oidc.password);
    await idp.getByRole('button', { name: 'Sign in' }).click();
  }
  await expect(signedIn).toBeVisible();
  await idp.close();
  await expect(page.getByTestId('session-state')).toContainText(/logged in/i);
}

/** Revokes, as a Vault admin would, every token an OIDC login made. */
async function revokeOidcTokens(): Promise<number> {
  const vault = (method: string, p: string, body?: unknown) =>
    fetch(`${world.info.vaultAddr}/v1/${p}`, {
      method,
      headers: { 'X-Vault-Token': world.info.rootToken },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  const listed = (await (await vault('LIST', 'auth/token/accessors')).json()) as { data: { keys: string[] } };
  let revoked = 0;
  for (const accessor of listed.data.keys) {
    const looked = (await (await vault('POST', 'auth/token/lookup-accessor', { accessor })).json()) as {
      data: { display_name: string };
    };
    if (!looked.data.display_name.startsWith('oidc')) continue;
    expect((await vault('POST', 'auth/token/revoke-accessor', { accessor })).status).toBe(204);
    revoked++;
  }
  return revoked;
}

/** psql as a child process that runs while the test goes on, with no password in reach. */
function startPsql(listen: string, sql: string) {
  const [host, port] = listen.split(':') as [string, string];
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG')));
  return startClient('psql', ['-h', host, '-p', port, '-d', 'sandbox', '-U', 'developer', '-w', '-At', '-c', sql], {
    ...env,
    PGPASSFILE: '/nonexistent/pgpass',
  });
}

test('a revoked login holds psql until the developer logs in again, then psql prints its result', async ({
  page: tab,
}, testInfo) => {
  const page = await world.openWindow(tab);
  await logInWithOidc(page, tab);
  const name = 'sandbox-postgres-dynamic';
  await page.getByRole('switch', { name, exact: true }).click();
  const row = page.getByTestId(`connection-${name}`);
  await expect(row).toHaveAttribute('data-state', 'ready');
  const listen = (await row.getByTestId('listen-address').innerText()).trim();

  expect(await revokeOidcTokens()).toBeGreaterThan(0);
  const psql = startPsql(listen, 'select current_user');
  try {
    // Not refused: held, and named where the developer looks.
    const waiting = page.getByTestId('waiting-clients');
    await expect(waiting).toContainText(/A client is waiting for you to log in/);
    // Named as the developer knows it: the program and its pid (the kernel's socket table says).
    await expect(waiting).toContainText(`psql (pid ${psql.pid}) on ${name}`);
    await expect(row.getByTestId('connection-login-needed')).toContainText('new clients wait for you to log in');
    await expect(row.getByTestId('connection-stats')).toContainText('1 waiting for a login');
    if (world.desktop) {
      const state = await world.desktop.control.state();
      expect(state.tray!.tooltip).toContain('1 client is waiting for you to log in');
      expect(state.notifications.map((n) => `${n.title}: ${n.body}`)).toContainEqual(
        `Log in to Vault: psql (pid ${psql.pid}) on ${name} is waiting for you to log in to Vault in Sesame.`,
      );
    }
    await shootSchemes(page, testInfo, 'held-client');

    await logInWithOidc(page, tab);
    const result = await psql.done;
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^v-/); // a Vault-made user: psql's query ran after the login
    await expect(page.getByTestId('waiting-clients')).toHaveCount(0);
  } finally {
    psql.kill();
  }
});
