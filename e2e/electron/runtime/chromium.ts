// The stand-in's renderer processes: one Debian Chromium (headless) for all windows, with a
// DevTools port on loopback so the journeys can attach to the very pages the app's windows show
// (playwright's connectOverCDP) while the stand-in keeps its own routes and bindings on them.
import { readFile, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { say } from './events';
import { onShutdown, ownFile } from './lifecycle';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--remote-debugging-address=127.0.0.1',
  '--remote-debugging-port=0',
];

let launched: Promise<{ context: BrowserContext; firstPage: Page | undefined }> | undefined;

async function launch() {
  const userDataDir = ownFile('chromium');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.SESAME_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
  onShutdown(() => context.close().catch(() => {}));
  const cdp = `http://127.0.0.1:${await devToolsPort(userDataDir)}`;
  const info = { pid: process.pid, cdp, control: ownFile('control.sock') };
  await writeFile(ownFile('standin.json'), JSON.stringify(info));
  say(`ready pid=${info.pid} cdp=${cdp} control=${info.control}`);
  return { context, firstPage: context.pages()[0] };
}

/** Chromium writes the port it chose into the profile once it listens. */
async function devToolsPort(userDataDir: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const text = await readFile(`${userDataDir}/DevToolsActivePort`, 'utf8').catch(() => '');
    const port = Number(text.split('\n')[0]);
    if (port > 0) return port;
    await sleep(50);
  }
  throw new Error('Chromium did not open its DevTools port');
}

/** A fresh page for a new window (the profile's first blank page serves the first window). */
export async function newWindowPage(): Promise<Page> {
  launched ??= launch();
  const state = await launched;
  const first = state.firstPage;
  if (first && !first.isClosed()) {
    state.firstPage = undefined;
    return first;
  }
  return state.context.newPage();
}
