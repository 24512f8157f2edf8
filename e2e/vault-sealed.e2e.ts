// Journey (f): Vault is sealed by an operator while Sesame runs. The header says so on its own
// (the host watches Vault's health; no request has to fail first), a connection that holds its
// credential keeps serving new psql clients, each card says whether it keeps working from cache
// (issue #19 item 3; the tray says it too), and when Vault is unsealed the warnings go away.
import { expect, test } from './testing';
import { startSandboxApp, type SandboxApp } from './cli-process';
import { psql } from './psql';

type Info = {
  vaultAddr: string;
  rootToken: string;
  configPath: string;
  connections: Array<{ name: string; listen: string }>;
};
let world: SandboxApp<Info>;

test.beforeAll(async ({ appMode }) => {
  world = await startSandboxApp<Info>({ mode: appMode });
});

test.afterAll(async () => {
  await world?.stop();
});

async function vault(method: 'PUT' | 'POST', path: string): Promise<void> {
  const res = await fetch(`${world.info.vaultAddr}${path}`, {
    method,
    headers: { 'X-Vault-Token': world.info.rootToken },
  });
  expect(res.status, `${method} ${path}`).toBe(204);
}

test('sealed Vault: the session shows it, a warm connection keeps working, unsealing clears it', async ({
  page: tab,
}, testInfo) => {
  const page = await world.openWindow(tab);
  await expect(page.getByTestId('session-state')).toHaveAttribute('data-state', 'authenticated');
  await expect(page.getByTestId('vault-health')).toHaveAttribute('data-status', 'ok');

  const { name } = world.info.connections.find((c) => c.name === 'sandbox-postgres')!;
  await page.getByRole('switch', { name, exact: true }).click();
  const row = page.getByTestId(`connection-${name}`);
  await expect(row).toHaveAttribute('data-state', 'ready');
  const dynamic = 'sandbox-postgres-dynamic'; // a database user per client, from Vault each time
  await page.getByRole('switch', { name: dynamic, exact: true }).click();
  const dynamicRow = page.getByTestId(`connection-${dynamic}`);
  await expect(dynamicRow).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('connection-offline')).toHaveCount(0); // Vault answers: nothing to say
  const [host, port] = (await row.getByTestId('listen-address').innerText()).trim().split(':') as [string, string];
  expect(psql(host, port, 'sandbox', 'select current_user').stdout).toBe('sandbox_app');

  // What an operator does: sys/seal with a token allowed to.
  await vault('PUT', '/v1/sys/seal');
  await expect(page.getByTestId('vault-health')).toHaveAttribute('data-status', 'sealed');
  const problem = page.getByTestId('vault-problem');
  await expect(problem).toContainText('is sealed');
  await expect(problem).toContainText('keep working');
  await expect(page.getByTestId('vault-health')).toContainText('Sealed');

  // A new client of the connection that already holds its credential still gets in.
  const during = psql(host, port, 'sandbox', 'select current_user');
  expect(during.stderr).toBe('');
  expect(during.stdout).toBe('sandbox_app');
  await expect(row).toHaveAttribute('data-state', 'ready');
  // Each card says what it does without Vault: the KV value keeps serving; a user per client cannot be made.
  await expect(row.getByTestId('connection-offline')).toHaveAttribute('data-keeps-working', 'true');
  await expect(row.getByTestId('connection-offline')).toContainText(
    'keeps working from cache — the last value read from Vault keeps serving',
  );
  await expect(dynamicRow.getByTestId('connection-offline')).toHaveAttribute('data-keeps-working', 'false');
  await expect(dynamicRow.getByTestId('connection-offline')).toContainText(
    'each client gets its own database user from Vault, so new clients fail; open sessions keep running',
  );
  if (world.desktop)
    await expect
      .poll(async () => (await world.desktop!.control.state()).tray!.tooltip)
      .toContain('Vault is not answering — working from cache: 1 of 2 connections keep working');
  await page.screenshot({ path: testInfo.outputPath('vault-sealed-cards.png'), fullPage: true });
  await page.getByRole('tab', { name: /Activity/ }).click();
  await expect(page.getByText(/Vault .* is sealed/).first()).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('vault-sealed.png'), fullPage: true });
  // The desktop app says it with the window hidden too: a desktop notification.
  const notified = async () => (await world.desktop!.control.state()).notifications.map((n) => n.title);
  if (world.desktop) await expect.poll(notified).toContain('Vault is sealed');

  await vault('POST', '/_sandbox/unseal');
  await expect(page.getByTestId('vault-health')).toHaveAttribute('data-status', 'ok');
  await expect(problem).toHaveCount(0);
  await page.getByRole('tab', { name: /Connections/ }).click();
  await expect(page.getByTestId('connection-offline')).toHaveCount(0);
  await expect(page.getByText(/Vault is back/).first()).toBeVisible();
  if (world.desktop) await expect.poll(notified).toContain('Vault is back');
  await page.screenshot({ path: testInfo.outputPath('vault-unsealed.png'), fullPage: true });
});
