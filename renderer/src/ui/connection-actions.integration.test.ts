// The ways to use a connection, as a user meets them (issue #18 items 4, 5, 11, 14), in Chromium
// over the real bridge and the memory host (which, like the real host, refuses to open a
// connection that is off): "Turn on and open" while off; a failed opener says so and offers
// what to do instead; "Opened …" goes away after a while; an SSH card shows its host key.
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { openUi, shot, startUiRig, type UiPage, type UiRig } from '../../../app/bridge/testing/ui-harness';

let rig: UiRig;
let ui: UiPage | undefined;

beforeAll(async () => {
  rig = await startUiRig();
});
afterAll(async () => {
  await rig?.stop();
});
afterEach(async () => {
  await ui?.close();
  ui = undefined;
});

const row = (page: Page, name: string) => page.getByTestId(`connection-${name}`);

async function open(): Promise<Page> {
  ui = await openUi(
    rig,
    {
      token: 'hvs.ui-actions-token-0123456789',
      authenticated: true,
      connections: [
        {
          name: 'orders-db',
          protocol: 'postgres',
          target: 'db.internal:5432',
          connectionString: 'postgresql://127.0.0.1:15432/orders',
        },
        {
          name: 'billing-mysql',
          protocol: 'mysql',
          target: 'billing.internal:3306',
          connectionString: 'mysql://127.0.0.1:13306/billing',
        },
        { name: 'bastion', protocol: 'ssh', target: 'bastion.internal:22' },
      ],
      launchFailures: { 'billing-mysql': 'xdg-open exited with status 3 (no method available)' },
    },
    undefined,
    { open: false },
  );
  // Fake timers from the start, so "goes away after a while" is checked without waiting.
  await ui.page.clock.install();
  await ui.page.goto(ui.bridge.url);
  await ui.page.getByRole('tablist', { name: 'Sesame' }).waitFor();
  return ui.page;
}

it('while off, "Turn on and open" turns the connection on, then opens it; "Opened" goes away after a while', async () => {
  const page = await open();
  const orders = row(page, 'orders-db');
  expect(await orders.getAttribute('data-state')).toBe('off');
  const button = orders.getByRole('button', { name: 'Turn on orders-db and open orders-db in a database GUI' });
  expect(await button.textContent()).toBe('Turn on and open in GUI');
  await button.click();
  await orders.getByRole('status').getByText('Opened the handler for postgresql:// URLs.').waitFor();
  expect(await orders.getAttribute('data-state')).toBe('ready');
  expect(ui!.host.launches).toEqual([{ connection: 'orders-db', how: 'gui' }]);
  // Now on: the plain words.
  expect(await orders.getByRole('button', { name: 'Open orders-db in a database GUI' }).textContent()).toBe(
    'Open in GUI',
  );

  await page.clock.runFor(9_000);
  expect(await orders.getByText('Opened the handler').count()).toBe(1);
  await page.clock.runFor(2_000);
  await orders.getByText('Opened the handler').waitFor({ state: 'detached' });

  // The in-app terminal of an SSH connection that is off: turned on first, not a dead button.
  const bastion = row(page, 'bastion');
  await bastion.getByRole('button', { name: 'Turn on bastion and open a terminal to bastion in Sesame' }).click();
  await page.waitForSelector('[data-testid="connection-bastion"][data-state="ready"]');
  expect(ui!.errors).toEqual([]);
});

it('a GUI that did not open says so and offers the connection string and the Settings choice', async () => {
  const page = await open();
  const billing = row(page, 'billing-mysql');
  await billing.getByRole('button', { name: 'Turn on billing-mysql and open billing-mysql in a database GUI' }).click();
  const alert = billing.getByRole('alert');
  await alert
    .getByText('Could not open the handler for mysql:// URLs: xdg-open exited with status 3 (no method available)')
    .waitFor();
  expect(await billing.getByText(/^Opened/).count()).toBe(0);
  expect(ui!.host.launches).toEqual([]);
  await alert.getByRole('button', { name: 'Copy connection string of billing-mysql instead' }).waitFor();
  await shot(page, 'connection-open-failed');
  // A failure stays (it is not a confirmation that fades).
  await page.clock.runFor(30_000);
  expect(await alert.count()).toBe(1);

  await alert.getByRole('button', { name: 'Choose a GUI in Settings' }).click();
  await page.getByRole('tab', { name: 'Settings', selected: true }).waitFor();
  // Only the GUIs that open MySQL are offered for billing-mysql, by name.
  const choice = page.getByLabel('Open billing-mysql in');
  const offered = await choice.locator('option').allTextContents();
  expect(offered).toEqual([
    "The system's handler for its URL",
    'DBeaver',
    'DataGrip',
    'TablePlus',
    'MySQL Workbench',
    'Beekeeper Studio',
  ]);
  expect(ui!.errors).toEqual([]);
});

it('an SSH card shows the host key ssh is asked to trust; without a keychain, Settings says where host keys are kept and that the agent cache cannot persist', async () => {
  const page = await open();
  const fingerprint = 'SHA256:3pX0a4Zb0Z8mWcQ2x5JtqKfS8mH1nL0oV7yR9uE6dC4';
  ui!.host.emit({
    event: 'connection.changed',
    payload: {
      name: 'bastion',
      protocol: 'ssh',
      state: 'ready',
      listen: '127.0.0.1:2222',
      target: 'bastion.internal:22',
      hostKeyFingerprint: fingerprint,
      stats: { activeClients: 0, sessionsServed: 0, bytesToTarget: 0, bytesToClient: 0 },
    },
  });
  expect(await row(page, 'bastion').getByTestId('host-key-fingerprint').textContent()).toContain(fingerprint);
  expect(await row(page, 'orders-db').getByTestId('host-key-fingerprint').count()).toBe(0);
  await shot(page, 'connection-ssh-host-key');
  await ui!.close();

  ui = await openUi(rig, {
    token: 'hvs.ui-actions-token-0123456789',
    authenticated: true,
    connections: [{ name: 'bastion', protocol: 'ssh', target: 'bastion.internal:22' }],
    settings: {
      configPath: '/home/dev/.config/sesame/config.yaml',
      configFile: { watched: true },
      vault: { address: 'http://127.0.0.1:8200', authMethod: 'oidc' },
      agent: {
        requireRequestHeader: true,
        cache: { staticSecrets: true, staticSecretRefreshSeconds: 30, persist: false },
      },
      secrets: {
        store: 'memory',
        reason: 'the OS keychain is not available (no D-Bus session); the Vault session lasts until Sesame quits',
        keyFolder: '/home/dev/.config/sesame/keys',
      },
      guis: [],
    },
  });
  await ui.page.getByRole('tab', { name: 'Settings' }).click();
  const notice = ui.page.getByTestId('keychain-notice');
  await notice.waitFor();
  expect(await notice.textContent()).toBe(
    'No OS keychain: the OS keychain is not available (no D-Bus session); the Vault session lasts until Sesame quits. ' +
      "Sesame's own keys (SSH host keys, the local TLS CA) are kept in /home/dev/.config/sesame/keys (readable by you only), so ssh and TLS clients keep trusting Sesame across restarts.",
  );
  // The agent's persistent cache cannot be turned on: no switch, and why nothing would be written.
  expect(await ui.page.getByTestId('agent-persist-unavailable').textContent()).toBe('Not available: no OS keychain');
  expect(await ui.page.getByRole('switch', { name: 'Keep the agent cache across restarts' }).count()).toBe(0);
  const status = ui.page.getByTestId('agent-persist-status');
  expect(await status.getAttribute('data-state')).toBe('unavailable');
  expect(await status.textContent()).toContain('nothing would be written');
});
