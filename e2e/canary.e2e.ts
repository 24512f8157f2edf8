// Journey: secret-leak canaries through the real UI. Unique canary secrets go into the sandbox's
// Vault (the KV password a connection really logs in with, an unused field of that secret, the
// session token of the config's token file, a userpass password typed into the login form);
// then a developer logs out and in again, toggles connections on, runs a real psql through the
// broker and opens every tab. Then everything the browser and the app hold is scanned — the DOM
// and input values after each step, localStorage, sessionStorage, cookies, IndexedDB and cache
// names, every WebSocket frame both ways, the console, both CLIs' output, the files — for each
// canary raw, hex and base64 (every alignment). The scan is first shown to find planted canaries
// in every place it claims to cover; then, without the plants, it must find nothing.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from '@playwright/test';
import { expect, test } from './testing';
import pg from 'pg';
import { parse, stringify } from 'yaml';
import { startSandboxApp, type SandboxApp } from './cli-process';
import { psql } from './psql';

type Info = {
  vaultAddr: string;
  rootToken: string;
  configPath: string;
  connections: Array<{ name: string; listen: string }>;
  postgres: { host: string; port: number; adminUser: string; adminPassword: string };
};

const canary = (label: string) => `canary-${label}-${randomBytes(12).toString('hex')}`;
const canaries = {
  kvPassword: canary('kv-password'),
  kvUnusedField: canary('kv-unused'),
  sessionToken: '',
  userpassPassword: canary('userpass'),
};
const USERPASS_USER = 'canary-developer';

/** Each canary as it could be written: raw, URL-encoded, hex, and base64/base64url at all three byte alignments. */
function encodedForms(value: string): Record<string, string> {
  const bytes = Buffer.from(value, 'utf8');
  const forms: Record<string, string> = {
    raw: value,
    hex: bytes.toString('hex'),
    HEX: bytes.toString('hex').toUpperCase(),
  };
  if (encodeURIComponent(value) !== value) forms.url = encodeURIComponent(value);
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    // Only the characters whose six bits all come from the canary itself.
    const inner = encoded.slice(Math.ceil((shift * 4) / 3), Math.floor(((shift + bytes.length) * 4) / 3));
    forms[`base64@${shift}`] = inner;
    forms[`base64url@${shift}`] = inner.replace(/\+/g, '-').replace(/\//g, '_');
  }
  return forms;
}

interface Scan {
  /** Per kind: places and bytes scanned. */
  scanned: Record<string, { places: number; bytes: number }>;
  /** `kind | where | canary (form)` for every hit. */
  hits: string[];
  text(kind: string, where: string, value: string): void;
  files(kind: string, dir: string, options?: { skip?: (file: string) => boolean; topOnly?: boolean }): Promise<void>;
}

function createScan(secrets: Record<string, string>): Scan {
  const needles = Object.entries(secrets).flatMap(([name, value]) =>
    Object.entries(encodedForms(value)).map(([form, needle]) => ({ label: `${name} (${form})`, needle })),
  );
  const scan: Scan = {
    scanned: {},
    hits: [],
    text(kind, where, value) {
      const tally = (scan.scanned[kind] ??= { places: 0, bytes: 0 });
      tally.places += 1;
      tally.bytes += Buffer.byteLength(value);
      for (const { label, needle } of needles)
        if (value.includes(needle)) scan.hits.push(`${kind} | ${where} | ${label}`);
    },
    async files(kind, dir, options = {}) {
      for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        const file = path.join(dir, entry.name);
        if (options.skip?.(file)) continue;
        if (entry.isDirectory() && !options.topOnly) await scan.files(kind, file, options);
        if (!entry.isFile()) continue;
        // Servers write and delete temp files while we read: a vanished file is not a failure.
        const size = await stat(file).then(
          (s) => s.size,
          () => -1,
        );
        if (size < 0 || size > 64 * 2 ** 20) continue;
        const content = await readFile(file).catch(() => undefined);
        if (content) scan.text(kind, file, content.toString('latin1'));
      }
    },
  };
  return scan;
}

// The few browser APIs the page scripts use, typed here: this project compiles without the DOM lib.
interface PageStorage {
  readonly length: number;
  key(index: number): string | null;
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}
interface PageElement {
  id: string;
  textContent: string | null;
  value: string;
  readonly outerHTML: string;
  remove(): void;
}
interface PageRequest {
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
  readonly result: { close(): void };
}
interface PageGlobals {
  document: {
    readonly documentElement: PageElement;
    readonly body: { append(...nodes: PageElement[]): void };
    cookie: string;
    createElement(tag: string): PageElement;
    getElementById(id: string): PageElement | null;
    querySelectorAll(selector: string): ArrayLike<PageElement>;
  };
  localStorage: PageStorage;
  sessionStorage: PageStorage;
  indexedDB: {
    databases(): Promise<{ name?: string }[]>;
    open(name: string): PageRequest;
    deleteDatabase(name: string): PageRequest;
  };
  caches: { keys(): Promise<string[]> };
}

/** Everything the page keeps that a script (or an extension, or a disk dump) could read. */
async function browserState(page: Page, context: BrowserContext) {
  // Page functions run in the browser: they may use only their own code and arguments.
  const state = await page.evaluate(async () => {
    const { localStorage, sessionStorage, indexedDB, caches } = globalThis as unknown as PageGlobals;
    const storage = (s: PageStorage) =>
      Array.from({ length: s.length }, (_, i) => `${s.key(i)}=${s.getItem(s.key(i) ?? '')}`).join('\n');
    return {
      localStorage: storage(localStorage),
      sessionStorage: storage(sessionStorage),
      indexedDb: (await indexedDB.databases()).map((d) => d.name ?? '').join('\n'),
      caches: (await caches.keys()).join('\n'),
    };
  });
  const cookies = (await context.cookies()).map((c) => `${c.name}=${c.value}; ${c.domain}${c.path}`).join('\n');
  return { ...state, cookies };
}

/** The page's markup plus every field's live value (a typed value is not in outerHTML). */
function domSnapshot(page: Page): Promise<string> {
  return page.evaluate(() => {
    const { document } = globalThis as unknown as PageGlobals;
    const values = Array.from(document.querySelectorAll('input, textarea, select')).map((field) => field.value);
    return `${document.documentElement.outerHTML}\n${values.join('\n')}`;
  });
}

/**
 * The sandbox servers' temp dirs (PostgreSQL, MariaDB, sshd): where the sandbox CLI's child
 * processes write their stdout (their log). A credential sent as a user or database name shows there.
 */
async function serverDirs(parentPid: number): Promise<string[]> {
  const dirs = new Set<string>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const procStat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    if (Number(procStat.slice(procStat.lastIndexOf(')') + 2).split(' ')[1]) !== parentPid) continue;
    const log = await readlink(`/proc/${entry}/fd/1`).catch(() => '');
    if (log.startsWith(path.join(os.tmpdir(), 'sesame-'))) dirs.add(path.dirname(log));
  }
  return [...dirs];
}

async function vault(info: Info, method: string, apiPath: string, body?: unknown) {
  const response = await fetch(`${info.vaultAddr}/v1/${apiPath}`, {
    method,
    headers: { 'X-Vault-Token': info.rootToken },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (!response.ok) throw new Error(`Vault ${method} ${apiPath} answered ${response.status}`);
  return response.status === 204 ? undefined : ((await response.json()) as Record<string, unknown>);
}

/** Plants the canaries: the role's password, its KV secret, a userpass user, the token file's token. */
async function plantInVault(info: Info, dir: string): Promise<string> {
  const admin = new pg.Client({
    host: info.postgres.host,
    port: info.postgres.port,
    user: info.postgres.adminUser,
    password: info.postgres.adminPassword,
    database: 'postgres',
  });
  await admin.connect();
  await admin.query(`ALTER ROLE sandbox_app PASSWORD '${canaries.kvPassword}'`);
  await admin.end();
  await vault(info, 'POST', 'secret/data/sandbox/postgres', {
    data: { username: 'sandbox_app', password: canaries.kvPassword, note: canaries.kvUnusedField },
  });
  await vault(info, 'POST', `auth/userpass/users/${USERPASS_USER}`, {
    password: canaries.userpassPassword,
    token_policies: 'sandbox-developer',
    token_ttl: '1h',
  });
  const created = (await vault(info, 'POST', 'auth/token/create', { policies: ['root'], period: '1h' })) as {
    auth: { client_token: string };
  };
  canaries.sessionToken = created.auth.client_token;
  const tokenFile = path.join(dir, 'vault-token');
  await writeFile(tokenFile, `${canaries.sessionToken}\n`, { mode: 0o600 });
  const config = parse(await readFile(info.configPath, 'utf8'));
  config.vault.auth = { method: 'token', tokenFile };
  const configPath = path.join(dir, 'sesame.yaml');
  await writeFile(configPath, stringify(config), { mode: 0o600 });
  return configPath;
}

let world: SandboxApp<Info>;
let dir: string;

test.beforeAll(async ({ appMode }) => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sesame-e2e-canary-'));
  world = await startSandboxApp<Info>({ mode: appMode, configFor: (info) => plantInVault(info, dir) });
});

test.afterAll(async () => {
  await world?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('no canary secret reaches the DOM, storage, cookies, frames, console, CLI output or files', async ({
  page: tab,
}, testInfo) => {
  // Browser mode: the frames are watched from before the page opens its socket.
  const page = world.desktop ? await world.openWindow(tab) : tab;
  const context = page.context();
  // What crossed between page and host: WebSocket frames in browser mode, IPC messages (read
  // from the Electron stand-in after the steps) in the desktop app.
  const frames: { direction: 'sent' | 'received'; payload: string }[] = [];
  const consoleLines: string[] = [];
  const doms: { step: string; html: string }[] = [];
  const clientOutputs: string[] = [];
  page.on('websocket', (ws) => {
    ws.on('framesent', ({ payload }) => void frames.push({ direction: 'sent', payload: String(payload) }));
    ws.on('framereceived', ({ payload }) => void frames.push({ direction: 'received', payload: String(payload) }));
  });
  page.on('console', (message) => void consoleLines.push(`${message.type()}: ${message.text()}`));
  const snapshot = async (step: string) => void doms.push({ step, html: await domSnapshot(page) });
  if (!world.desktop) await world.openWindow(page);

  const session = page.getByTestId('session-state');
  await expect(session).toHaveAttribute('data-state', 'authenticated');
  await snapshot('logged in with the token file');

  await test.step('log out, then log in with userpass', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('radio', { name: 'Username' }).check();
    await page.getByRole('textbox', { name: 'Username' }).fill(USERPASS_USER);
    await page.getByLabel('Password').fill(canaries.userpassPassword);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(session).toHaveAttribute('data-state', 'authenticated');
    await expect(page.getByLabel('Password')).toHaveCount(0);
    await snapshot('logged in with userpass');
  });

  await test.step('toggle connections on; psql through the broker logs in with the canary KV password', async () => {
    for (const name of ['sandbox-postgres', 'sandbox-mariadb']) {
      await page.getByRole('switch', { name, exact: true }).click();
      await expect(page.getByTestId(`connection-${name}`)).toHaveAttribute('data-state', 'ready');
    }
    const address = (
      await page.getByTestId('connection-sandbox-postgres').getByTestId('listen-address').innerText()
    ).trim();
    const [host, port] = address.split(':') as [string, string];
    const result = psql(host, port, 'sandbox', 'select current_user');
    clientOutputs.push(result.stdout, result.stderr);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('sandbox_app');
    await expect(page.getByTestId('connection-sandbox-postgres').getByTestId('connection-stats')).toBeVisible();
    await snapshot('connections on');
    await page.screenshot({ path: testInfo.outputPath('canary-connections.png'), fullPage: true });
  });

  await test.step('leases, activity and settings tabs', async () => {
    await page.getByRole('tab', { name: /Leases/ }).click();
    await expect(
      page.getByTestId('lease-row').filter({ hasText: 'database/creds/sandbox-mariadb' }).first(),
    ).toBeVisible();
    await expect(page.getByTestId('session-panel')).toBeVisible();
    await snapshot('leases tab');
    await page.screenshot({ path: testInfo.outputPath('canary-leases.png'), fullPage: true });
    await page.getByRole('tab', { name: 'Activity' }).click();
    await expect(page.getByTestId('activity-count')).toBeVisible();
    await snapshot('activity tab');
    await page.screenshot({ path: testInfo.outputPath('canary-activity.png'), fullPage: true });
    await page.getByRole('tab', { name: 'Settings' }).click();
    await expect(page.getByRole('heading', { name: 'Config file' })).toBeVisible();
    await snapshot('settings tab');
    await page.screenshot({ path: testInfo.outputPath('canary-settings.png'), fullPage: true });
  });

  if (world.desktop) {
    for (const record of await world.desktop.control.ipcLog())
      frames.push({ direction: record.direction === 'to-main' ? 'sent' : 'received', payload: record.payload });
  }
  // The only place a canary may be: the one frame carrying what the user typed to log in
  // (a WebSocket call { command, input }, or the IPC invoke's arguments [command, input]).
  const commandOf = (payload: string) => {
    const message = JSON.parse(payload) as { command?: string } | [string, unknown];
    return Array.isArray(message) ? message[0] : message.command;
  };
  const loginFrames = frames.filter((f) => f.direction === 'sent' && commandOf(f.payload) === 'session.login');
  expect(loginFrames).toHaveLength(1);

  const servers = await serverDirs(world.sandbox.child.pid!);
  expect(servers.length).toBeGreaterThanOrEqual(3);

  /** Every surface, scanned into `scan`: the same code for the control run and the real one. */
  async function scanEverything(scan: Scan) {
    for (const [i, { step, html }] of doms.entries()) scan.text('DOM + input values', `#${i} ${step}`, html);
    scan.text('DOM + input values', 'now', await domSnapshot(page));
    const state = await browserState(page, context);
    for (const [kind, value] of Object.entries(state)) scan.text(kind, kind, value);
    for (const [i, frame] of frames.entries()) {
      if (frame === loginFrames[0]) continue;
      scan.text(
        `${world.desktop ? 'IPC messages' : 'WebSocket frames'} ${frame.direction}`,
        `frame ${i}`,
        frame.payload,
      );
    }
    consoleLines.forEach((line, i) => scan.text('browser console', `console ${i}`, line));
    clientOutputs.forEach((output, i) => scan.text('psql output', `psql ${i}`, output));
    scan.text('sesame start stdout/stderr', 'app', world.app.output());
    scan.text('sesame sandbox stdout/stderr', 'sandbox', world.sandbox.output());
    // The token file is the config's input; everything else in these dirs is the app's or the sandbox's.
    await scan.files('files: app config dir', dir, { skip: (file) => path.basename(file) === 'vault-token' });
    await scan.files('files: sandbox dir', path.dirname(world.info.configPath));
    for (const serverDir of servers) await scan.files('files: server logs and configs', serverDir, { topOnly: true });
    // The desktop app's userData (its log) and the window's Chromium profile (Electron keeps
    // local storage, IndexedDB, cookies and caches there).
    if (world.desktop) await scan.files('files: app userData + window profile', world.desktop.standin.dir);
  }

  // The real scan first: the control's plants leave traces on disk (a deleted IndexedDB stays
  // in Chromium's files until compaction) that must not count against the app.
  await test.step('the real scan finds nothing', async () => {
    const scan = createScan(canaries);
    await scanEverything(scan);
    const { userpassPassword: _typed, ...notTyped } = canaries;
    const login = createScan(notTyped);
    login.text('login frame (other canaries)', 'login', loginFrames[0]!.payload);
    const bytes = Object.values(scan.scanned).reduce((sum, s) => sum + s.bytes, 0);
    console.info(
      `[e2e canary] ${Object.keys(canaries).length} canaries × ${Object.keys(encodedForms('x')).length} forms; frames ${frames.length} (${frames.filter((f) => f.direction === 'sent').length} sent); console lines ${consoleLines.length}; ` +
        `scanned ${JSON.stringify(scan.scanned)}; ${bytes} bytes; hits ${scan.hits.length + login.hits.length}`,
    );
    expect(frames.filter((f) => f.direction === 'received').length).toBeGreaterThan(20);
    expect(scan.scanned['files: app config dir']?.places).toBeGreaterThanOrEqual(1);
    expect([...scan.hits, ...login.hits]).toEqual([]);
  });
  await test.step('control: planted canaries are found in every place the scan covers', async () => {
    const b64 = (s: string) => Buffer.from(`x${s}`).toString('base64');
    await page.evaluate(
      ({ raw, typed, base64, hex, name }) => {
        const { document, localStorage, sessionStorage, indexedDB } = globalThis as unknown as PageGlobals;
        const scratch = document.createElement('div');
        scratch.id = 'canary-scratch';
        scratch.textContent = raw;
        const field = document.createElement('input');
        field.id = 'canary-scratch-field';
        document.body.append(scratch, field);
        field.value = typed; // a property only: outerHTML does not show it
        localStorage.setItem('canary-scratch', base64);
        sessionStorage.setItem('canary-scratch', hex);
        document.cookie = `canary-scratch=${hex}; path=/`;
        return new Promise<void>((resolve, reject) => {
          const request = indexedDB.open(name);
          request.onsuccess = () => {
            request.result.close();
            resolve();
          };
          request.onerror = () => reject(new Error('indexedDB.open failed'));
        });
      },
      {
        raw: canaries.kvPassword,
        typed: canaries.userpassPassword,
        base64: b64(canaries.sessionToken),
        hex: Buffer.from(canaries.kvUnusedField).toString('hex'),
        name: `db-${canaries.kvPassword}`,
      },
    );
    await writeFile(path.join(dir, 'scratch.txt'), Buffer.from(canaries.sessionToken).toString('base64'));
    const userDataScratch =
      world.desktop && path.join(world.desktop.standin.env.XDG_CONFIG_HOME!, 'Sesame', 'scratch.txt');
    if (userDataScratch) await writeFile(userDataScratch, Buffer.from(canaries.kvPassword).toString('hex'));
    const control = createScan(canaries);
    await scanEverything(control);
    // And the excluded login frame really carries the typed password: frames are seen as sent.
    const loginScan = createScan({ userpassPassword: canaries.userpassPassword });
    loginScan.text('login frame', 'login', loginFrames[0]!.payload);
    expect(loginScan.hits).toEqual(['login frame | login | userpassPassword (raw)']);
    const found = new Set(
      control.hits.map((hit) =>
        hit
          .split(' | ')
          .filter((_, i) => i !== 1)
          .join(' | '),
      ),
    );
    for (const expected of [
      'DOM + input values | kvPassword (raw)',
      'DOM + input values | userpassPassword (raw)',
      'localStorage | sessionToken (base64@1)',
      'sessionStorage | kvUnusedField (hex)',
      'cookies | kvUnusedField (hex)',
      'indexedDb | kvPassword (raw)',
      'files: app config dir | sessionToken (base64@0)',
      ...(world.desktop ? ['files: app userData + window profile | kvPassword (hex)'] : []),
    ]) {
      expect([...found], expected).toContain(expected);
    }
    await page.evaluate(async (name) => {
      const { document, localStorage, sessionStorage, indexedDB } = globalThis as unknown as PageGlobals;
      document.getElementById('canary-scratch')?.remove();
      document.getElementById('canary-scratch-field')?.remove();
      localStorage.removeItem('canary-scratch');
      sessionStorage.removeItem('canary-scratch');
      document.cookie = 'canary-scratch=; path=/; max-age=0';
      await new Promise<void>((resolve) => {
        indexedDB.deleteDatabase(name).onsuccess = () => resolve();
      });
    }, `db-${canaries.kvPassword}`);
    await rm(path.join(dir, 'scratch.txt'));
    if (userDataScratch) await rm(userDataScratch);
  });
});
