// BrowserWindow: a page with a window's life around it. A headless page cannot be hidden, so
// visibility and focus are the window's own flags, changed only by what the app calls — which
// is exactly what the journeys check ("closing the window keeps the app in the tray").
import { EventEmitter } from 'node:events';
import { cancelable, say } from './events';
import { requireReady } from './lifecycle';
import { WebContents, type WebPreferences } from './web-contents';

export interface BrowserWindowOptions {
  width?: number;
  height?: number;
  show?: boolean;
  title?: string;
  webPreferences?: WebPreferences;
  [key: string]: unknown;
}

const windows = new Set<BrowserWindow>();
const closedListeners = new Set<() => void>();

/** Told when a window is gone (the app decides whether that means quitting). */
export function onWindowClosed(listener: () => void): void {
  closedListeners.add(listener);
}

let nextId = 1;

export class BrowserWindow extends EventEmitter {
  static getAllWindows(): BrowserWindow[] {
    return [...windows];
  }

  static fromWebContents(contents: unknown): BrowserWindow | null {
    return [...windows].find((w) => w.webContents === contents) ?? null;
  }

  readonly id = nextId++;
  readonly webContents: WebContents;
  readonly options: BrowserWindowOptions;
  #visible = false;
  #focused = false;
  #minimized = false;
  #destroyed = false;
  #title: string;

  constructor(options: BrowserWindowOptions = {}) {
    super();
    requireReady('BrowserWindow');
    this.options = options;
    this.#title = options.title ?? 'Electron';
    this.webContents = new WebContents(options.webPreferences ?? {}, {
      width: options.width ?? 800,
      height: options.height ?? 600,
    });
    windows.add(this);
    // Let the caller attach its listeners first, as Electron emits this asynchronously too.
    queueMicrotask(() => appEvents.emit('web-contents-created', cancelable(), this.webContents));
    this.webContents.once('did-finish-load', () => this.emit('ready-to-show'));
    if (options.show !== false) this.show();
  }

  loadURL(url: string): Promise<void> {
    return this.webContents.loadURL(url);
  }

  show(): void {
    if (this.#destroyed) return;
    this.#visible = true;
    this.#minimized = false;
    this.#focused = true;
    say(`window ${this.id} shown`);
    this.emit('show');
    this.emit('focus');
  }

  hide(): void {
    if (this.#destroyed) return;
    this.#visible = false;
    this.#focused = false;
    say(`window ${this.id} hidden`);
    this.emit('hide');
  }

  focus(): void {
    if (this.#destroyed || !this.#visible) return;
    this.#focused = true;
    this.emit('focus');
  }

  blur(): void {
    this.#focused = false;
  }

  minimize(): void {
    this.#minimized = true;
    this.#focused = false;
  }

  restore(): void {
    this.#minimized = false;
  }

  isMinimized = () => this.#minimized;
  isVisible = () => this.#visible && !this.#destroyed;
  isFocused = () => this.#focused && !this.#destroyed;
  isDestroyed = () => this.#destroyed;
  getTitle = () => this.#title;
  setTitle = (title: string) => void (this.#title = title);

  /** What the window's close button does: 'close' may be prevented (hide to the tray). */
  close(): boolean {
    if (this.#destroyed) return true;
    const event = cancelable();
    this.emit('close', event);
    if (event.defaultPrevented) return false;
    this.destroy();
    return true;
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#visible = false;
    windows.delete(this);
    void this.webContents.destroy();
    say(`window ${this.id} closed`);
    this.emit('closed');
    for (const listener of closedListeners) listener();
  }
}

/** The app's event emitter, set by app.ts (web-contents-created is an app event). */
export const appEvents = new EventEmitter();
