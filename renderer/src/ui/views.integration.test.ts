// Connections, Activity, Settings and the tabs in Chromium, over the real bridge and the memory
// host: grouped search, the local port edited in place (a real busy port refused, the reason
// shown in place), Open in GUI / terminal, copy, live counters, activity filter and JSON
// export, settings, tabs by keyboard. Screenshots (light, dark, 360 px) go to test-results/.
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ActivityEvent, ConnectionView } from '../../../app/api';
import {
  horizontalOverflow,
  openUi,
  shot,
  startUiRig,
  type UiPage,
  type UiRig,
} from '../../../app/bridge/testing/ui-harness';

let rig: UiRig;
let ui: UiPage;
let page: Page;
const blockers: Server[] = [];

beforeAll(async () => {
  rig = await startUiRig();
});

afterAll(async () => {
  await rig?.stop();
});

beforeEach(async () => {
  ui = await openUi(rig, {
    token: 'hvs.ui-views-token-0123456789',
    authenticated: true,
    connections: [
      {
        name: 'orders-db',
        protocol: 'postgres',
        target: 'db.internal:5432',
        listen: '127.0.0.1:0',
        connectionString: 'postgresql://127.0.0.1:15432/orders',
      },
      { name: 'reports-db', protocol: 'postgres', target: 'reports.internal:5432' },
      { name: 'bastion', protocol: 'ssh', target: 'bastion.internal:22', listen: '127.0.0.1:0' },
      { name: 'billing-mysql', protocol: 'mysql', target: 'billing.internal:3306' },
    ],
  });
  page = ui.page;
});

afterEach(async () => {
  await ui?.close();
  await Promise.all(blockers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

const row = (name: string) => page.getByTestId(`connection-${name}`);

async function busyPort(): Promise<number> {
  const server = createServer();
  blockers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function activity(id: string, level: ActivityEvent['level'], message: string, connection?: string): ActivityEvent {
  return {
    id,
    time: new Date(Date.parse('2025-03-01T09:00:00Z') + Number(id) * 1000).toISOString(),
    level,
    kind: 'test',
    message,
    ...(connection ? { connection } : {}),
  };
}

describe('tabs', () => {
  it('move with the arrow keys, Home and End, and label their panel', async () => {
    const tab = (name: string) => page.getByRole('tab', { name });
    await tab('Connections').focus();
    expect(await tab('Connections').getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('ArrowRight');
    expect(await tab('Leases & cache').getAttribute('aria-selected')).toBe('true');
    expect(await page.locator(':focus').textContent()).toContain('Leases & cache');
    await page
      .getByRole('tabpanel', { name: 'Leases & cache' })
      .getByRole('heading', { name: 'Session token' })
      .waitFor();
    await page.keyboard.press('End');
    await page.getByRole('tabpanel', { name: 'Settings' }).getByRole('heading', { name: 'Config file' }).waitFor();
    await page.keyboard.press('ArrowRight');
    expect(await tab('Connections').getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('ArrowLeft');
    expect(await tab('Settings').getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('Home');
    await page
      .getByRole('tabpanel', { name: 'Connections' })
      .getByRole('searchbox', { name: 'Search connections' })
      .waitFor();
    expect(await page.getByRole('tab').evaluateAll((tabs) => tabs.map((t) => t.getAttribute('tabindex')))).toEqual([
      '0',
      '-1',
      '-1',
      '-1',
    ]);
  });
});

describe('the connections tab', () => {
  it('groups by protocol and searches', async () => {
    const groups = await page
      .locator('[data-testid^="group-"]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
    expect(groups).toEqual(['group-postgres', 'group-mysql', 'group-ssh']);
    expect(await page.getByTestId('group-postgres').getByRole('listitem').count()).toBe(2);
    await page.getByRole('searchbox', { name: 'Search connections' }).fill('bast');
    await page.getByTestId('group-postgres').waitFor({ state: 'detached' });
    expect(await page.locator('li[data-testid^="connection-"]').count()).toBe(1);
    await page.getByRole('searchbox', { name: 'Search connections' }).fill('nothing-like-this');
    await page.getByText('No connection matches').waitFor();
  });

  it('edits the local port in place and shows the host refusal there', async () => {
    const taken = await busyPort();
    await row('orders-db').getByRole('button', { name: 'Change local port of orders-db' }).click();
    const port = row('orders-db').getByRole('textbox', { name: 'Local port of orders-db' });
    await port.fill('99999');
    await port.press('Enter');
    await row('orders-db').getByRole('alert').getByText('The port is a number from 1 to 65535.').waitFor();

    await port.fill(String(taken));
    await port.press('Enter');
    await row('orders-db')
      .getByRole('alert')
      .getByText(`127.0.0.1:${taken} is already in use by another program`)
      .waitFor();
    expect(await port.getAttribute('aria-invalid')).toBe('true');
    await shot(page, 'connections-port-error-light');

    await port.press('Escape');
    expect(await row('orders-db').getByTestId('listen-address').textContent()).toBe('127.0.0.1:0');

    const free = await freePort();
    await row('orders-db').getByRole('button', { name: 'Change local port of orders-db' }).click();
    await row('orders-db').getByRole('textbox', { name: 'Local port of orders-db' }).fill(String(free));
    await row('orders-db').getByRole('button', { name: 'Save' }).click();
    await row('orders-db').getByTestId('listen-address').getByText(`127.0.0.1:${free}`).waitFor();
    // Focus returns to where the edit began.
    await page
      .locator(':focus')
      .and(row('orders-db').getByRole('button', { name: 'Change local port of orders-db' }))
      .waitFor();

    await page.getByRole('switch', { name: 'orders-db', exact: true }).click();
    await page.waitForSelector('[data-testid="connection-orders-db"][data-state="ready"]');
    expect(await row('orders-db').getByTestId('listen-address').textContent()).toBe(`127.0.0.1:${free}`);
    expect(ui.errors).toEqual([]);
  });

  it('opens a GUI for a database and a terminal for SSH, copies the connection string, shows live counters', async () => {
    expect(
      await row('bastion')
        .getByRole('button', { name: /in a database GUI/ })
        .count(),
    ).toBe(0);
    expect(
      await row('orders-db')
        .getByRole('button', { name: /Open a terminal/ })
        .count(),
    ).toBe(0);
    await row('orders-db')
      .getByRole('button', { name: 'Turn on orders-db and open orders-db in a database GUI' })
      .click();
    await row('orders-db').getByRole('status').getByText('Opened the handler for postgresql:// URLs.').waitFor();
    await row('bastion')
      .getByRole('button', { name: 'Turn on bastion and open a terminal to bastion in the system terminal' })
      .click();
    await row('bastion').getByRole('status').getByText('Opened ssh in a terminal.').waitFor();
    expect(ui.host.launches).toEqual([
      { connection: 'orders-db', how: 'gui' },
      { connection: 'bastion', how: 'terminal' },
    ]);

    await ui.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(ui.bridge.url).origin });
    await row('orders-db').getByRole('button', { name: 'Copy connection string of orders-db' }).click();
    await row('orders-db').getByRole('status').filter({ hasText: 'Copied' }).waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe('postgresql://127.0.0.1:15432/orders');

    const live: ConnectionView = {
      name: 'billing-mysql',
      protocol: 'mysql',
      state: 'ready',
      listen: '127.0.0.1:13306',
      target: 'billing.internal:3306',
      stats: { activeClients: 2, sessionsServed: 17, bytesToTarget: 48_213, bytesToClient: 2_400_000 },
    };
    ui.host.emit({ event: 'connection.changed', payload: live });
    const stats = row('billing-mysql').getByTestId('connection-stats');
    await stats.getByText('2 clients now').waitFor();
    await stats.getByText('17 sessions served').waitFor();
    await stats.getByText('2.4 MB received').waitFor();
    ui.host.emit({ event: 'connection.removed', payload: { name: 'reports-db' } });
    await row('reports-db').waitFor({ state: 'detached' });

    await shot(page, 'connections-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot(page, 'connections-dark');
    await page.setViewportSize({ width: 360, height: 800 });
    await shot(page, 'connections-360-dark');
    expect(await horizontalOverflow(page)).toBe(0);
    expect(ui.errors).toEqual([]);
  });
});

describe('the activity tab', () => {
  it('filters by level, connection and text, and exports what it shows as JSON', async () => {
    const events = [
      activity('1', 'info', 'orders-db is listening on 127.0.0.1:15432.', 'orders-db'),
      activity('2', 'warn', 'Renewal of database/creds/orders-ro is late; retrying.', 'orders-db'),
      activity('3', 'error', 'bastion: host key did not match.', 'bastion'),
      activity('4', 'info', 'Logged in to Vault with OIDC.'),
      activity('5', 'error', 'orders-db: the server refused the login.', 'orders-db'),
    ];
    for (const event of events) ui.host.emit({ event: 'activity', payload: event });
    await page.getByRole('button', { name: 'All activity →' }).click();
    await page.getByTestId('activity-count').getByText('5 events').waitFor();

    await page.getByRole('combobox', { name: 'Level' }).selectOption('error');
    await page.getByTestId('activity-count').getByText('2 of 5 events').waitFor();
    await page.getByRole('combobox', { name: 'Connection' }).selectOption('orders-db');
    await page.getByTestId('activity-count').getByText('1 of 5 events').waitFor();
    await page.getByRole('combobox', { name: 'Level' }).selectOption('all');
    await page.getByRole('searchbox', { name: 'Filter activity' }).fill('renewal');
    await page.getByTestId('activity-count').getByText('1 of 5 events').waitFor();
    await page.getByRole('searchbox', { name: 'Filter activity' }).fill('');
    await page.getByTestId('activity-count').getByText('3 of 5 events').waitFor();
    await shot(page, 'activity-light');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: /^Export 3 events/ }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^sesame-activity-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.json$/);
    const saved = await download.path();
    const exported = JSON.parse(await readFile(saved, 'utf8')) as ActivityEvent[];
    expect(exported.map((e) => e.id)).toEqual(['5', '2', '1']);
    expect(exported[0]).toEqual(events[4]);
    expect(ui.errors).toEqual([]);
  });

  it('names client processes, filters by process and connection, and exports the process', async () => {
    const psqlEvent: ActivityEvent = {
      ...activity('6', 'info', 'client psql (pid 4242) disconnected (120 bytes sent, 900 bytes received)', 'orders-db'),
      kind: 'client-disconnected',
      client: '127.0.0.1:50412',
      process: { pid: 4242, name: 'psql', exe: '/usr/bin/psql' },
    };
    const dbeaver: ActivityEvent = {
      ...activity('7', 'info', 'DBeaver (pid 77) connected from 127.0.0.1:50413', 'orders-db'),
      kind: 'client-connected',
      client: '127.0.0.1:50413',
      process: { pid: 77, name: 'DBeaver' },
    };
    const unknown: ActivityEvent = {
      ...activity('8', 'info', 'client 127.0.0.1:50414 connected', 'bastion'),
      kind: 'client-connected',
      client: '127.0.0.1:50414',
    };
    for (const event of [psqlEvent, dbeaver, unknown]) ui.host.emit({ event: 'activity', payload: event });
    await page.getByRole('tab', { name: 'Activity' }).click();
    await page.getByRole('combobox', { name: 'Connection' }).selectOption('all');
    // The process names the client; the address is the secondary detail.
    const item = page.getByTestId('activity-item').filter({ hasText: 'psql (pid 4242)' });
    await item.getByText('127.0.0.1:50412').waitFor();

    const processes = page.getByRole('combobox', { name: 'Client process' });
    expect(await processes.locator('option').allTextContents()).toEqual(['All client processes', 'DBeaver', 'psql']);
    await processes.focus();
    await page.keyboard.press('ArrowDown'); // keyboard alone picks a process
    await page
      .getByTestId('activity-count')
      .getByText(/^1 of \d+ events$/)
      .waitFor();
    expect(await processes.inputValue()).toBe('DBeaver');
    await processes.selectOption('psql');
    await page
      .getByTestId('activity-count')
      .getByText(/^1 of \d+ events$/)
      .waitFor();
    await page.getByRole('combobox', { name: 'Connection' }).selectOption('bastion');
    await page.getByText('No event matches this filter.').waitFor();
    await page.getByRole('combobox', { name: 'Connection' }).selectOption('orders-db');
    await shot(page, 'activity-process');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: /^Export 1 event/ }).click(),
    ]);
    const exported = JSON.parse(await readFile(await download.path(), 'utf8')) as ActivityEvent[];
    expect(exported).toEqual([psqlEvent]);
    await processes.selectOption('all');
    expect(ui.errors).toEqual([]);
  });
});

describe('the settings tab', () => {
  it('shows the config file, Vault, the agent and GUI choices, and reloads the file', async () => {
    await page.getByRole('tab', { name: 'Settings' }).click();
    const panel = page.getByRole('tabpanel', { name: 'Settings' });
    await panel.getByText('/tmp/sesame/config.yaml').first().waitFor();
    await panel.getByText('VAULT_AGENT_ADDR=http://127.0.0.1:8100', { exact: true }).first().waitFor();
    expect(await panel.getByLabel('Agent listener').inputValue()).toBe('127.0.0.1:8100');
    // TCP is said plainly to be shared; a unix socket is private, with the address tools use.
    await panel
      .getByTestId('agent-shared-warning')
      .getByText(/Every local user on this computer can use your Vault session/)
      .waitFor();
    await panel.getByLabel('Agent listener').fill('unix:/run/user/1000/sesame/agent.sock');
    await panel.getByText('VAULT_AGENT_ADDR=unix:///run/user/1000/sesame/agent.sock').waitFor();
    expect(await panel.getByTestId('agent-shared-warning').count()).toBe(0);
    await panel.getByLabel('Agent listener').fill('127.0.0.1:8100');
    expect(await panel.getByLabel('Token sink').inputValue()).toBe('~/.vault-token');
    await panel.getByText('not available in this mode').waitFor();
    await panel.getByRole('button', { name: 'Reload config file' }).click();
    await panel.getByRole('status').getByText('Reloaded: no connection changed.').waitFor();
    await shot(page, 'settings-light');
  });

  it('checks edits before sending, and puts the host’s refusal next to the field', async () => {
    await page.getByRole('tab', { name: 'Settings' }).click();
    const panel = page.getByRole('tabpanel', { name: 'Settings' });
    const save = panel.getByRole('button', { name: 'Save Vault settings' });
    expect(await save.isDisabled()).toBe(true); // nothing changed yet
    const address = panel.getByLabel('Vault address');
    await address.fill('vault');
    await panel.getByText('expected an http(s) URL').waitFor();
    await address.fill('http://127.0.0.1:1');
    await panel.getByTestId('vault-check').getByText('nothing is listening there').waitFor();
    expect(await save.isDisabled()).toBe(true); // Vault must answer before it is saved

    const listener = panel.getByLabel('Agent listener');
    await listener.fill('10.0.0.5:8100');
    await panel.getByRole('button', { name: 'Save agent settings' }).click();
    await panel.getByText('Use a loopback address').waitFor();
    await listener.fill('127.0.0.1:1');
    await panel.getByRole('button', { name: 'Save agent settings' }).click();
    await panel.getByText('127.0.0.1:1 is already in use by another program').waitFor();
    expect(await listener.getAttribute('aria-invalid')).toBe('true');

    await panel.getByLabel('Open reports-db in').selectOption('dbeaver');
    await panel.getByRole('form', { name: 'reports-db' }).getByRole('button', { name: 'Save', exact: true }).click();
    await panel.getByText('cannot be written right now').waitFor();
    await panel.getByLabel('Open orders-db in').selectOption('tableplus');
    await panel.getByRole('form', { name: 'orders-db' }).getByRole('button', { name: 'Save', exact: true }).click();
    await panel.getByRole('status').getByText('Saved.').waitFor();
    expect(await panel.getByLabel('Open orders-db in').inputValue()).toBe('tableplus');
    await shot(page, 'settings-edits');
    await page.setViewportSize({ width: 360, height: 800 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot(page, 'settings-360-dark');
    expect(await horizontalOverflow(page)).toBe(0);
    expect(ui.errors).toEqual([]);
  });
});
