// The walking path through every room: sandbox → CLI (browser mode, or the desktop app under the
// Electron stand-in) → UI toggle → broker → real psql → real PostgreSQL with the credential from
// Vault KV, and back off again.
import { expect, test } from './testing';
import { startSandboxApp, type SandboxApp } from './cli-process';
import { psql } from './psql';

let world: SandboxApp<{
  vaultAddr: string;
  agentAddr: string;
  configPath: string;
  connections: Array<{ name: string; listen: string }>;
}>;
let info: {
  vaultAddr: string;
  agentAddr: string;
  configPath: string;
  connections: Array<{ name: string; listen: string }>;
};

test.beforeAll(async ({ appMode }) => {
  world = await startSandboxApp({ mode: appMode });
  info = world.info;
});

test.afterAll(async () => {
  await world?.stop();
});

test('toggle a Postgres connection on, use it with psql, toggle it off', async ({ page: tab, appMode }, testInfo) => {
  expect(world.app.output()).toMatch(appMode === 'browser' ? /browser mode: / : /\[electron-standin\] ready/);
  const page = await world.openWindow(tab);

  const name = info.connections[0]!.name;
  const row = page.getByTestId(`connection-${name}`);
  await expect(row).toHaveAttribute('data-state', 'off');
  await page.getByRole('switch', { name, exact: true }).click();
  await expect(row).toHaveAttribute('data-state', 'ready');
  const address = (await row.getByTestId('listen-address').innerText()).trim();
  const [host, port] = address.split(':') as [string, string];
  expect(address).toBe(info.connections[0]!.listen);

  const on = psql(host, port, 'sandbox', 'select current_user');
  expect(on.stderr).toBe('');
  expect(on.stdout).toBe('sandbox_app');
  await page.screenshot({ path: testInfo.outputPath('connection-ready.png'), fullPage: true });

  await page.getByRole('switch', { name, exact: true }).click();
  await expect(row).toHaveAttribute('data-state', 'off');
  const off = psql(host, port, 'sandbox', 'select 1');
  expect(off.status).not.toBe(0);
  expect(off.stderr).toMatch(/Connection refused|could not connect/);
  await page.screenshot({ path: testInfo.outputPath('connection-off.png'), fullPage: true });
});

test('the Vault-Agent-compatible proxy answers with the session token and caches the read', async () => {
  const read = () =>
    fetch(`${info.agentAddr}/v1/secret/data/sandbox/postgres`, { headers: { 'X-Vault-Request': 'true' } });
  const first = await read();
  expect(first.status).toBe(200);
  const body = (await first.json()) as { data: { data: { username: string } } };
  expect(body.data.data.username).toBe('sandbox_app');
  const second = await read();
  expect(second.status).toBe(200);
  expect(second.headers.get('x-cache')).toBe('HIT');
});
