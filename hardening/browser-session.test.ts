// Browser mode against another local user (issue 17, items 1 and 2). The developer's browser
// holds Sesame's window; a second OS account runs its own programs on 127.0.0.1.
// 1. The developer's browser visits a page the other user serves on 127.0.0.1: nothing it
//    receives (cookies do not isolate by port) lets the other user drive Sesame from a plain
//    WebSocket client with a copied Origin and Host.
// 2. `sesame start --open` hands the browser its link: the one-time token must not be on a
//    command line (every user reads /proc/*/cmdline) where the other user can spend it first.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrowserBridge, type BrowserBridge } from '../app/bridge';
import { createMemoryHost, type MemoryHost } from '../app/bridge/testing/memory-host';
import { openLinkInBrowser } from '../cli/browser-link';
import { createNodePlatform } from '../cli/node-platform';
import { createLogger } from '../broker/log';
import { startUiRig, type UiRig } from '../app/bridge/testing/ui-harness';
import { canMakeUsers, createOtherUser, WS_CLIENT_SOURCE, type OtherUser } from './testing/other-user';

const lines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe.skipIf(!canMakeUsers())('browser mode against another local user', () => {
  let rig: UiRig;
  let attacker: OtherUser;
  let host: MemoryHost;
  let bridge: BrowserBridge;

  beforeAll(async () => {
    [rig, attacker] = await Promise.all([startUiRig(), createOtherUser()]);
    host = createMemoryHost({
      token: 'hvs.browser-session-test',
      authenticated: true,
      connections: [{ name: 'orders', protocol: 'postgres', target: 'db:5432' }],
    });
    bridge = await createBrowserBridge({ api: host, staticDir: rig.buildDir });
  });

  afterAll(async () => {
    await bridge?.close();
    await host?.close();
    await rig?.stop();
    await attacker?.remove();
  });

  /** The attacker's program: drive Sesame's /api with whatever it gathered. */
  async function drive(extraHeaders: Record<string, string>, messages: unknown[]) {
    const script = await attacker.program(
      `drive-${Date.now()}.mjs`,
      `${WS_CLIENT_SOURCE}\nawait call(${JSON.stringify(`ws://127.0.0.1:${bridge.port}/api`)}, ${JSON.stringify({
        Origin: `http://127.0.0.1:${bridge.port}`,
        Host: `127.0.0.1:${bridge.port}`,
        ...extraHeaders,
      })}, ${JSON.stringify(messages)});`,
    );
    const { stdout } = await attacker.node(script);
    const frames = lines(stdout).flatMap((l) =>
      typeof l.frame === 'string' ? [JSON.parse(l.frame) as Record<string, unknown>] : [],
    );
    return { frames, answered: frames.filter((f) => f.type === 'result' && f.ok === true), raw: stdout };
  }

  it('a page of another user on 127.0.0.1 learns nothing that unlocks Sesame', async () => {
    const server = attacker.start(
      await attacker.program(
        'page-server.mjs',
        `import http from 'node:http';
const s = http.createServer((req, res) => {
  console.log(JSON.stringify({ path: req.url, cookie: req.headers.cookie ?? '', referer: req.headers.referer ?? '' }));
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end('<!doctype html><title>cats</title><p>cute cats</p>');
});
s.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: s.address().port })));`,
      ),
    );
    const port = (await server.waitFor(/"port":(\d+)/))[1];
    const context = await rig.browser.newContext();
    try {
      // The developer opens Sesame's link, then, in the same browser, the other user's page.
      const sesame = await context.newPage();
      await sesame.goto(bridge.url);
      await sesame.getByTestId('connection-orders').waitFor(); // signed in: the host answered
      const cats = await context.newPage();
      await cats.goto(`http://127.0.0.1:${port}/`);
      await cats.getByText('cute cats').waitFor();
    } finally {
      await context.close();
      await server.stop();
    }
    const received = lines(server.output()).filter((l) => 'cookie' in l);
    expect(received.length).toBeGreaterThan(0);
    const gathered = received
      .map((l) => String(l.cookie))
      .filter(Boolean)
      .join('; ');

    // Whatever the page received, sent from the attacker's own process with a forged Origin/Host.
    const attempt = await drive(gathered ? { Cookie: gathered } : {}, [
      { type: 'hello', token: '', session: '' },
      { type: 'call', id: 1, command: 'connections.list', input: {} },
    ]);
    expect(attempt.answered, `the other user drove Sesame with: ${gathered || '(nothing)'}\n${attempt.raw}`).toEqual(
      [],
    );
    expect(gathered).not.toMatch(/sesame/i);
  });

  it('the link handed to the browser by `--open` cannot be read and spent by the other user first', async () => {
    // The "browser": an xdg-open that takes its time, as a real one starting a browser does.
    const bin = await mkdtemp(path.join(tmpdir(), 'sesame-fake-opener-'));
    await chmod(bin, 0o755);
    await writeFile(path.join(bin, 'xdg-open'), `#!/bin/sh\necho "$1" > ${bin}/opened\nsleep 8\n`, { mode: 0o755 });
    const watcher = attacker.start(
      await attacker.program(
        'cmdline-watch.mjs',
        `import { readdirSync, readFileSync } from 'node:fs';
const deadline = Date.now() + 8000;
const seen = new Set();
while (Date.now() < deadline) {
  for (const pid of readdirSync('/proc').filter((p) => /^\\d+$/.test(p))) {
    let argv = [];
    try { argv = readFileSync('/proc/' + pid + '/cmdline', 'utf8').split('\\0'); } catch { continue; }
    if (argv[0] !== 'xdg-open' && !String(argv[1] ?? '').endsWith('xdg-open')) continue;
    for (const arg of argv.slice(1)) {
      if (seen.has(arg)) continue;
      seen.add(arg);
      let content = '';
      try { content = readFileSync(arg.replace(/^file:\\/\\//, ''), 'utf8'); } catch (e) { content = 'unreadable: ' + e.code; }
      console.log(JSON.stringify({ arg, content }));
    }
  }
  await new Promise((r) => setTimeout(r, 20));
}
console.log(JSON.stringify({ done: true }));`,
      ),
    );
    const savedPath = process.env.PATH;
    process.env.PATH = `${bin}:${savedPath}`;
    try {
      const platform = await createNodePlatform(createLogger('test', () => {}));
      await new Promise((resolve) => setTimeout(resolve, 300)); // the watcher is scanning
      await openLinkInBrowser(bridge.createLoginUrl(), platform);
      await watcher.waitFor(/"done":true/, 15_000);
      // The developer's browser opens what it was given and is signed in.
      const opened = (await readFile(path.join(bin, 'opened'), 'utf8')).trim();
      expect(opened).toMatch(/^file:\/\/\/.+\.html$/);
      const context = await rig.browser.newContext();
      try {
        const page = await context.newPage();
        await page.goto(opened);
        await page.getByTestId('connection-orders').waitFor();
        expect(page.url()).toBe(`http://127.0.0.1:${bridge.port}/`); // the token left the address bar
      } finally {
        await context.close();
      }
    } finally {
      process.env.PATH = savedPath;
      await watcher.stop();
      await rm(bin, { recursive: true, force: true });
    }
    const seen = lines(watcher.output()).filter((l) => typeof l.arg === 'string');
    expect(seen.length, 'the watcher saw the opener run').toBeGreaterThan(0);
    const tokens = seen.flatMap((l) =>
      [...`${String(l.arg)} ${String(l.content)}`.matchAll(/token=([\w-]+)/g)].map((m) => m[1]!),
    );
    // Whatever it found, the attacker tries to sign in with it before the browser does.
    for (const token of tokens) {
      const attempt = await drive({}, [
        { type: 'hello', token },
        { type: 'call', id: 1, command: 'connections.list', input: {} },
      ]);
      expect(attempt.answered, `the other user spent the link from the command line: ${JSON.stringify(seen)}`).toEqual(
        [],
      );
    }
    expect(tokens, `the link's token was readable by the other user: ${JSON.stringify(seen)}`).toEqual([]);
  });
});
