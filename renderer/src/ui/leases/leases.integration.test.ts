// Leases & cache in Chromium, over the real bridge and the memory host holding 10,000 entries:
// the table keeps only a window of rows in the DOM and still reaches the last one, TTLs fall,
// every action asks first, a refusal shows in the dialog, filters narrow the rows.
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LeaseView } from '../../../../app/api';
import { sampleLeases } from '../../../../app/bridge/testing/memory-leases';
import {
  horizontalOverflow,
  openUi,
  shot,
  startUiRig,
  type UiPage,
  type UiRig,
} from '../../../../app/bridge/testing/ui-harness';

const TOKEN = 'hvs.ui-leases-token-0123456789';
const COUNT = 10_000;

let rig: UiRig;
let ui: UiPage;
let page: Page;
let leases: LeaseView[];

beforeAll(async () => {
  rig = await startUiRig();
});

afterAll(async () => {
  await rig?.stop();
});

beforeEach(async () => {
  leases = sampleLeases(COUNT);
  ui = await openUi(rig, {
    token: TOKEN,
    authenticated: true,
    connections: [{ name: 'orders-db', protocol: 'postgres', target: 'db.internal:5432' }],
    leases,
  });
  page = ui.page;
  await page.getByRole('tab', { name: 'Leases & cache' }).click();
  await page.getByTestId('lease-count').getByText('10,000 entries').waitFor();
});

afterEach(async () => {
  await ui?.close();
});

const at = (index: number) => leases[index] as LeaseView;
const rowOf = (id: string) => page.locator(`[data-testid="lease-row"][data-lease-id="${id}"]`);
const rowCount = () => page.getByTestId('lease-row').count();

describe('the leases & cache tab', () => {
  it('renders 10,000 entries as a window of rows and reaches the last one by keyboard', async () => {
    const first = rowOf(at(0).id);
    await first.waitFor();
    const inDom = await rowCount();
    expect(inDom).toBeGreaterThan(5);
    expect(inDom).toBeLessThan(100);
    expect(await page.getByRole('table').getAttribute('aria-rowcount')).toBe(String(COUNT + 1));
    const last = at(COUNT - 1);
    expect(await rowOf(last.id).count()).toBe(0);
    await shot(page, 'leases-light');

    await page.getByTestId('lease-scroll').focus();
    await page.keyboard.press('End');
    await rowOf(last.id).waitFor({ state: 'visible' });
    expect(await rowOf(last.id).getAttribute('aria-rowindex')).toBe(String(COUNT + 1));
    expect(await rowCount()).toBeLessThan(100);
    expect(await first.count()).toBe(0);
    expect(ui.errors).toEqual([]);
  });

  it('counts every TTL down on the local clock', async () => {
    const ttl = rowOf(at(1).id).getByTestId('lease-ttl');
    const before = Number(await ttl.getAttribute('data-seconds'));
    expect(before).toBeGreaterThan(60);
    // Read again until the countdown has moved below where it started (it ticks every second).
    await expect
      .poll(async () => Number(await ttl.getAttribute('data-seconds')), { timeout: 15_000, interval: 200 })
      .toBeLessThan(before);
    expect(await ttl.textContent()).toMatch(/^\d+m \d{2}s$/);
  });

  it('evicts a row only after the confirmation, and keeps it under "Show ended" until the host drops it', async () => {
    const lease = at(1);
    const row = rowOf(lease.id);
    await row.getByRole('button', { name: /^Evict / }).click();
    const dialog = page.getByRole('dialog', { name: 'Evict from the cache?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await row.count()).toBe(1);

    await row.getByRole('button', { name: /^Evict / }).click();
    await dialog.getByText(lease.path).first().waitFor();
    await shot(page, 'leases-confirm-light');
    await dialog.getByRole('button', { name: 'Evict' }).click();
    await row.waitFor({ state: 'detached' });
    await page.getByTestId('lease-count').getByText('9,999 entries').waitFor();

    await page.getByRole('checkbox', { name: 'Show ended' }).check();
    await page.locator(`[data-lease-id="${lease.id}"][data-state="evicted"]`).waitFor();
    ui.host.emit({ event: 'lease.removed', payload: { id: lease.id } });
    await row.waitFor({ state: 'detached' });
    expect(ui.errors).toEqual([]);
  });

  it('shows the host refusal inside the dialog, and renews at once (renewing destroys nothing: no question)', async () => {
    const lease = at(2);
    await rowOf(lease.id)
      .getByRole('button', { name: /^Revoke / })
      .click();
    const dialog = page.getByRole('dialog', { name: 'Revoke at Vault?' });
    await dialog.waitFor();
    // The agent revokes it meanwhile: the user's confirmation now comes too late.
    await ui.host.call('leases.revoke', { id: lease.id });
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await dialog.getByRole('alert').getByText('already been revoked').waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    const renewable = at(4);
    expect(renewable.renewals).toBe(0);
    await rowOf(renewable.id)
      .getByRole('button', { name: /^Renew / })
      .click();
    await rowOf(renewable.id).locator('.lease-renewals').getByText('1').waitFor();
    expect(await page.getByRole('dialog').count()).toBe(0);
  });

  it('filters by text and by kind', async () => {
    await page.getByRole('searchbox', { name: 'Filter leases' }).fill('config-0000');
    await page.getByTestId('lease-count').getByText('3 of 10,000 entries').waitFor();
    expect(await rowCount()).toBe(3);
    for (const id of [at(3).id, at(6).id, at(9).id]) expect(await rowOf(id).count()).toBe(1);

    await page.getByRole('searchbox', { name: 'Filter leases' }).fill('');
    await page.getByRole('radio', { name: /^Tokens/ }).check();
    await page.getByTestId('lease-count').getByText('1,000 of 10,000 entries').waitFor();
    const kinds = await page
      .getByTestId('lease-row')
      .evaluateAll((rows) => [...new Set(rows.map((r) => r.getAttribute('data-kind')))]);
    expect(kinds).toEqual(['token']);
  });

  it('clears the cache after confirming, keeping the session token', async () => {
    await page.getByRole('button', { name: 'Clear cache…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Clear the whole cache?' });
    await dialog.getByText('9,999 cached entries').waitFor();
    await dialog.getByRole('button', { name: 'Clear cache' }).click();
    await page.getByRole('status').getByText('Evicted 9,999 cached entries.').waitFor();
    await page.getByTestId('lease-count').getByText('1 entry').waitFor();
    expect(await rowOf(at(0).id).count()).toBe(1);
  });

  it('shows the session token and renews it', async () => {
    const panel = page.getByTestId('session-panel');
    await panel.getByText('accessor-7f3a').waitFor();
    await panel.getByRole('list', { name: 'Policies' }).getByText('developer').waitFor();
    await panel.getByRole('button', { name: 'Renew token' }).click();
    await page.getByRole('tab', { name: 'Activity' }).click();
    await page.getByText('Renewed the Vault token.').waitFor();
  });

  it('looks right dark and at 360 px', async () => {
    await rowOf(at(0).id).waitFor();
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot(page, 'leases-dark');
    await page.setViewportSize({ width: 360, height: 780 });
    await rowOf(at(0).id).waitFor();
    await shot(page, 'leases-360-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await shot(page, 'leases-360-light');
    // Nothing sticks out of the narrow window.
    expect(await horizontalOverflow(page)).toBe(0);
    expect(ui.errors).toEqual([]);
  });
});
