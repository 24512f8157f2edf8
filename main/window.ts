// The main window and the rules every web contents obeys: Electron's security switches on,
// no navigation away from our renderer, no new windows (web links go to the system browser),
// no <webview>, and the window hides to the tray instead of closing.
import path from 'node:path';
import type { BrowserWindowConstructorOptions, HandlerDetails, WindowOpenHandlerResponse } from 'electron';
import { RENDERER_ORIGIN } from './renderer-protocol';

export interface RendererLocation {
  /** What the window loads. */
  url: string;
  /** The only origin allowed to call the AppApi and to be navigated to. */
  origin: string;
  /** The Vite dev server, when running from source. */
  devServer?: string;
}

/**
 * Production loads out/renderer/index.html through the private scheme; `npm run dev` sets
 * ELECTRON_RENDERER_URL to the Vite dev server, which must be on this machine.
 */
export function rendererLocation(env: NodeJS.ProcessEnv, options: { packaged?: boolean } = {}): RendererLocation {
  // An installed build shows only its own files: the variable is for development from source.
  const dev = options.packaged ? undefined : env.ELECTRON_RENDERER_URL;
  if (!dev) return { url: `${RENDERER_ORIGIN}/index.html`, origin: RENDERER_ORIGIN };
  let url: URL;
  try {
    url = new URL(dev);
  } catch {
    throw new Error(`ELECTRON_RENDERER_URL is not a URL: '${dev.slice(0, 200)}'.`);
  }
  if (url.protocol !== 'http:' || !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) {
    throw new Error(`ELECTRON_RENDERER_URL must be an http:// URL on localhost (the dev server), not '${url.origin}'.`);
  }
  return { url: url.toString(), origin: url.origin, devServer: url.origin };
}

/**
 * True when `url` belongs to `origin` (same scheme, host and port). Compared by hand because
 * WHATWG URL gives custom schemes such as sesame-app: an opaque ('null') origin.
 */
export function isSameOrigin(url: string, origin: string): boolean {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}` === origin;
  } catch {
    return false;
  }
}

/** The web URL a link may be handed to the system browser with, or undefined. */
export function externalWebUrl(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && !parsed.password
      ? parsed.toString()
      : undefined;
  } catch {
    return undefined;
  }
}

/** The parts of WebContents the guard uses. */
export interface GuardedContents {
  on(event: 'will-navigate', listener: (event: { preventDefault(): void }, url: string) => void): unknown;
  on(event: 'will-redirect', listener: (event: { preventDefault(): void }, url: string) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): unknown;
  setWindowOpenHandler(handler: (details: HandlerDetails) => WindowOpenHandlerResponse): void;
}

export interface GuardOptions {
  trustedOrigin: string;
  openExternal: (url: string) => void;
  onBlocked?: (what: string, url: string) => void;
}

/** Apply the navigation rules to one web contents (every one the app creates). */
export function guardWebContents(contents: GuardedContents, options: GuardOptions): void {
  const leave = (kind: string) => (event: { preventDefault(): void }, url: string) => {
    if (isSameOrigin(url, options.trustedOrigin)) return;
    event.preventDefault();
    const external = externalWebUrl(url);
    if (external) options.openExternal(external);
    else options.onBlocked?.(kind, url);
  };
  contents.on('will-navigate', leave('navigation'));
  contents.on('will-redirect', leave('redirect'));
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    options.onBlocked?.('webview', '');
  });
  contents.setWindowOpenHandler(({ url }) => {
    const external = externalWebUrl(url);
    if (external) options.openExternal(external);
    else options.onBlocked?.('window.open', url);
    return { action: 'deny' };
  });
}

/**
 * Is this IPC message from our renderer? The sender must be our window's web contents and
 * the frame that sent it must show our origin (not an iframe or a page navigated elsewhere).
 */
export function isTrustedSender(
  event: { sender: { id: number }; senderFrame: { url: string } | null },
  window: { webContents: { id: number } } | undefined,
  trustedOrigin: string,
): boolean {
  if (!window || event.sender.id !== window.webContents.id) return false;
  const frame = event.senderFrame;
  return frame !== null && isSameOrigin(frame.url, trustedOrigin);
}

export function mainWindowOptions(options: {
  preloadPath: string;
  iconPath?: string;
  dev: boolean;
}): BrowserWindowConstructorOptions {
  return {
    width: 1100,
    height: 720,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'Sesame',
    ...(options.iconPath ? { icon: options.iconPath } : {}),
    webPreferences: {
      preload: path.resolve(options.preloadPath),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: options.dev,
    },
  };
}

/** The parts of BrowserWindow the shell uses. */
export interface WindowLike {
  webContents: { id: number };
  on(event: 'close', listener: (event: { preventDefault(): void }) => void): unknown;
  once(event: 'ready-to-show', listener: () => void): unknown;
  loadURL(url: string): Promise<void>;
  show(): void;
  hide(): void;
  focus(): void;
  restore(): void;
  isMinimized(): boolean;
  isDestroyed(): boolean;
}

export interface MainWindowOptions {
  preloadPath: string;
  iconPath?: string;
  location: RendererLocation;
  /** Show the window once loaded (false when started hidden at login). */
  showOnLoad: boolean;
  /** True once the app is quitting: then closing really closes. */
  isQuitting: () => boolean;
  /** Told each time the close button hid the window instead of closing it. */
  onHiddenToTray?: () => void;
}

export function createMainWindow<W extends WindowLike>(
  deps: { BrowserWindow: new (options: BrowserWindowConstructorOptions) => W },
  options: MainWindowOptions,
): { window: W; loaded: Promise<void> } {
  const window = new deps.BrowserWindow(
    mainWindowOptions({
      preloadPath: options.preloadPath,
      ...(options.iconPath ? { iconPath: options.iconPath } : {}),
      dev: Boolean(options.location.devServer),
    }),
  );
  // Closing the window hides it: brokers keep running in the tray until Quit.
  window.on('close', (event) => {
    if (options.isQuitting()) return;
    event.preventDefault();
    window.hide();
    options.onHiddenToTray?.();
  });
  if (options.showOnLoad) window.once('ready-to-show', () => window.show());
  return { window, loaded: window.loadURL(options.location.url) };
}

/** Bring the window to the front (tray "Open Sesame", a second launch). */
export function revealWindow(window: WindowLike | undefined): void {
  if (!window || window.isDestroyed()) return;
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
}
