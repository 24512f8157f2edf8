// Journeys (c) and (g): "Open in GUI" runs the connection's configured command template — here
// the real psql, writing what it got to a file — and a bad edit of a connection's local port is
// refused in place, naming what is wrong, with the config file left as it was.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page, TestInfo } from '@playwright/test';
import { expect, test } from './testing';
import { startSandboxApp, type SandboxApp } from './cli-process';
import { editedSandboxConfig } from './sandbox-config';

type Info = { configPath: string; connections: Array<{ name: string; listen: string }>; postgres: { port: number } };
let world: SandboxApp<Info>;
let dir: string;
let configPath: string;
const outFile = () => path.join(dir, 'gui-output.txt');

test.beforeAll(async ({ appMode }) => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sesame-e2e-gui-'));
  configPath = path.join(dir, 'sesame.yaml'); // where editedSandboxConfig writes it
  world = await startSandboxApp<Info>({
    mode: appMode,
    configFor: editedSandboxConfig<Info>(dir, (config) => {
      // A "GUI" that is really psql: it proves the command ran against the broker's address.
      config.connections[0].gui = `psql {url} -w -At -c "select current_user" -o ${outFile()}`;
    }),
  });
});

test.afterAll(async () => {
  await world?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

// One page: the URL's token works once (it becomes the page's cookie).
test('Open in GUI runs the configured template; a bad port edit is refused in place', async ({
  page: tab,
}, testInfo) => {
  const page = await world.openWindow(tab);
  await test.step('Open in GUI', () => openInGui(page, testInfo));
  await test.step('bad port edits', () => badPortEdits(page, testInfo));
});

async function openInGui(page: Page, testInfo: TestInfo) {
  const name = world.info.connections[0]!.name;
  await page.getByRole('switch', { name, exact: true }).click();
  const row = page.getByTestId(`connection-${name}`);
  await expect(row).toHaveAttribute('data-state', 'ready');
  await row.getByRole('button', { name: `Open ${name} in a database GUI` }).click();
  await expect(row.getByText('Opened psql.')).toBeVisible();
  await expect
    .poll(async () => (await readFile(outFile(), 'utf8').catch(() => '')).trim(), { timeout: 15_000 })
    .toBe('sandbox_app');
  await page.screenshot({ path: testInfo.outputPath('gui-opened.png'), fullPage: true });
}

async function badPortEdits(page: Page, testInfo: TestInfo) {
  const [first, second] = world.info.connections as [
    { name: string; listen: string },
    { name: string; listen: string },
  ];
  const before = await readFile(configPath, 'utf8');
  const row = page.getByTestId(`connection-${first.name}`);

  // The port of another connection.
  await row.getByRole('button', { name: `Change local port of ${first.name}` }).click();
  const input = row.getByLabel(`Local port of ${first.name}`);
  await input.fill(second.listen.split(':')[1]!);
  await row.getByRole('button', { name: 'Save' }).click();
  await expect(row.getByRole('alert')).toContainText(second.name);

  // A port another program holds (the sandbox's PostgreSQL).
  await input.fill(String(world.info.postgres.port));
  await row.getByRole('button', { name: 'Save' }).click();
  await expect(row.getByRole('alert')).toContainText(/in use/);
  await page.screenshot({ path: testInfo.outputPath('port-refused.png'), fullPage: true });

  await row.getByRole('button', { name: 'Cancel' }).click();
  await expect(row.getByTestId('listen-address')).toHaveText(first.listen);
  expect(await readFile(configPath, 'utf8')).toBe(before);
}
