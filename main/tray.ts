// The tray icon: picks the icon file for the state and platform, and keeps icon, tooltip and
// menu in step with the view mirror. Electron's Tray, Menu and nativeImage come in as
// parameters, so this runs (and is tested) without Electron.
import path from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import { buildTrayMenuTemplate, trayStateFor, trayTooltip, type TrayActions, type TrayState } from './tray-menu';
import type { ViewMirror, ViewSnapshot } from './view-mirror';

/** The parts of Electron's Tray this module uses. */
export interface TrayLike<Image> {
  setImage(image: Image): void;
  setToolTip(text: string): void;
  setContextMenu(menu: unknown): void;
  on(event: 'click', listener: () => void): unknown;
  destroy(): void;
}

export interface TrayDeps<Image> {
  Tray: new (image: Image) => TrayLike<Image>;
  Menu: { buildFromTemplate(template: MenuItemConstructorOptions[]): unknown };
  nativeImage: { createFromPath(path: string): Image };
}

export interface IconChoice {
  platform: NodeJS.Platform;
  /** True when the panel behind the icon is dark (then the icon is drawn light). */
  darkPanel: boolean;
}

/**
 * The icon file (in assets/tray) for a state. macOS gets template images, which the menu bar
 * tints itself; Windows' taskbar uses 16 px, Linux panels 22 px. Electron loads the `@2x`
 * file beside each on high-density screens.
 */
export function trayIconFile(state: TrayState, { platform, darkPanel }: IconChoice): string {
  if (platform === 'darwin') return `tray-${state}Template.png`;
  const variant = darkPanel ? 'dark' : 'light';
  return `tray-${state}-${variant}-${platform === 'win32' ? 16 : 22}.png`;
}

export interface ShellTrayOptions {
  iconsDir: string;
  platform: NodeJS.Platform;
  darkPanel: () => boolean;
  actions: TrayActions;
  /** Current start-at-login setting, or undefined where the OS offers none. */
  startAtLogin: () => boolean | undefined;
  now?: () => Date;
}

export interface ShellTray {
  render(snapshot: ViewSnapshot): void;
  destroy(): void;
}

export function createTray<Image>(deps: TrayDeps<Image>, options: ShellTrayOptions): ShellTray {
  const now = options.now ?? (() => new Date());
  const images = new Map<string, Image>();
  const image = (file: string) => {
    if (!images.has(file)) images.set(file, deps.nativeImage.createFromPath(path.join(options.iconsDir, file)));
    return images.get(file) as Image;
  };
  const iconFor = (state: TrayState) =>
    trayIconFile(state, { platform: options.platform, darkPanel: options.darkPanel() });

  let shownIcon = iconFor('logged-out');
  const tray = new deps.Tray(image(shownIcon));
  // Windows opens the window on a left click; macOS and Linux show the menu instead.
  tray.on('click', () => options.actions.showWindow());

  return {
    render({ session, connections }) {
      const icon = iconFor(trayStateFor(session, connections));
      if (icon !== shownIcon) {
        tray.setImage(image(icon));
        shownIcon = icon;
      }
      const at = now();
      tray.setToolTip(trayTooltip(session, connections, at));
      const startAtLogin = options.startAtLogin();
      const template = buildTrayMenuTemplate(session, connections, options.actions, {
        now: at,
        ...(startAtLogin === undefined ? {} : { startAtLogin }),
      });
      tray.setContextMenu(deps.Menu.buildFromTemplate(template));
    },
    destroy() {
      tray.destroy();
    },
  };
}

/**
 * Render the tray now and on every change of the mirror, and once a minute so the expiry in
 * the menu stays current. Returns the function that stops it.
 */
export function followMirror(mirror: ViewMirror, tray: ShellTray, refreshMs = 60_000): () => void {
  tray.render(mirror.current());
  const stop = mirror.onChange((next) => tray.render(next));
  const timer = setInterval(() => tray.render(mirror.current()), refreshMs);
  timer.unref();
  return () => {
    stop();
    clearInterval(timer);
  };
}
