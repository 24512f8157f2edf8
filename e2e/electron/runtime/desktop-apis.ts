// The desktop surfaces: the tray with its menu, notifications, the system browser (shell),
// the clipboard, dialogs, the theme and safeStorage. Each records what the app did with it in
// `observed` (and the tray is read live), so a journey can check what a user would have seen.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { say } from './events';
import { observed } from './observed';

export class NativeImage {
  constructor(readonly file: string) {}
  isEmpty(): boolean {
    return !this.file || !existsSync(this.file);
  }
  getSize() {
    return { width: 22, height: 22 };
  }
}

export const nativeImage = {
  createFromPath: (file: string) => new NativeImage(file),
  createEmpty: () => new NativeImage(''),
};

type Click = (item: MenuItem, window: unknown, event: unknown) => void;
export interface MenuItemOptions {
  label?: string;
  type?: 'normal' | 'separator' | 'submenu' | 'checkbox' | 'radio';
  enabled?: boolean;
  visible?: boolean;
  checked?: boolean;
  click?: Click;
  submenu?: MenuItemOptions[] | Menu;
  role?: string;
}

export class MenuItem {
  readonly label: string;
  readonly type: NonNullable<MenuItemOptions['type']>;
  readonly enabled: boolean;
  readonly visible: boolean;
  checked: boolean;
  readonly submenu: Menu | undefined;
  readonly #click: Click | undefined;

  constructor(options: MenuItemOptions) {
    this.label = options.label ?? '';
    this.submenu =
      options.submenu instanceof Menu
        ? options.submenu
        : options.submenu
          ? Menu.buildFromTemplate(options.submenu)
          : undefined;
    this.type = options.type ?? (this.submenu ? 'submenu' : 'normal');
    this.enabled = options.enabled ?? true;
    this.visible = options.visible ?? true;
    this.checked = options.checked ?? false;
    this.#click = options.click;
  }

  /** What a user's click does: nothing on a disabled item; a checkbox flips before the handler. */
  click(): void {
    if (!this.enabled || !this.visible) throw new Error(`menu item '${displayLabel(this.label)}' is disabled`);
    if (this.type === 'checkbox') this.checked = !this.checked;
    this.#click?.(this, null, {});
  }
}

export class Menu {
  constructor(readonly items: MenuItem[] = []) {}
  static buildFromTemplate(template: MenuItemOptions[]): Menu {
    return new Menu(template.map((options) => new MenuItem(options)));
  }
  static setApplicationMenu(): void {}
  append(item: MenuItem): void {
    this.items.push(item);
  }
}

/** Menu labels as shown: '&&' is a literal '&', a lone '&' marks the mnemonic (Windows/Linux). */
export function displayLabel(label: string): string {
  return label.replace(/&&|&/g, (m) => (m === '&&' ? '&' : ''));
}

export interface MenuView {
  label: string;
  type: string;
  enabled: boolean;
  checked?: boolean;
  submenu?: MenuView[];
}

export function describeMenu(menu: Menu | undefined): MenuView[] {
  return (menu?.items ?? [])
    .filter((item) => item.visible)
    .map((item) => ({
      label: displayLabel(item.label),
      type: item.type,
      enabled: item.enabled,
      ...(item.type === 'checkbox' ? { checked: item.checked } : {}),
      ...(item.submenu ? { submenu: describeMenu(item.submenu) } : {}),
    }));
}

export const trays = new Set<Tray>();

export class Tray extends EventEmitter {
  image: NativeImage;
  tooltip = '';
  menu: Menu | undefined;
  #destroyed = false;

  constructor(image: NativeImage | string) {
    super();
    this.image = typeof image === 'string' ? new NativeImage(image) : image;
    trays.add(this);
  }
  setImage(image: NativeImage | string): void {
    this.image = typeof image === 'string' ? new NativeImage(image) : image;
    say(`tray icon ${path.basename(this.image.file)}`);
  }
  setToolTip(text: string): void {
    this.tooltip = text;
  }
  setContextMenu(menu: Menu | null): void {
    this.menu = menu ?? undefined;
  }
  setTitle(): void {}
  destroy(): void {
    this.#destroyed = true;
    trays.delete(this);
  }
  isDestroyed(): boolean {
    return this.#destroyed;
  }
}

export class Notification extends EventEmitter {
  static isSupported(): boolean {
    return true;
  }
  readonly title: string;
  readonly body: string;
  readonly icon: string | undefined;
  constructor(options: { title?: string; body?: string; icon?: string } = {}) {
    super();
    this.title = options.title ?? '';
    this.body = options.body ?? '';
    this.icon = options.icon;
  }
  show(): void {
    observed.notifications.push({ title: this.title, body: this.body, ...(this.icon ? { icon: this.icon } : {}) });
    say(`notification: ${this.title}`);
    this.emit('show');
  }
  close(): void {
    this.emit('close');
  }
}

export const shell = {
  /** The system browser: recorded, not opened (a journey opens it in a page when it must). */
  async openExternal(url: string): Promise<void> {
    new URL(url); // Electron rejects what is not a URL
    observed.openedExternal.push(url);
    say(`shell.openExternal ${new URL(url).protocol}//${new URL(url).host}/…`);
  },
  async openPath(file: string): Promise<string> {
    observed.openedExternal.push(`file://${file}`);
    return '';
  },
  showItemInFolder(): void {},
  beep(): void {},
};

export const clipboard = {
  writeText: (text: string) => void (observed.clipboard = text),
  readText: () => observed.clipboard,
  clear: () => void (observed.clipboard = ''),
};

export const dialog = {
  showErrorBox(title: string, content: string): void {
    observed.errorBoxes.push({ title, content });
    say(`error box: ${title}: ${content}`);
  },
  async showMessageBox(...args: unknown[]): Promise<{ response: number; checkboxChecked: boolean }> {
    const options = (args.length > 1 ? args[1] : args[0]) as { defaultId?: number } | undefined;
    return { response: options?.defaultId ?? 0, checkboxChecked: false };
  },
  showMessageBoxSync: (...args: unknown[]) =>
    ((args.length > 1 ? args[1] : args[0]) as { defaultId?: number } | undefined)?.defaultId ?? 0,
};

export const nativeTheme = Object.assign(new EventEmitter(), {
  shouldUseDarkColors: false,
  shouldUseHighContrastColors: false,
  themeSource: 'system' as 'system' | 'light' | 'dark',
});

// Linux without a secret service: Electron's safeStorage falls back to 'basic_text' (a fixed
// key: obfuscation, not encryption), which is what the stand-in reports.
const obfuscate = (text: string) => Buffer.concat([Buffer.from('v10'), Buffer.from(text, 'utf8').map((b) => b ^ 0x5a)]);
const reveal = (data: Buffer) => Buffer.from(data.subarray(3).map((b) => b ^ 0x5a)).toString('utf8');
export const safeStorage = {
  isEncryptionAvailable: () => true,
  isAsyncEncryptionAvailable: async () => true,
  getSelectedStorageBackend: () => 'basic_text',
  encryptString: obfuscate,
  decryptString: reveal,
  encryptStringAsync: async (text: string) => obfuscate(text),
  decryptStringAsync: async (data: Buffer) => ({ shouldReEncrypt: false, result: reveal(data) }),
};
