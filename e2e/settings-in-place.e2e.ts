// Saving the token agent's settings keeps the developer's work: with a psql-style client
// session open through one connection and a shared MariaDB lease held by another, moving the
// agent's listener leaves both connections on, the open session answering, the lease active and
// the Activity history whole — and says only what happened.
import { expect, test } from './testing';
import pg from 'pg';
import { startSandboxApp, type SandboxApp } from './cli-process';
import { freePort } from '../sandbox/servers/ports';

type Info = { configPath: string; agentAddr: string; connections: Array<{ name: string; listen: string }> };
let world: SandboxApp<Info>;

test.beforeAll(async ({ appMode }) => {
  world = await startSandboxApp<Info>({ mode: appMode });
});

test.afterAll(async () => {
  await world?.stop();
});

test('saving the agent settings keeps connections, open sessions, leases and Activity', async ({
  page: tab,
}, testInfo) => {
  const page = await world.openWindow(tab);
  for (const name of ['sandbox-postgres', 'sandbox-mariadb']) {
    await page.getByRole('switch', { name, exact: true }).click();
    await expect(page.getByTestId(`connection-${name}`)).toHaveAttribute('data-state', 'ready');
  }
  await expect(page.getByText('2 of 4 on')).toBeVisible();
  const [host, port] = world.info.connections.find((c) => c.name === 'sandbox-postgres')!.listen.split(':') as [
    string,
    string,
  ];
  const client = new pg.Client({ host, port: Number(port), database: 'sandbox', user: 'developer' });
  await client.connect();
  try {
    expect((await client.query('select current_user as who')).rows[0].who).toBe('sandbox_app');

    await page.getByRole('tab', { name: /Leases/ }).click();
    const lease = page.getByTestId('lease-row').filter({ hasText: 'database/creds/sandbox-mariadb' }).first();
    await expect(lease).toHaveAttribute('data-state', 'active');
    const leaseId = await lease.getAttribute('data-lease-id');
    await page.getByRole('tab', { name: 'Activity' }).click();
    const eventsBefore = Number((await page.getByTestId('activity-count').innerText()).match(/\d+/)![0]);

    await page.getByRole('tab', { name: 'Settings' }).click();
    const listen = `127.0.0.1:${await freePort()}`;
    await page.getByLabel('Agent listener').fill(listen);
    await page.getByRole('button', { name: 'Save agent settings' }).click();
    // No "restart" dialog, and the line says what happened.
    await expect(page.getByRole('dialog')).toHaveCount(0);
    await expect(
      page.getByRole('status').filter({ hasText: `The token agent now listens on ${listen}.` }),
    ).toBeVisible();
    await page.screenshot({ path: testInfo.outputPath('settings-agent-saved.png'), fullPage: true });
    const proxied = await fetch(`http://${listen}/v1/auth/token/lookup-self`, {
      headers: { 'X-Vault-Request': 'true' },
    });
    expect(proxied.status).toBe(200);

    // The open session still answers; both connections are still on; the lease still held.
    expect((await client.query('select 41 + 1 as answer')).rows[0].answer).toBe(42);
    await page.getByRole('tab', { name: 'Connections' }).click();
    await expect(page.getByText('2 of 4 on')).toBeVisible();
    await expect(page.getByTestId('connection-sandbox-mariadb')).toHaveAttribute('data-state', 'ready');
    await page.getByRole('tab', { name: /Leases/ }).click();
    await expect(page.locator(`[data-lease-id="${leaseId}"]`)).toHaveAttribute('data-state', 'active');
    await page.getByRole('tab', { name: 'Activity' }).click();
    await expect
      .poll(async () => Number((await page.getByTestId('activity-count').innerText()).match(/\d+/)![0]))
      .toBeGreaterThan(eventsBefore);
    await expect(page.getByText(`the token agent's proxy listens on ${listen}`).first()).toBeVisible();
  } finally {
    await client.end();
  }
});
