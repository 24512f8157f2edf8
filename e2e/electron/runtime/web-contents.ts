// A window's web contents: one Chromium page with the app's preload, the app's protocol
// handlers serving its scheme, Electron's navigation events ('will-navigate', the window-open
// handler) raised where Chromium navigates, and IPC both ways through the preload wrapper.
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import type { Page, Request as PageRequest, Route } from 'playwright-core';
import { newWindowPage } from './chromium';
import { cancelable } from './events';
import { ipcMain, protocolState, sessionState } from './main-apis';
import { recordIpc } from './observed';
import { EMIT_FUNCTION, INVOKE_BINDING, preloadScript } from './preload-script';
import { fromWebUrl, toWebUrl } from './url-map';

export interface WebPreferences {
  preload?: string;
  contextIsolation?: boolean;
  sandbox?: boolean;
  nodeIntegration?: boolean;
  [key: string]: unknown;
}

type WindowOpenHandler = (details: { url: string; frameName: string; features: string; disposition: string }) => {
  action: 'allow' | 'deny';
};

let nextId = 1;
const schemes = () => protocolState.schemes();

export class WebContents extends EventEmitter {
  readonly id = nextId++;
  readonly page: Promise<Page>;
  #destroyed = false;
  #url = '';
  /** The stand-in URL of a navigation the main process asked for (not a 'will-navigate'). */
  #expected: string | undefined;
  #openHandler: WindowOpenHandler | undefined;

  constructor(
    readonly webPreferences: WebPreferences,
    size: { width: number; height: number },
  ) {
    super();
    this.page = this.#open(size);
    // A page that failed to open is reported where it is awaited (loadURL); keep Node quiet here.
    this.page.catch(() => {});
  }

  async #open(size: { width: number; height: number }): Promise<Page> {
    const page = await newWindowPage();
    await page.setViewportSize(size);
    await page.exposeBinding(INVOKE_BINDING, (source, channel: string, args: unknown[]) =>
      ipcMain.invoke(
        {
          sender: this,
          senderFrame: { url: fromWebUrl(source.frame.url(), schemes()), origin: '' },
          processId: 1,
          frameId: source.frame === source.page.mainFrame() ? 1 : 2,
        },
        channel,
        args,
      ),
    );
    const preload = this.webPreferences.preload;
    if (preload) await page.addInitScript({ content: preloadScript(readFileSync(preload, 'utf8')) });
    for (const [permission, chromiumNames] of [
      ['clipboard-sanitized-write', ['clipboard-write']],
      ['clipboard-read', ['clipboard-read']],
    ] as const) {
      if (await sessionState.allows(permission)) await page.context().grantPermissions([...chromiumNames]);
    }
    await page.route('**/*', (route, request) => this.#route(route, request));
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) this.#url = fromWebUrl(frame.url(), schemes());
    });
    page.on('popup', (popup) => void this.#popup(popup));
    page.on('close', () => {
      this.#destroyed = true;
    });
    page.on('crash', () => this.emit('render-process-gone', cancelable(), { reason: 'crashed', exitCode: 1 }));
    return page;
  }

  async #route(route: Route, request: PageRequest): Promise<void> {
    const url = request.url();
    const original = fromWebUrl(url, schemes());
    const page = await this.page;
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) {
      if (this.#expected === url) {
        this.#expected = undefined;
      } else {
        // The page itself navigates: Electron asks the app first.
        const event = cancelable({ url: original, isMainFrame: true, isSameDocument: false });
        this.emit('will-navigate', event, original);
        if (event.defaultPrevented) return route.abort('aborted');
      }
      this.emit(
        'did-start-navigation',
        cancelable({ url: original, isMainFrame: true, isSameDocument: false }),
        original,
        false,
        true,
        1,
        1,
      );
    }
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(original)?.[1]?.toLowerCase();
    const handler = scheme && original !== url ? protocolState.handlers.get(scheme) : undefined;
    if (!handler) return route.continue();
    const method = request.method();
    const body = method === 'GET' || method === 'HEAD' ? undefined : (request.postDataBuffer() ?? undefined);
    const response = await handler(
      new Request(original, { method, headers: request.headers(), ...(body ? { body } : {}) }),
    );
    let headers: Record<string, string[]> = {};
    response.headers.forEach((value, name) => {
      headers[name] = [value];
    });
    const listener = sessionState.headersListener;
    if (listener) {
      headers = await new Promise((resolve) =>
        listener(
          {
            url: original,
            method,
            statusCode: response.status,
            resourceType: request.resourceType(),
            responseHeaders: headers,
          },
          (answer) => resolve(answer.responseHeaders ?? headers),
        ),
      );
    }
    await route.fulfill({
      status: response.status,
      headers: Object.fromEntries(Object.entries(headers).map(([name, values]) => [name, values.join(', ')])),
      body: Buffer.from(await response.arrayBuffer()),
    });
  }

  /** window.open / target=_blank: the app's handler decides; a denied window is closed at once. */
  async #popup(popup: Page): Promise<void> {
    const url = fromWebUrl(popup.url(), schemes());
    const answer = this.#openHandler?.({ url, frameName: '', features: '', disposition: 'new-window' }) ?? {
      action: 'allow',
    };
    if (answer.action === 'deny') await popup.close().catch(() => {});
  }

  async loadURL(url: string): Promise<void> {
    const page = await this.page;
    const web = toWebUrl(url, schemes());
    this.#expected = web;
    const response = await page.goto(web, { waitUntil: 'load' });
    if (response && !response.ok()) throw new Error(`ERR_FAILED (-2) loading '${url}': ${response.status()}`);
    this.emit('did-finish-load');
  }

  reload(): void {
    void this.page.then((page) => {
      this.#expected = page.url();
      return page.reload();
    });
  }

  getURL(): string {
    return this.#url;
  }

  send(channel: string, ...args: unknown[]): void {
    if (this.#destroyed) return;
    const cloned = structuredClone(args);
    recordIpc('to-renderer', channel, cloned);
    void this.page
      .then((page) =>
        page.evaluate(
          ([name, c, a]) =>
            (globalThis as unknown as Record<string, ((c: string, a: unknown[]) => void) | undefined>)[name]?.(c, a),
          [EMIT_FUNCTION, channel, cloned] as const,
        ),
      )
      .catch(() => {}); // a page between documents misses the message, as Electron's would
  }

  setWindowOpenHandler(handler: WindowOpenHandler): void {
    this.#openHandler = handler;
  }

  isDestroyed(): boolean {
    return this.#destroyed;
  }

  async destroy(): Promise<void> {
    this.#destroyed = true;
    const page = await this.page.catch(() => undefined);
    await page?.close({ runBeforeUnload: true }).catch(() => {});
    this.emit('destroyed');
  }
}
