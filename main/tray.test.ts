import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import type { ConnectionView, SessionView } from '../app/api';
import { createTray, trayIconFile } from './tray';
import { TRAY_STATES, type TrayActions } from './tray-menu';

const ICONS = path.resolve(import.meta.dirname, '../assets/tray');
const APP_ICONS = path.resolve(import.meta.dirname, '../assets/app');

/** Width, height and RGBA pixels of a PNG written by assets/generate-icons.mjs. */
function readPng(file: string) {
  const bytes = readFileSync(file);
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let offset = 8;
  let width = 0;
  let height = 0;
  const data: Buffer[] = [];
  while (offset < bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('ascii', offset + 4, offset + 8);
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      expect([body[8], body[9]]).toEqual([8, 6]); // 8-bit RGBA
    }
    if (type === 'IDAT') data.push(body);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(data));
  const pixels = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) raw.copy(pixels, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1));
  return { width, height, pixels };
}

describe('tray icons in assets/', () => {
  const choices = [
    { platform: 'darwin', darkPanel: false, size: 16 },
    { platform: 'win32', darkPanel: false, size: 16 },
    { platform: 'win32', darkPanel: true, size: 16 },
    { platform: 'linux', darkPanel: false, size: 22 },
    { platform: 'linux', darkPanel: true, size: 22 },
  ] as const;

  it.each(choices)(
    'exist for every state on $platform (dark panel: $darkPanel), at 1x and 2x',
    ({ platform, darkPanel, size }) => {
      for (const state of TRAY_STATES) {
        const file = path.join(ICONS, trayIconFile(state, { platform, darkPanel }));
        expect(readPng(file)).toMatchObject({ width: size, height: size });
        expect(readPng(file.replace(/\.png$/, '@2x.png'))).toMatchObject({ width: size * 2, height: size * 2 });
      }
    },
  );

  it('gives macOS template images that are black with alpha only', () => {
    for (const state of TRAY_STATES) {
      const { pixels } = readPng(path.join(ICONS, `tray-${state}Template@2x.png`));
      let opaque = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        if (pixels[i + 3] === 0) continue;
        opaque++;
        expect([pixels[i], pixels[i + 1], pixels[i + 2]]).toEqual([0, 0, 0]);
      }
      expect(opaque).toBeGreaterThan(100);
    }
  });

  it('draws each state differently, so the state is readable from the shape alone', () => {
    const alphaMasks = TRAY_STATES.map((state) => {
      const { pixels } = readPng(path.join(ICONS, `tray-${state}Template.png`));
      return Buffer.from(pixels.filter((_, i) => i % 4 === 3)).toString('hex');
    });
    expect(new Set(alphaMasks).size).toBe(TRAY_STATES.length);
  });

  it('has the app icon at 512 and 256 px', () => {
    expect(readPng(path.join(APP_ICONS, 'icon-512.png'))).toMatchObject({ width: 512, height: 512 });
    expect(readPng(path.join(APP_ICONS, 'icon-256.png'))).toMatchObject({ width: 256, height: 256 });
  });
});

/** A Tray stand-in that records what the shell asked of it. */
function fakeElectron() {
  const trays: FakeTray[] = [];
  class FakeTray {
    image: string;
    tooltip = '';
    menu: MenuItemConstructorOptions[] = [];
    destroyed = false;
    clickListeners: Array<() => void> = [];
    constructor(image: string) {
      this.image = image;
      trays.push(this);
    }
    setImage(image: string) {
      this.image = image;
    }
    setToolTip(text: string) {
      this.tooltip = text;
    }
    setContextMenu(menu: MenuItemConstructorOptions[]) {
      this.menu = menu;
    }
    on(_event: 'click', listener: () => void) {
      this.clickListeners.push(listener);
    }
    destroy() {
      this.destroyed = true;
    }
  }
  return {
    trays,
    deps: {
      Tray: FakeTray,
      Menu: { buildFromTemplate: (template: MenuItemConstructorOptions[]) => template },
      nativeImage: { createFromPath: (file: string) => file },
    },
  };
}

const noActions: TrayActions = {
  showWindow() {},
  login() {},
  logout() {},
  copyAddress() {},
  setEnabled() {},
  openGui() {},
  openTerminal() {},
  setStartAtLogin() {},
  quit() {},
};

describe('createTray', () => {
  const stats = { activeClients: 0, sessionsServed: 0, bytesToTarget: 0, bytesToClient: 0 };
  const session: SessionView = { state: 'authenticated', vaultAddress: 'http://vault:8200', policies: [] };
  const orders: ConnectionView = {
    name: 'orders',
    protocol: 'postgres',
    state: 'ready',
    listen: '127.0.0.1:15432',
    target: 'db:5432',
    stats,
  };

  it('shows the icon, tooltip and menu of the current state, from real files', () => {
    const electron = fakeElectron();
    let shown = 0;
    const tray = createTray(electron.deps, {
      iconsDir: ICONS,
      platform: 'linux',
      darkPanel: () => true,
      actions: { ...noActions, showWindow: () => shown++ },
      startAtLogin: () => false,
      now: () => new Date('2030-01-01T00:00:00Z'),
    });
    const [fake] = electron.trays;
    expect(fake!.image).toBe(path.join(ICONS, 'tray-logged-out-dark-22.png'));

    tray.render({ session, connections: [orders] });
    expect(fake!.image).toBe(path.join(ICONS, 'tray-ok-dark-22.png'));
    expect(existsSync(fake!.image)).toBe(true);
    expect(fake!.tooltip).toBe('Sesame — Logged in · no expiry\n1 of 1 connections on');
    expect(fake!.menu.map((i) => i.label)).toContain('orders — Ready');
    expect(fake!.menu.find((i) => i.label === 'Start at login')).toMatchObject({ checked: false });

    tray.render({ session, connections: [{ ...orders, state: 'error', error: 'refused' }] });
    expect(fake!.image).toBe(path.join(ICONS, 'tray-error-dark-22.png'));

    fake!.clickListeners.forEach((l) => l());
    expect(shown).toBe(1);
    tray.destroy();
    expect(fake!.destroyed).toBe(true);
  });

  it('leaves out the start-at-login item where the OS offers no such setting', () => {
    const electron = fakeElectron();
    const tray = createTray(electron.deps, {
      iconsDir: ICONS,
      platform: 'darwin',
      darkPanel: () => false,
      actions: noActions,
      startAtLogin: () => undefined,
    });
    tray.render({ session: { ...session, state: 'expiring' }, connections: [] });
    expect(electron.trays[0]!.image).toBe(path.join(ICONS, 'tray-attentionTemplate.png'));
    expect(electron.trays[0]!.menu.map((i) => i.label)).not.toContain('Start at login');
  });
});
