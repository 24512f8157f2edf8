// Journey (e): the leases view shows the dynamic database lease a connection took, with a
// falling TTL; Revoke (after confirming) ends it at Vault and the user is gone from MariaDB.
import { expect, test } from '@playwright/test';
import mysql from 'mysql2/promise';
import { startSandboxApp, type SandboxApp } from './cli-process';

let world: SandboxApp<{ configPath: string; mariadb: { host: string; port: number; adminUser: string; adminPassword: string } }>;
let info: { configPath: string; mariadb: { host: string; port: number; adminUser: string; adminPassword: string } };

test.beforeAll(async () => {
  world = await startSandboxApp();
  info = world.info;
});

test.afterAll(async () => {
  await world?.stop();
});

test('a dynamic lease shows with a falling TTL, and Revoke drops the database user', async ({ page }, testInfo) => {
  await page.goto(world.url());
  await page.getByRole('switch', { name: 'sandbox-mariadb', exact: true }).click();
  await expect(page.getByTestId('connection-sandbox-mariadb')).toHaveAttribute('data-state', 'ready');

  await page.getByRole('tab', { name: /Leases/ }).click();
  const row = page.getByTestId('lease-row').filter({ hasText: 'database/creds/sandbox-mariadb' }).first();
  await expect(row).toHaveAttribute('data-state', 'active');
  const ttl = row.getByTestId('lease-ttl');
  const before = (await ttl.innerText()).trim();
  await expect.poll(async () => (await ttl.innerText()).trim(), { timeout: 5_000 }).not.toBe(before);
  await page.screenshot({ path: testInfo.outputPath('lease-active.png'), fullPage: true });

  const admin = await mysql.createConnection({ host: info.mariadb.host, port: info.mariadb.port, user: info.mariadb.adminUser, password: info.mariadb.adminPassword });
  const users = async () => ((await admin.query("select user from mysql.user where user like 'v-%' or user like 'v_%'"))[0] as Array<{ user: string }>).map((r) => r.user);
  const held = await users();
  expect(held.length).toBeGreaterThan(0);

  await row.getByRole('button', { name: /^Revoke / }).click();
  await page.getByRole('dialog').getByRole('button', { name: /Revoke/ }).click();
  // Ended entries leave the table unless "Show ended" is ticked.
  await expect(page.getByTestId('lease-row').filter({ hasText: 'database/creds/sandbox-mariadb' })).toHaveCount(0);
  await expect.poll(users, { timeout: 10_000 }).toEqual([]);
  await admin.end();
  await page.screenshot({ path: testInfo.outputPath('lease-revoked.png'), fullPage: true });
});
