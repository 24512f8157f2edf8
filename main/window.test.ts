import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserWindowConstructorOptions, HandlerDetails, WindowOpenHandlerResponse } from 'electron';
import { afterAll, describe, expect, it } from 'vitest';
import {
  contentSecurityPolicy,
  createRendererRequestHandler,
  rendererFileFor,
  RENDERER_ORIGIN,
} from './renderer-protocol';
import { createMainWindow, guardWebContents, rendererLocation, revealWindow } from './window';

describe('main window', () => {
  /** A BrowserWindow stand-in that records its options and what was done to it. */
  class FakeWindow {
    static made: FakeWindow[] = [];
    webContents = { id: 3 };
    visible = false;
    loaded = '';
    listeners = new Map<string, Array<(event: { preventDefault(): void }) => void>>();
    constructor(readonly options: BrowserWindowConstructorOptions) {
      FakeWindow.made.push(this);
    }
    on(event: string, listener: (event: { preventDefault(): void }) => void) {
      this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    }
    once(event: string, listener: () => void) {
      this.on(event, listener);
    }
    emit(event: string) {
      let prevented = false;
      for (const l of this.listeners.get(event) ?? []) l({ preventDefault: () => (prevented = true) });
      return prevented;
    }
    async loadURL(url: string) {
      this.loaded = url;
    }
    show() {
      this.visible = true;
    }
    hide() {
      this.visible = false;
    }
    focus() {}
    restore() {}
    isMinimized() {
      return false;
    }
    isDestroyed() {
      return false;
    }
  }

  it('turns on every Electron security switch and loads our renderer', async () => {
    const { window, loaded } = createMainWindow(
      { BrowserWindow: FakeWindow },
      {
        preloadPath: '/app/out/main/preload.cjs',
        location: rendererLocation({}),
        showOnLoad: true,
        isQuitting: () => false,
      },
    );
    await loaded;
    expect(window.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools: false,
      preload: '/app/out/main/preload.cjs',
    });
    expect(window.loaded).toBe(`${RENDERER_ORIGIN}/index.html`);
    window.emit('ready-to-show');
    expect(window.visible).toBe(true);
  });

  it('hides to the tray on close, and really closes when quitting', () => {
    let quitting = false;
    const { window } = createMainWindow(
      { BrowserWindow: FakeWindow },
      { preloadPath: 'p.cjs', location: rendererLocation({}), showOnLoad: false, isQuitting: () => quitting },
    );
    window.emit('ready-to-show');
    expect(window.visible).toBe(false); // started hidden (at login)
    revealWindow(window);
    expect(window.visible).toBe(true);
    expect(window.emit('close')).toBe(true);
    expect(window.visible).toBe(false);
    quitting = true;
    expect(window.emit('close')).toBe(false);
  });

  it('loads the dev server only from this machine', () => {
    expect(rendererLocation({ ELECTRON_RENDERER_URL: 'http://localhost:5173/' })).toEqual({
      url: 'http://localhost:5173/',
      origin: 'http://localhost:5173',
      devServer: 'http://localhost:5173',
    });
    expect(() => rendererLocation({ ELECTRON_RENDERER_URL: 'http://evil.example:5173/' })).toThrow(
      'must be an http:// URL on localhost',
    );
    expect(() => rendererLocation({ ELECTRON_RENDERER_URL: 'nonsense' })).toThrow('is not a URL');
    // An installed build ignores it (e2e/desktop/packaged.e2e.ts proves it end to end).
    expect(rendererLocation({ ELECTRON_RENDERER_URL: 'http://localhost:5173/' }, { packaged: true }).url).toBe(
      'sesame-app://renderer/index.html',
    );
  });
});

describe('navigation guard', () => {
  function guarded(trustedOrigin = RENDERER_ORIGIN) {
    const listeners = new Map<string, (event: { preventDefault(): void }, url: string) => void>();
    let openHandler: ((details: HandlerDetails) => WindowOpenHandlerResponse) | undefined;
    const opened: string[] = [];
    const blocked: string[] = [];
    guardWebContents(
      {
        on: (event: string, listener: (event: { preventDefault(): void }, url: string) => void) =>
          void listeners.set(event, listener),
        setWindowOpenHandler: (handler) => void (openHandler = handler),
      },
      {
        trustedOrigin,
        openExternal: (url) => opened.push(url),
        onBlocked: (what, url) => blocked.push(`${what} ${url}`),
      },
    );
    const navigate = (event: string, url: string) => {
      let prevented = false;
      listeners.get(event)!({ preventDefault: () => (prevented = true) }, url);
      return prevented;
    };
    const open = (url: string) => openHandler!({ url } as HandlerDetails);
    return { navigate, open, opened, blocked };
  }

  it('keeps the window on our origin and sends web links to the system browser', () => {
    const g = guarded();
    expect(g.navigate('will-navigate', `${RENDERER_ORIGIN}/index.html#/leases`)).toBe(false);
    expect(g.navigate('will-navigate', 'https://developer.hashicorp.com/vault/docs')).toBe(true);
    expect(g.navigate('will-redirect', 'http://127.0.0.1:8200/ui/')).toBe(true);
    expect(g.navigate('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(g.opened).toEqual(['https://developer.hashicorp.com/vault/docs', 'http://127.0.0.1:8200/ui/']);
    expect(g.blocked).toEqual(['navigation file:///etc/passwd']);
  });

  it('denies every new window, opening web links externally', () => {
    const g = guarded();
    expect(g.open('https://vault.example.com/ui/')).toEqual({ action: 'deny' });
    expect(g.open('javascript:alert(1)')).toEqual({ action: 'deny' });
    expect(g.open('https://user:pw@vault.example.com/')).toEqual({ action: 'deny' });
    expect(g.opened).toEqual(['https://vault.example.com/ui/']);
    expect(g.blocked).toEqual(['window.open javascript:alert(1)', 'window.open https://user:pw@vault.example.com/']);
  });

  it('refuses to attach a webview', () => {
    const g = guarded();
    expect(g.navigate('will-attach-webview', '')).toBe(true);
  });
});

describe('renderer protocol', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'sesame-renderer-'));
  mkdirSync(path.join(root, 'assets'));
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Sesame</title>');
  writeFileSync(path.join(root, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(path.join(path.dirname(root), `${path.basename(root)}-secret.txt`), 'outside');
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(path.join(path.dirname(root), `${path.basename(root)}-secret.txt`), { force: true });
  });
  const csp = contentSecurityPolicy();
  const handler = createRendererRequestHandler(root, csp);
  const get = (url: string) => handler(new Request(url));

  it('serves the renderer files with the CSP on every response', async () => {
    const page = await get(`${RENDERER_ORIGIN}/index.html`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe(csp);
    expect(await page.text()).toContain('<title>Sesame</title>');
    const script = await get(`${RENDERER_ORIGIN}/assets/app.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('x-content-type-options')).toBe('nosniff');
    // App routes fall back to the page.
    expect(await (await get(`${RENDERER_ORIGIN}/connections/orders`)).text()).toContain('Sesame');
    expect((await get(`${RENDERER_ORIGIN}/missing.js`)).status).toBe(404);
  });

  it('never serves a file outside the renderer directory', async () => {
    const secret = `${path.basename(root)}-secret.txt`;
    for (const url of [
      `${RENDERER_ORIGIN}/../${secret}`,
      `${RENDERER_ORIGIN}/%2e%2e/${secret}`,
      `${RENDERER_ORIGIN}/assets/%2e%2e%2f%2e%2e%2f${secret}`,
      `${RENDERER_ORIGIN}/..%5c${secret}`,
      `${RENDERER_ORIGIN}/%00.js`,
      'sesame-app://elsewhere/index.html',
    ]) {
      const response = await get(url);
      expect(response.status, url).not.toBe(200);
      if (response.status === 200) expect(await response.text()).not.toContain('outside');
    }
    // The URL parser resolves dot segments at the root, so the name stays inside `root`.
    expect(rendererFileFor(root, `${RENDERER_ORIGIN}/assets/%2e%2e/%2e%2e/${secret}`)).toBe(path.join(root, secret));
    expect((await handler(new Request(`${RENDERER_ORIGIN}/index.html`, { method: 'POST', body: 'x' }))).status).toBe(
      405,
    );
  });

  it('has a strict policy: scripts only from our origin, no eval, nothing remote', () => {
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toMatch(/unsafe-eval|https?:|\*/);
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    const dev = contentSecurityPolicy({ devServer: 'http://localhost:5173' });
    expect(dev).toContain("connect-src 'self' ws://localhost:5173");
    expect(dev).not.toContain('unsafe-eval');
  });
});
