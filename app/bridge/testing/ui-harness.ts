// What the in-browser UI tests share: the renderer built by Vite into a temp dir, Chromium
// (playwright-core, /usr/bin/chromium), and per test a memory host served by the real browser
// bridge. Everything started here is stopped by `stop()` / `closePage()`, even after a failure.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createBrowserBridge, type BrowserBridge } from '../index';
import { createMemoryHost, type MemoryHost, type MemoryHostOptions } from './memory-host';

export const ROOT = path.resolve(import.meta.dirname, '../../..');
export const SHOTS = path.join(ROOT, 'test-results', 'renderer-ui');

export interface UiRig {
  browser: Browser;
  buildDir: string;
  stop(): Promise<void>;
}

/** Build the renderer once per test file and start Chromium. */
export async function startUiRig(): Promise<UiRig> {
  const buildDir = await mkdtemp(path.join(tmpdir(), 'sesame-renderer-'));
  let browser: Browser | undefined;
  const stop = async () => {
    await browser?.close();
    await rm(buildDir, { recursive: true, force: true });
  };
  try {
    await promisify(execFile)(
      process.execPath,
      [
        path.join(ROOT, 'node_modules/vite/bin/vite.js'),
        'build',
        '--config',
        'renderer/vite.config.ts',
        '--outDir',
        buildDir,
        '--emptyOutDir',
        '--logLevel',
        'warn',
      ],
      { cwd: ROOT },
    );
    await mkdir(SHOTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    return { browser, buildDir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface UiPage {
  host: MemoryHost;
  bridge: BrowserBridge;
  context: BrowserContext;
  page: Page;
  /** Uncaught errors and console errors of the page: a test expects none. */
  errors: string[];
  close(): Promise<void>;
}

/**
 * A memory host behind the real bridge, and a fresh browser context with the page opened at the
 * bridge's one-time URL (`open: false`: the page is left blank for the test to open).
 */
export async function openUi(
  rig: UiRig,
  options: MemoryHostOptions,
  viewport = { width: 1100, height: 900 },
  { open = true } = {},
): Promise<UiPage> {
  const host = createMemoryHost(options);
  let bridge: BrowserBridge | undefined;
  let context: BrowserContext | undefined;
  const close = async () => {
    await context?.close();
    await bridge?.close();
    await host.close();
  };
  try {
    bridge = await createBrowserBridge({ api: host, staticDir: rig.buildDir });
    context = await rig.browser.newContext({ viewport, acceptDownloads: true });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    if (open) {
      await page.goto(bridge.url);
      await page.getByRole('tablist', { name: 'Sesame' }).waitFor();
    }
    return { host, bridge, context, page, errors, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export function shot(page: Page, name: string): Promise<Buffer> {
  return page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true, animations: 'disabled' });
}

/** How many px the page is wider than the window (0: nothing sticks out sideways). */
export function horizontalOverflow(page: Page): Promise<number> {
  // A string runs in the page; this file is compiled without the DOM's types.
  return page.evaluate(
    'document.documentElement.scrollWidth - document.documentElement.clientWidth',
  ) as Promise<number>;
}
