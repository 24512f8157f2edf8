import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import type { ConnectionView, SessionView } from '../app/api';
import { buildTrayMenuTemplate, sessionLine, trayStateFor, trayTooltip, type TrayActions } from './tray-menu';

const NOW = new Date('2030-01-01T12:00:00Z');
const stats = { activeClients: 0, sessionsServed: 0, bytesToTarget: 0, bytesToClient: 0 };

function session(overrides: Partial<SessionView> = {}): SessionView {
  return { state: 'authenticated', vaultAddress: 'http://127.0.0.1:8200', policies: ['dev'], ...overrides };
}

function connection(overrides: Partial<ConnectionView> & { name: string }): ConnectionView {
  return {
    protocol: 'postgres',
    state: 'off',
    listen: '127.0.0.1:15432',
    target: 'db.internal:5432',
    stats,
    ...overrides,
  };
}

/** Records which action a click ran, with its argument. */
function recordingActions() {
  const calls: string[] = [];
  const actions: TrayActions = {
    showWindow: () => calls.push('showWindow'),
    login: () => calls.push('login'),
    logout: () => calls.push('logout'),
    copyAddress: (c) => calls.push(`copyAddress ${c.listen}`),
    setEnabled: (name, enabled) => calls.push(`setEnabled ${name} ${enabled}`),
    openGui: (c) => calls.push(`openGui ${c.name}`),
    openTerminal: (c) => calls.push(`openTerminal ${c.name}`),
    setStartAtLogin: (enabled) => calls.push(`setStartAtLogin ${enabled}`),
    quit: () => calls.push('quit'),
  };
  return { actions, calls };
}

const labels = (items: MenuItemConstructorOptions[]) => items.map((i) => (i.type === 'separator' ? '---' : i.label));
const item = (items: MenuItemConstructorOptions[], label: string) => {
  const found = items.find((i) => i.label === label);
  if (!found) throw new Error(`no menu item '${label}' in ${JSON.stringify(labels(items))}`);
  return found;
};
const click = (entry: MenuItemConstructorOptions) => (entry.click as () => void)();
const submenu = (entry: MenuItemConstructorOptions) => entry.submenu as MenuItemConstructorOptions[];

describe('trayStateFor', () => {
  const ready = connection({ name: 'orders', state: 'ready' });
  const broken = connection({ name: 'billing', state: 'error', error: 'password field missing' });

  it('is logged-out without a session, and while logging in', () => {
    expect(trayStateFor(session({ state: 'logged-out' }), [])).toBe('logged-out');
    expect(trayStateFor(session({ state: 'logging-in' }), [ready])).toBe('logged-out');
  });

  it('is ok with a live session and no failing connection', () => {
    expect(trayStateFor(session(), [ready, connection({ name: 'idle' })])).toBe('ok');
    expect(trayStateFor(session({ state: 'renewing' }), [])).toBe('ok');
  });

  it('asks for attention when the session is expiring, and for a login once it has expired', () => {
    expect(trayStateFor(session({ state: 'expiring' }), [ready])).toBe('attention');
    expect(trayStateFor(session({ state: 'expired' }), [])).toBe('logged-out');
  });

  it('shows error, the worst state, for a failing connection or session whatever else holds', () => {
    expect(trayStateFor(session(), [ready, broken])).toBe('error');
    expect(trayStateFor(session({ state: 'expiring' }), [broken])).toBe('error');
    expect(trayStateFor(session({ state: 'logged-out' }), [broken])).toBe('error');
    expect(trayStateFor(session({ state: 'error', error: 'Vault is sealed' }), [])).toBe('error');
  });
});

describe('buildTrayMenuTemplate', () => {
  it('shows the session with its expiry and offers Log out', () => {
    const { actions, calls } = recordingActions();
    const menu = buildTrayMenuTemplate(
      session({ displayName: 'alice', expiresAt: '2030-01-01T13:20:00Z' }),
      [],
      actions,
      { now: NOW },
    );
    expect(labels(menu)).toEqual([
      'Logged in as alice · expires in 1h 20m',
      'Log out',
      '---',
      'No connections configured',
      '---',
      'Open Sesame',
      '---',
      'Quit Sesame',
    ]);
    expect(menu[0]!.enabled).toBe(false);
    click(item(menu, 'Log out'));
    click(item(menu, 'Open Sesame'));
    click(item(menu, 'Quit Sesame'));
    expect(calls).toEqual(['logout', 'showWindow', 'quit']);
  });

  it('offers Log in when logged out, expired or failed, and disables it while logging in', () => {
    const { actions, calls } = recordingActions();
    for (const state of ['logged-out', 'expired', 'error'] as const) {
      const menu = buildTrayMenuTemplate(session({ state }), [], actions, { now: NOW });
      click(item(menu, 'Log in…'));
    }
    expect(calls).toEqual(['login', 'login', 'login']);
    const pending = buildTrayMenuTemplate(session({ state: 'logging-in' }), [], actions, { now: NOW });
    expect(item(pending, 'Log in…').enabled).toBe(false);
    expect(pending[0]!.label).toBe('Logging in to Vault…');
  });

  it('names the clients waiting for a login, above Log in…, and counts them in the tooltip', () => {
    const { actions, calls } = recordingActions();
    const waiting = session({
      state: 'expired',
      waiting: [
        { connection: 'orders', client: 'psql (pid 4242)', since: NOW.toISOString() },
        { connection: 'shop', client: '127.0.0.1:53122', since: NOW.toISOString() },
      ],
    });
    const menu = buildTrayMenuTemplate(waiting, [], actions, { now: NOW });
    expect(labels(menu).slice(0, 4)).toEqual([
      'Session expired — log in again',
      'psql (pid 4242) on orders is waiting',
      '127.0.0.1:53122 on shop is waiting',
      'Log in…',
    ]);
    click(item(menu, 'Log in…'));
    expect(calls).toEqual(['login']);
    expect(trayTooltip(waiting, [], NOW)).toBe(
      'Sesame — Session expired — log in again\n2 clients are waiting for you to log in',
    );
  });

  it('gives each connection a submenu with its state, address and actions', () => {
    const { actions, calls } = recordingActions();
    const orders = connection({ name: 'orders-db', state: 'ready', stats: { ...stats, activeClients: 2 } });
    const bastion = connection({
      name: 'bastion',
      protocol: 'ssh',
      state: 'ready',
      listen: '127.0.0.1:2222',
      target: 'bastion:22',
    });
    const menu = buildTrayMenuTemplate(session(), [orders, bastion], actions, { now: NOW });

    const db = submenu(item(menu, 'orders-db — Ready'));
    expect(labels(db)).toEqual([
      'Ready · 2 clients',
      'Local address: 127.0.0.1:15432',
      'Copy address',
      '---',
      'Turn off',
      'Open in GUI',
    ]);
    click(item(db, 'Copy address'));
    click(item(db, 'Turn off'));
    click(item(db, 'Open in GUI'));

    const ssh = submenu(item(menu, 'bastion — Ready'));
    expect(labels(ssh)).toContain('Open terminal');
    expect(labels(ssh)).not.toContain('Open in GUI');
    click(item(ssh, 'Open terminal'));

    expect(calls).toEqual([
      'copyAddress 127.0.0.1:15432',
      'setEnabled orders-db false',
      'openGui orders-db',
      'openTerminal bastion',
    ]);
  });

  it('offers Turn on for an idle connection and keeps Open disabled until it is ready', () => {
    const { actions, calls } = recordingActions();
    const menu = buildTrayMenuTemplate(session(), [connection({ name: 'orders-db' })], actions, { now: NOW });
    const db = submenu(item(menu, 'orders-db — Off'));
    expect(item(db, 'Open in GUI').enabled).toBe(false);
    click(item(db, 'Turn on'));
    expect(calls).toEqual(['setEnabled orders-db true']);
  });

  it('shows why a connection failed and offers Retry and Turn off', () => {
    const { actions, calls } = recordingActions();
    const failed = connection({
      name: 'billing',
      protocol: 'mysql',
      state: 'error',
      error: "the secret has no 'password' key",
    });
    const menu = buildTrayMenuTemplate(session(), [failed], actions, { now: NOW });
    const entry = submenu(item(menu, 'billing — Error'));
    expect(entry[0]!.label).toBe("Error: the secret has no 'password' key");
    click(item(entry, 'Retry'));
    click(item(entry, 'Turn off'));
    expect(calls).toEqual(['setEnabled billing true', 'setEnabled billing false']);
  });

  it('shows a name with an ampersand as written (not as a mnemonic)', () => {
    const { actions } = recordingActions();
    const menu = buildTrayMenuTemplate(session(), [connection({ name: 'r&d' })], actions, { now: NOW });
    expect(labels(menu)).toContain('r&&d — Off');
  });

  it('shows the start-at-login setting as a checkbox that toggles it', () => {
    const { actions, calls } = recordingActions();
    const off = buildTrayMenuTemplate(session(), [], actions, { now: NOW, startAtLogin: false });
    expect(item(off, 'Start at login')).toMatchObject({ type: 'checkbox', checked: false });
    click(item(off, 'Start at login'));
    const on = buildTrayMenuTemplate(session(), [], actions, { now: NOW, startAtLogin: true });
    click(item(on, 'Start at login'));
    expect(calls).toEqual(['setStartAtLogin true', 'setStartAtLogin false']);
  });
});

describe('session line and tooltip', () => {
  it('says how long is left in plain units', () => {
    expect(sessionLine(session({ expiresAt: '2030-01-03T15:00:00Z' }), NOW)).toBe('Logged in · expires in 2d 3h');
    expect(sessionLine(session({ state: 'expiring', expiresAt: '2030-01-01T12:04:30Z' }), NOW)).toBe(
      'Session expiring in 4m',
    );
    expect(sessionLine(session({ expiresAt: undefined }), NOW)).toBe('Logged in · no expiry');
    expect(sessionLine(session({ state: 'error', error: 'Vault is sealed' }), NOW)).toBe(
      'Session error: Vault is sealed',
    );
  });

  it('sums up the connections', () => {
    const tip = trayTooltip(
      session({ state: 'logged-out' }),
      [connection({ name: 'a', state: 'ready' }), connection({ name: 'b', state: 'error' }), connection({ name: 'c' })],
      NOW,
    );
    expect(tip).toBe('Sesame — Not logged in to Vault\n1 of 3 connections on, 1 failed');
  });
});

describe('offline: Vault is not answering', () => {
  const cached = connection({
    name: 'orders',
    state: 'ready',
    offline: { keepsWorking: true, detail: 'the last value read from Vault keeps serving' },
  });
  const shared = connection({
    name: 'reports',
    state: 'ready',
    offline: {
      keepsWorking: true,
      until: '2030-01-01T12:40:00Z',
      detail: 'the shared database user keeps working until its lease ends',
    },
  });
  const perClient = connection({
    name: 'adhoc',
    state: 'ready',
    offline: { keepsWorking: false, detail: 'each client gets its own database user from Vault' },
  });

  it('says in the tooltip and atop the menu how many keep working from cache, and the first end', () => {
    const all = [cached, shared, perClient];
    expect(trayTooltip(session(), all, NOW)).toContain(
      'Vault is not answering — working from cache: 2 of 3 connections keep working (the first stops in 40m)',
    );
    const template = buildTrayMenuTemplate(session(), all, recordingActions().actions, { now: NOW });
    expect(template[1]?.label).toBe(
      'Vault is not answering — working from cache: 2 of 3 connections keep working (the first stops in 40m)',
    );
    expect(trayStateFor(session(), all)).toBe('attention');
  });

  it("says in each connection's submenu whether it works from cache or fails", () => {
    const template = buildTrayMenuTemplate(session(), [shared, perClient], recordingActions().actions, { now: NOW });
    const submenu = (name: string) =>
      (template.find((item) => item.label === `${name} — Ready`)!.submenu as MenuItemConstructorOptions[]).map(
        (item) => item.label,
      );
    expect(submenu('reports')).toContainEqual(expect.stringMatching(/^Working from cache until /));
    expect(submenu('adhoc')).toContain('New clients fail while Vault is not answering');
  });

  it('says nothing while Vault answers (no connection carries offline)', () => {
    const template = buildTrayMenuTemplate(
      session(),
      [connection({ name: 'orders', state: 'ready' })],
      recordingActions().actions,
      {
        now: NOW,
      },
    );
    expect(template.map((item) => item.label).join('\n')).not.toMatch(/not answering/);
    expect(trayStateFor(session(), [connection({ name: 'orders', state: 'ready' })])).toBe('ok');
  });
});
