// Hand edits to the config file, as a developer makes them in an editor while Sesame runs
// (issue #18 item 8): a save is applied with no Reload — a new connection appears and works; a
// save with a mistake shows, on every tab, that the file is not applied (the running config
// stays) and names the line and field; fixing it clears that and the stale Reload error too.
import { readFile, writeFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';
import { expect, test } from './testing';
import { startSandboxApp, type SandboxApp } from './cli-process';
import { freePort } from '../sandbox/servers/ports';
import { psql } from './psql';
import { shootSchemes } from './screens';

type Info = { configPath: string };
let world: SandboxApp<Info>;

test.beforeAll(async ({ appMode }) => {
  world = await startSandboxApp<Info>({ mode: appMode });
});
test.afterAll(async () => {
  await world?.stop();
});

test('a saved edit applies at once; a broken one is named until fixed', async ({ page: tab }, testInfo) => {
  const page = await world.openWindow(tab);
  const original = await readFile(world.info.configPath, 'utf8');
  const config = parse(original) as { connections: Array<Record<string, unknown>> };
  const template = config.connections.find((c) => c.name === 'sandbox-postgres')!;
  const port = await freePort();
  const edited = {
    ...config,
    connections: [...config.connections, { ...template, name: 'hand-edited', listen: `127.0.0.1:${port}` }],
  };

  await test.step('a new connection, saved in an editor, appears and works', async () => {
    await writeFile(world.info.configPath, stringify(edited));
    const row = page.getByTestId('connection-hand-edited');
    await expect(row).toBeVisible();
    await page.getByRole('switch', { name: 'hand-edited', exact: true }).click();
    await expect(row).toHaveAttribute('data-state', 'ready');
    expect(psql('127.0.0.1', String(port), 'sandbox', 'select current_user').stdout).toBe('sandbox_app');
  });

  const broken = stringify(edited).replace(`listen: 127.0.0.1:${port}`, 'listen: next-to-the-database');
  await test.step('a save with a mistake: the running config stays and the problem is named', async () => {
    await writeFile(world.info.configPath, broken);
    const banner = page.getByTestId('config-banner');
    await expect(banner).toContainText('The config file has a problem, so Sesame keeps running the last good one.');
    await expect(page.getByTestId('connection-hand-edited')).toHaveAttribute('data-state', 'ready');
    await banner.getByRole('button', { name: 'Show the problem' }).click();
    const problem = page.getByTestId('config-problem');
    await expect(problem).toContainText(/:\d+:\d+: connections\[\d+\]\.listen/);
    await expect(problem).toContainText('The running config stays until the file is fixed.');
    // Reload says nothing new: the one problem shows once.
    await page.getByRole('button', { name: 'Reload config file' }).click();
    await expect(page.getByText('The config file was not applied')).toHaveCount(0);
    await expect(problem).toHaveCount(1);
    await shootSchemes(page, testInfo, 'config-problem');
  });

  await test.step('the fix clears it all', async () => {
    await writeFile(world.info.configPath, stringify(edited));
    await expect(page.getByTestId('config-banner')).toHaveCount(0);
    await expect(page.getByTestId('config-problem')).toHaveCount(0);
    await expect(page.getByRole('alert')).toHaveCount(0);
    await page.getByRole('tab', { name: 'Activity' }).click();
    await expect(page.getByText('the config file is valid again; nothing changed').first()).toBeVisible();
  });
  await writeFile(world.info.configPath, original);
  await expect(page.getByTestId('connection-hand-edited')).toHaveCount(0);
});
