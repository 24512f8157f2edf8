// Journey (e): the leases view shows the dynamic database lease a connection took, with a
// falling TTL; Revoke (after confirming) ends it at Vault and the user is gone from MariaDB.
// A lease the caching proxy holds for another tool shows too; Evict drops it from the table and
// from the proxy's cache (the tool's next read gets a new lease), without revoking it.
import type { Page, TestInfo } from '@playwright/test';
import { expect, test } from './testing';
import mysql from 'mysql2/promise';
import { startSandboxApp, type SandboxApp } from './cli-process';
import { rowLayoutProblems, scrollsSideways, shownWhole } from './layout';

type Info = {
  configPath: string;
  agentAddr: string;
  mariadb: { host: string; port: number; adminUser: string; adminPassword: string };
};
let world: SandboxApp<Info>;
let info: Info;

test.beforeAll(async ({ appMode }) => {
  world = await startSandboxApp({ mode: appMode });
  info = world.info;
});

test.afterAll(async () => {
  await world?.stop();
});

// One page: the URL's token works once (it becomes the page's cookie).
test('leases: a falling TTL, Revoke drops the database user, Evict empties the proxy cache', async ({
  page: tab,
}, testInfo) => {
  const page = await world.openWindow(tab);
  await test.step('revoke a connection’s lease', () => revokeConnectionLease(page, testInfo));
  await test.step('evict a lease the proxy cached', () => evictProxyLease(page, testInfo));
});

async function revokeConnectionLease(page: Page, testInfo: TestInfo) {
  await page.getByRole('switch', { name: 'sandbox-mariadb', exact: true }).click();
  await expect(page.getByTestId('connection-sandbox-mariadb')).toHaveAttribute('data-state', 'ready');

  await page.getByRole('tab', { name: /Leases/ }).click();
  const row = page.getByTestId('lease-row').filter({ hasText: 'database/creds/sandbox-mariadb' }).first();
  await expect(row).toHaveAttribute('data-state', 'active');
  const ttl = row.getByTestId('lease-ttl');
  const before = (await ttl.innerText()).trim();
  await expect.poll(async () => (await ttl.innerText()).trim(), { timeout: 5_000 }).not.toBe(before);
  await page.screenshot({ path: testInfo.outputPath('lease-active.png'), fullPage: true });
  await test.step('the table fits from a phone to a wide screen', () => leaseTableFits(page, testInfo));

  const admin = await mysql.createConnection({
    host: info.mariadb.host,
    port: info.mariadb.port,
    user: info.mariadb.adminUser,
    password: info.mariadb.adminPassword,
  });
  const users = async () =>
    (
      (await admin.query("select user from mysql.user where user like 'v-%' or user like 'v_%'"))[0] as Array<{
        user: string;
      }>
    ).map((r) => r.user);
  const held = await users();
  expect(held.length).toBeGreaterThan(0);

  await row.getByRole('button', { name: /^Revoke / }).click();
  await page
    .getByRole('dialog')
    .getByRole('button', { name: /Revoke/ })
    .click();
  // Ended entries leave the table unless "Show ended" is ticked.
  await expect(page.getByTestId('lease-row').filter({ hasText: 'database/creds/sandbox-mariadb' })).toHaveCount(0);
  await expect.poll(users, { timeout: 10_000 }).toEqual([]);
  await admin.end();
  await page.screenshot({ path: testInfo.outputPath('lease-revoked.png'), fullPage: true });
}

/**
 * At 360, 1024, 1280 and 1920 px: no cell overlaps another or leaves its row (the Origin
 * column once ran under the buttons), no sideways scroll, and a lease's path ends in its name
 * — whole from 1280 px up. A screenshot of each width is kept.
 */
async function leaseTableFits(page: Page, testInfo: TestInfo) {
  const original = page.viewportSize();
  const rows = page.getByTestId('lease-row');
  for (const width of [1920, 1280, 1024, 360]) {
    await page.setViewportSize({ width, height: 900 });
    await expect(rows.first()).toBeVisible();
    for (const row of await rows.all())
      expect(await rowLayoutProblems(row), `${width} px: ${await row.getAttribute('data-lease-id')}`).toEqual([]);
    expect(await scrollsSideways(page), `${width} px scrolls sideways`).toBe(false);
    const lease = rows.filter({ hasText: 'database/creds/sandbox-mariadb' }).first();
    expect(await shownWhole(lease.locator('.path-tail')), `${width} px: the path's last segment`).toBe(true);
    if (width >= 1280) expect(await shownWhole(lease.locator('.path-head')), `${width} px: the whole path`).toBe(true);
    for (const action of ['Renew', 'Revoke', 'Evict'])
      await expect(lease.getByRole('button', { name: new RegExp(`^${action} `) })).toBeVisible();
    await page.screenshot({ path: testInfo.outputPath(`leases-${width}.png`), fullPage: true });
  }
  // The session token's row names where the token came from, not the lookup path.
  await expect(rows.filter({ hasText: 'Session' }).first()).toBeVisible();
  await expect(rows.filter({ hasText: 'lookup-self' })).toHaveCount(0);
  if (original) await page.setViewportSize(original);
}

/** A tool reads dynamic credentials through VAULT_AGENT_ADDR, as it would through Vault Agent. */
async function proxyRead(): Promise<{ cache: string | null; leaseId: string; username: string }> {
  const res = await fetch(`${info.agentAddr}/v1/database/creds/sandbox-postgres`, {
    headers: { 'X-Vault-Request': 'true' },
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { lease_id: string; data: { username: string } };
  return { cache: res.headers.get('x-cache'), leaseId: body.lease_id, username: body.data.username };
}

async function evictProxyLease(page: Page, testInfo: TestInfo) {
  const first = await proxyRead();
  const again = await proxyRead();
  expect(again).toMatchObject({ cache: 'HIT', leaseId: first.leaseId });

  const row = page.getByTestId('lease-row').filter({ hasText: 'database/creds/sandbox-postgres' });
  await expect(row).toHaveCount(1);
  await expect(row).toHaveAttribute('data-state', 'active');
  await row.getByRole('button', { name: /^Evict / }).click();
  await page.getByRole('dialog').getByRole('button', { name: /Evict/ }).click();
  await expect(row).toHaveCount(0);

  // Gone from the proxy's cache too: the next read is a miss with a new lease (the old one was
  // not revoked: evicting only forgets).
  const after = await proxyRead();
  expect(after.cache).not.toBe('HIT');
  expect(after.leaseId).not.toBe(first.leaseId);
  await expect(page.getByTestId('lease-row').filter({ hasText: 'database/creds/sandbox-postgres' })).toHaveCount(1);
  await page.screenshot({ path: testInfo.outputPath('lease-evicted.png'), fullPage: true });
}
