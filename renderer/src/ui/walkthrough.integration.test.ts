// The real renderer build, served by the real bridge over an in-memory host, driven in
// Chromium: log in, toggle a connection, use the address the row shows. Screenshots (light,
// dark, 360 px) are kept in test-results/renderer-ui/ as artifacts to look at.
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BrowserBridge } from '../../../app/bridge';
import type { MemoryHost } from '../../../app/bridge/testing/memory-host';
import { openUi, SHOTS, startUiRig, type UiPage, type UiRig } from '../../../app/bridge/testing/ui-harness';

const VAULT_TOKEN = 'hvs.ui-test-token-0123456789';
const OIDC_URL = 'http://127.0.0.1:9/oidc/auth?client_id=sesame&state=abc';

let rig: UiRig;
let ui: UiPage;
let host: MemoryHost;
let bridge: BrowserBridge;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];

beforeAll(async () => {
  rig = await startUiRig();
});

afterAll(async () => {
  await rig?.stop();
});

beforeEach(async () => {
  ui = await openUi(
    rig,
    {
      token: VAULT_TOKEN,
      oidcUrl: OIDC_URL,
      connections: [
        {
          name: 'orders-db',
          protocol: 'postgres',
          target: 'db.internal:5432',
          credentialPath: 'secret/data/orders-db',
        },
        { name: 'bastion', protocol: 'ssh', target: 'bastion.internal:22' },
        { name: 'billing-mysql', protocol: 'mysql', target: 'billing.internal:3306' },
      ],
    },
    { width: 900, height: 900 },
    { open: false },
  );
  ({ host, bridge, context, page, errors: pageErrors } = ui);
});

afterEach(async () => {
  await ui?.close();
});

const row = (name: string) => page.getByTestId(`connection-${name}`);
const rowInState = (name: string, state: string) =>
  page.waitForSelector(`[data-testid="connection-${name}"][data-state="${state}"]`);

async function logInWithToken(token: string): Promise<void> {
  await page.getByRole('radio', { name: 'Token' }).check();
  await page.getByLabel('Vault token').fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
}

function canConnect(address: string): Promise<boolean> {
  const [hostname, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('the renderer in browser mode', () => {
  it('logs in, turns a connection on and off, and shows where to connect', async () => {
    await page.goto(bridge.url);
    expect(new URL(page.url()).search).toBe('');
    await page.getByRole('heading', { name: 'Log in to Vault' }).waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'login-light.png'), fullPage: true, animations: 'disabled' });

    await logInWithToken('hvs.wrong-token-value');
    await page.getByRole('alert').filter({ hasText: 'Permission denied' }).waitFor();
    await page.getByLabel('Vault token').fill('');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('Vault token is required.').waitFor();

    await logInWithToken(VAULT_TOKEN);
    await page.waitForSelector('[data-testid="session-state"][data-state="authenticated"]');
    expect(await page.getByRole('heading', { name: 'Log in to Vault' }).count()).toBe(0);

    await page.getByRole('switch', { name: 'orders-db', exact: true }).click();
    await rowInState('orders-db', 'ready');
    expect(await page.getByRole('switch', { name: 'orders-db', exact: true }).getAttribute('aria-checked')).toBe(
      'true',
    );
    const address = (await row('orders-db').getByTestId('listen-address').textContent()) ?? '';
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await canConnect(address)).toBe(true);
    await page
      .locator('.activity-list')
      .getByText(/is listening on/)
      .waitFor();

    host.emit({
      event: 'connection.changed',
      payload: {
        name: 'bastion',
        protocol: 'ssh',
        state: 'error',
        listen: '127.0.0.1:2222',
        target: 'bastion.internal:22',
        error: 'Port 2222 is already in use by another program.',
        stats: { activeClients: 0, sessionsServed: 0, bytesToTarget: 0, bytesToClient: 0 },
      },
    });
    await rowInState('bastion', 'error');
    await row('bastion').getByText('already in use').waitFor();

    await page.screenshot({ path: path.join(SHOTS, 'connections-light.png'), fullPage: true, animations: 'disabled' });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: path.join(SHOTS, 'connections-dark.png'), fullPage: true, animations: 'disabled' });
    await page.setViewportSize({ width: 360, height: 800 });
    await page.screenshot({
      path: path.join(SHOTS, 'connections-360-dark.png'),
      fullPage: true,
      animations: 'disabled',
    });

    await page.getByRole('switch', { name: 'orders-db', exact: true }).click();
    await rowInState('orders-db', 'off');
    expect(await canConnect(address)).toBe(false);
    expect(pageErrors).toEqual([]);
  });

  it('shows where to continue an OIDC login, and cancels it', async () => {
    await page.goto(bridge.url);
    await page.getByRole('button', { name: 'Continue with OIDC' }).click();
    await page.getByRole('heading', { name: 'Continue in your browser' }).waitFor();
    expect(await page.getByRole('textbox', { name: 'Sign-in address' }).inputValue()).toBe(OIDC_URL);
    await page.setViewportSize({ width: 360, height: 700 });
    await page.screenshot({ path: path.join(SHOTS, 'oidc-360-light.png'), fullPage: true, animations: 'disabled' });
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('heading', { name: 'Log in to Vault' }).waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('is keyboard operable: focus follows login and logout; the switch toggles with Space', async () => {
    const focused = () => page.evaluate('document.activeElement && document.activeElement.textContent');
    await page.goto(bridge.url);
    await page.getByRole('heading', { name: 'Log in to Vault' }).waitFor();
    expect(await focused()).toBe('Log in to Vault');
    await logInWithToken(VAULT_TOKEN);
    await page.waitForSelector('[data-testid="session-state"][data-state="authenticated"]');
    // Not <body>: where the work is.
    await expect.poll(focused).toBe('Connections');
    const toggle = page.getByRole('switch', { name: 'billing-mysql', exact: true });
    await toggle.focus();
    await page.keyboard.press('Space');
    await rowInState('billing-mysql', 'ready');

    await page.getByRole('button', { name: /^Log out/ }).click();
    const confirm = page.getByRole('dialog');
    if (await confirm.count()) await confirm.getByRole('button', { name: /Log out/ }).click();
    await page.getByRole('heading', { name: 'Log in to Vault' }).waitFor();
    await expect.poll(focused).toBe('Log in to Vault');
  });

  it('says so when the host goes away', async () => {
    await page.goto(bridge.url);
    await page.getByRole('heading', { name: 'Log in to Vault' }).waitFor();
    await bridge.close();
    await page.getByTestId('link-banner').getByText('Disconnected from Sesame').waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'disconnected-light.png'), animations: 'disabled' });
  });

  it('refuses the API socket to a page of another origin, even with the session cookie in the browser', async () => {
    await page.goto(bridge.url);
    await page.getByRole('heading', { name: 'Log in to Vault' }).waitFor();
    const foreign: Server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><title>foreign</title>');
    });
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    try {
      const port = (foreign.address() as { port: number }).port;
      const attacker = await context.newPage();
      await attacker.goto(`http://127.0.0.1:${port}/`);
      const outcome = await attacker.evaluate(
        (target) =>
          new Promise<string>((resolve) => {
            const ws = new WebSocket(target);
            ws.onopen = () => resolve('opened');
            ws.onclose = () => resolve('refused');
          }),
        `ws://127.0.0.1:${bridge.port}/api`,
      );
      expect(outcome).toBe('refused');
    } finally {
      await new Promise<void>((resolve) => foreign.close(() => resolve()));
    }
  });
});
