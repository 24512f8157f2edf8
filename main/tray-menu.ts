// What the tray shows, as pure functions of the AppApi views: the icon state, the tooltip and
// the menu template. No Electron here beyond the template's type, so all of it is unit tested.
import type { MenuItemConstructorOptions } from 'electron';
import type { ConnectionView, SessionView } from '../app/api';

export type TrayState = 'logged-out' | 'ok' | 'attention' | 'error';
export const TRAY_STATES: readonly TrayState[] = ['logged-out', 'ok', 'attention', 'error'];

/**
 * The worst state that needs the user's attention, at a glance: a broken session or a failed
 * connection (error: a red cross), then a login needed — no session, or one that has ended
 * (logged-out: the hollow lock) — then a session about to end (attention: an amber dot).
 */
export function trayStateFor(session: SessionView, connections: readonly ConnectionView[]): TrayState {
  if (session.state === 'error' || connections.some((c) => c.state === 'error')) return 'error';
  if (session.state === 'logged-out' || session.state === 'logging-in' || session.state === 'expired')
    return 'logged-out';
  if (session.state === 'expiring' || connections.some((c) => c.offline)) return 'attention';
  return 'ok';
}

/**
 * "Vault is not answering — working from cache: 2 of 3 connections keep working (until 14:05)":
 * the tray's offline indicator; undefined while Vault answers (no connection carries `offline`).
 */
export function offlineLine(connections: readonly ConnectionView[], now: Date): string | undefined {
  const affected = connections.filter((c) => c.offline);
  if (affected.length === 0) return undefined;
  const working = affected.filter((c) => c.offline!.keepsWorking);
  const ends = working.map((c) => c.offline!.until).filter((until): until is string => until !== undefined);
  const soonest = ends.sort()[0];
  const left = soonest ? timeUntil(soonest, now) : undefined;
  return `Vault is not answering — working from cache: ${working.length} of ${affected.length} connection${
    affected.length === 1 ? '' : 's'
  } keep working${left ? ` (the first stops in ${left})` : ''}`;
}

/** "1h 20m", "4m", "45s": how long until `iso`, from `now`. */
export function timeUntil(iso: string, now: Date): string | undefined {
  const ms = Date.parse(iso) - now.getTime();
  if (!Number.isFinite(ms)) return undefined;
  if (ms <= 0) return 'now';
  const totalSeconds = Math.floor(ms / 1000);
  const days = Math.floor(totalSeconds / 86_400);
  const hours = Math.floor((totalSeconds % 86_400) / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  if (days > 0) return hours > 0 ? `${days}d ${hours}h` : `${days}d`;
  if (hours > 0) return minutes > 0 ? `${hours}h ${minutes}m` : `${hours}h`;
  if (minutes > 0) return `${minutes}m`;
  return `${totalSeconds}s`;
}

/** The one-line summary of the session, for the menu and the tooltip. */
export function sessionLine(session: SessionView, now: Date): string {
  const who = session.displayName ? ` as ${session.displayName}` : '';
  const left = session.expiresAt ? timeUntil(session.expiresAt, now) : undefined;
  switch (session.state) {
    case 'logged-out':
      return 'Not logged in to Vault';
    case 'logging-in':
      return 'Logging in to Vault…';
    case 'authenticated':
    case 'renewing':
      return left ? `Logged in${who} · expires in ${left}` : `Logged in${who} · no expiry`;
    case 'expiring':
      return left ? `Session expiring in ${left}` : 'Session expiring';
    case 'expired':
      return 'Session expired — log in again';
    case 'error':
      return session.error ? `Session error: ${session.error}` : 'Session error';
  }
}

const CONNECTION_STATE: Record<ConnectionView['state'], string> = {
  off: 'Off',
  starting: 'Starting…',
  ready: 'Ready',
  error: 'Error',
};

/** "Ready · 2 clients", "Error: password field missing", "Off". */
export function connectionStateLine(connection: ConnectionView): string {
  if (connection.state === 'error') return connection.error ? `Error: ${connection.error}` : 'Error';
  if (connection.state === 'ready') {
    const n = connection.stats.activeClients;
    return n > 0 ? `Ready · ${n} client${n === 1 ? '' : 's'}` : 'Ready';
  }
  return CONNECTION_STATE[connection.state];
}

export function trayTooltip(session: SessionView, connections: readonly ConnectionView[], now: Date): string {
  const ready = connections.filter((c) => c.state === 'ready').length;
  const failed = connections.filter((c) => c.state === 'error').length;
  const parts = [`Sesame — ${sessionLine(session, now)}`];
  const waiting = session.waiting?.length ?? 0;
  if (waiting > 0) parts.push(`${waiting === 1 ? '1 client is' : `${waiting} clients are`} waiting for you to log in`);
  const offline = offlineLine(connections, now);
  if (offline) parts.push(offline);
  if (connections.length > 0)
    parts.push(`${ready} of ${connections.length} connections on${failed ? `, ${failed} failed` : ''}`);
  return parts.join('\n');
}

const DATABASES: ReadonlySet<ConnectionView['protocol']> = new Set(['postgres', 'mysql']);

export interface TrayActions {
  showWindow(): void;
  login(): void;
  logout(): void;
  copyAddress(connection: ConnectionView): void;
  setEnabled(name: string, enabled: boolean): void;
  openGui(connection: ConnectionView): void;
  openTerminal(connection: ConnectionView): void;
  setStartAtLogin(enabled: boolean): void;
  quit(): void;
}

export interface TrayMenuOptions {
  now: Date;
  /** Current value of the start-at-login setting; omitted where the OS offers none. */
  startAtLogin?: boolean;
}

// Menu labels treat '&' as a mnemonic marker on Windows/Linux; a name must show as written.
const literal = (text: string) => text.replace(/&/g, '&&');

function connectionMenu(connection: ConnectionView, actions: TrayActions): MenuItemConstructorOptions {
  const on = connection.state === 'ready' || connection.state === 'starting';
  const items: MenuItemConstructorOptions[] = [
    { label: literal(connectionStateLine(connection)), enabled: false },
    { label: literal(`Local address: ${connection.listen}`), enabled: false },
    ...(connection.offline
      ? [
          {
            label: literal(
              connection.offline.keepsWorking
                ? `Working from cache${connection.offline.until ? ` until ${new Date(connection.offline.until).toLocaleTimeString()}` : ''}`
                : 'New clients fail while Vault is not answering',
            ),
            enabled: false,
          },
        ]
      : []),
    { label: 'Copy address', enabled: connection.listen !== '', click: () => actions.copyAddress(connection) },
    { type: 'separator' },
  ];
  if (connection.state === 'error') {
    items.push({ label: 'Retry', click: () => actions.setEnabled(connection.name, true) });
    items.push({ label: 'Turn off', click: () => actions.setEnabled(connection.name, false) });
  } else {
    items.push({ label: on ? 'Turn off' : 'Turn on', click: () => actions.setEnabled(connection.name, !on) });
  }
  if (DATABASES.has(connection.protocol)) {
    items.push({
      label: 'Open in GUI',
      enabled: connection.state === 'ready',
      click: () => actions.openGui(connection),
    });
  } else if (connection.protocol === 'ssh') {
    items.push({
      label: 'Open terminal',
      enabled: connection.state === 'ready',
      click: () => actions.openTerminal(connection),
    });
  }
  return { label: literal(`${connection.name} — ${CONNECTION_STATE[connection.state]}`), submenu: items };
}

export function buildTrayMenuTemplate(
  session: SessionView,
  connections: readonly ConnectionView[],
  actions: TrayActions,
  options: TrayMenuOptions,
): MenuItemConstructorOptions[] {
  const loggedIn = session.state === 'authenticated' || session.state === 'renewing' || session.state === 'expiring';
  const offline = offlineLine(connections, options.now);
  const template: MenuItemConstructorOptions[] = [
    { label: literal(sessionLine(session, options.now)), enabled: false },
    ...(offline ? [{ label: literal(offline), enabled: false }] : []),
    // Who is held until the login: the client and its connection, so the user knows why to log in now.
    ...(session.waiting ?? []).map((w): MenuItemConstructorOptions => ({
      label: literal(`${w.client} on ${w.connection} is waiting`),
      enabled: false,
    })),
    loggedIn
      ? { label: 'Log out', click: () => actions.logout() }
      : { label: 'Log in…', enabled: session.state !== 'logging-in', click: () => actions.login() },
    { type: 'separator' },
  ];
  if (connections.length === 0) {
    template.push({ label: 'No connections configured', enabled: false });
  } else {
    for (const connection of connections) template.push(connectionMenu(connection, actions));
  }
  template.push({ type: 'separator' }, { label: 'Open Sesame', click: () => actions.showWindow() });
  if (options.startAtLogin !== undefined) {
    const current = options.startAtLogin;
    template.push({
      label: 'Start at login',
      type: 'checkbox',
      checked: current,
      click: () => actions.setStartAtLogin(!current),
    });
  }
  template.push({ type: 'separator' }, { label: 'Quit Sesame', click: () => actions.quit() });
  return template;
}
