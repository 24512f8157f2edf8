// Issue 17, item 8: an installed (packaged) Sesame must load only its own renderer. The
// development switch ELECTRON_RENDERER_URL points the window at a Vite dev server on this
// machine; honoured by an installed build, anyone who can set the variable (a launcher, a
// shell profile, another local program) could put their own page in the window, where it gets
// window.sesame and drives the app.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from '../testing';
import { attachDesktop, runCli, type CliProcess, type Desktop } from '../cli-process';
import { prepareStandin } from '../electron/harness';
import { startVaultDev, type VaultDevServer } from '../../sandbox/vault';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

let vault: VaultDevServer;
let dir: string;
let app: CliProcess | undefined;
let desktop: Desktop | undefined;
let impostor: http.Server;
const impostorRequests: string[] = [];

test.beforeAll(async ({ appMode }) => {
  test.skip(appMode !== 'electron', 'a desktop build only');
  vault = await startVaultDev();
  dir = await mkdtemp(path.join(os.tmpdir(), 'sesame-e2e-packaged-'));
  impostor = http.createServer((req, res) => {
    impostorRequests.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>Sesame</title><p>not Sesame</p>');
  });
  await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
});

test.afterAll(async () => {
  await desktop?.chromium.close().catch(() => {});
  desktop?.control.close();
  await app?.stop();
  await desktop?.standin.remove();
  impostor?.close();
  await vault?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('an installed build ignores ELECTRON_RENDERER_URL and shows its own renderer', async () => {
  const configPath = path.join(dir, 'sesame.yaml');
  await writeFile(configPath, `vault:\n  address: ${vault.address}\nconnections: []\n`, { mode: 0o600 });
  const standin = await prepareStandin();
  const devServer = `http://127.0.0.1:${(impostor.address() as AddressInfo).port}/`;
  app = runCli(['start', '--config', configPath], {
    ...standin.env,
    SESAME_STANDIN_PACKAGED: '1',
    ELECTRON_RENDERER_URL: devServer,
  });
  desktop = await attachDesktop(app, standin);
  await expect
    .poll(async () => (await desktop!.control.state()).windows[0]?.url)
    .toBe('sesame-app://renderer/index.html');
  expect(impostorRequests).toEqual([]);
});
