// The desktop app as its users live it, Electron-shaped only (e2e/electron): main/'s real
// composition on the sandbox's config. The tray menu lists the connections with their states;
// switching one on from the tray makes psql work with no password; the tray icon says at a
// glance when a connection failed and when a login is needed; the close button keeps Sesame in
// the tray (and says so once); a second launch brings the running one to the front; Quit closes
// every listener and ends every process the app started.
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { runCli, startSandboxApp, type SandboxApp } from '../cli-process';
import { expect, test } from '../testing';
import { psql } from '../psql';
import { freePort } from '../../sandbox/servers/ports';

type Info = {
  vaultAddr: string;
  rootToken: string;
  agentAddr: string;
  configPath: string;
  connections: Array<{ name: string; listen: string }>;
  postgres: { port: number };
};
let world: SandboxApp<Info>;
let dir: string;
let configPath: string;

test.beforeAll(async ({ appMode }) => {
  test.skip(appMode !== 'electron', 'the tray exists only in the desktop app');
  dir = await mkdtemp(path.join(os.tmpdir(), 'sesame-e2e-desktop-'));
  world = await startSandboxApp<Info>({
    mode: 'electron',
    configFor: async (info) => {
      // A token of its own (Log out revokes it), and a connection whose secret does not exist.
      const created = await fetch(`${info.vaultAddr}/v1/auth/token/create`, {
        method: 'POST',
        headers: { 'X-Vault-Token': info.rootToken },
        body: JSON.stringify({ policies: ['root'], ttl: '1h' }),
      });
      const token = ((await created.json()) as { auth: { client_token: string } }).auth.client_token;
      const tokenFile = path.join(dir, 'vault-token');
      await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
      const config = parse(await readFile(info.configPath, 'utf8'));
      config.vault.auth = { method: 'token', tokenFile };
      config.connections.push({
        name: 'broken-db',
        protocol: 'postgres',
        listen: `127.0.0.1:${await freePort()}`,
        target: { host: '127.0.0.1', port: info.postgres.port, database: 'sandbox', sslmode: 'disable' },
        credentials: { from: 'vault-kv', path: 'secret/desktop/missing' },
      });
      configPath = path.join(dir, 'sesame.yaml');
      await writeFile(configPath, stringify(config), { mode: 0o600 });
      return configPath;
    },
  });
});

test.afterAll(async () => {
  await world?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const labels = (menu: Array<{ label: string }>) => menu.map((item) => item.label).filter(Boolean);

test('tray: connections and their states, on from the tray, icon at a glance, close to tray, second launch, quit', async () => {
  const desktop = world.desktop!;
  const state = () => desktop.control.state();
  const trayLabels = async () => labels((await state()).tray!.menu);
  const icon = async () => (await state()).tray!.icon;

  await test.step('the tray lists every connection with its state', async () => {
    await expect.poll(trayLabels).toContain('sandbox-postgres — Off');
    expect(await trayLabels()).toEqual(
      expect.arrayContaining([
        'sandbox-postgres-dynamic — Off',
        'sandbox-mariadb — Off',
        'sandbox-ssh — Off',
        'broken-db — Off',
        'Quit Sesame',
      ]),
    );
    expect((await state()).tray).toMatchObject({ icon: 'tray-ok-dark-22.png', iconExists: true });
    expect((await state()).tray!.tooltip).toMatch(/Logged in/);
  });

  await test.step('Turn on from the tray, then psql with no password', async () => {
    await desktop.control.clickTrayItem(['sandbox-postgres — Off', 'Turn on']);
    await expect.poll(trayLabels).toContain('sandbox-postgres — Ready');
    const { listen } = world.info.connections.find((c) => c.name === 'sandbox-postgres')!;
    const [host, port] = listen.split(':') as [string, string];
    const result = psql(host, port, 'sandbox', 'select current_user');
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('sandbox_app');
    // psql has exited; the broker notices its close a moment later ("Ready · 1 client" until then).
    const submenu = async () =>
      labels((await state()).tray!.menu.find((item) => item.label === 'sandbox-postgres — Ready')!.submenu!);
    await expect
      .poll(submenu)
      .toEqual(expect.arrayContaining(['Ready', `Local address: ${listen}`, 'Turn off', 'Open in GUI']));
  });

  await test.step('a failed connection turns the icon red and says why', async () => {
    await desktop.control.clickTrayItem(['broken-db — Off', 'Turn on']);
    await expect.poll(icon).toBe('tray-error-dark-22.png');
    await expect.poll(trayLabels).toContain('broken-db — Error');
    expect((await state()).tray!.tooltip).toMatch(/1 failed/);
    await expect
      .poll(async () => (await state()).notifications.map((n) => n.title))
      .toContain('Connection broken-db failed');
    await desktop.control.clickTrayItem(['broken-db — Error', 'Turn off']);
    await expect.poll(icon).toBe('tray-ok-dark-22.png');
  });

  await test.step('the close button hides the window to the tray, and the tray says so once', async () => {
    expect((await state()).windows[0]).toMatchObject({ visible: true });
    expect(await desktop.control.closeWindow()).toBe(false);
    expect((await state()).windows[0]).toMatchObject({ visible: false });
    // Still serving: a new psql gets in with the window hidden.
    const { listen } = world.info.connections.find((c) => c.name === 'sandbox-postgres')!;
    expect(psql(...(listen.split(':') as [string, string]), 'sandbox', 'select 1').stdout).toBe('1');
    await desktop.control.clickTrayItem(['Open Sesame']);
    expect((await state()).windows[0]).toMatchObject({ visible: true, focused: true });
    expect(await desktop.control.closeWindow()).toBe(false);
    const hints = (await state()).notifications.filter((n) => n.title === 'Sesame is still running');
    expect(hints).toHaveLength(1);
  });

  await test.step('a second launch brings the running app to the front and exits', async () => {
    expect((await state()).windows[0]).toMatchObject({ visible: false });
    const second = runCli(['start', '--config', configPath], desktop.standin.env);
    const code = await new Promise<number | null>((resolve) => second.child.once('exit', resolve));
    expect(code).toBe(0);
    await expect.poll(async () => (await state()).windows[0]).toMatchObject({ visible: true, focused: true });
    expect(world.app.output()).toContain('second instance launched');
  });

  await test.step('Log out from the tray: the icon says a login is needed, Log in… opens the window', async () => {
    await desktop.control.clickTrayItem(['Log out']);
    await expect.poll(icon).toBe('tray-logged-out-dark-22.png');
    expect(await trayLabels()).toEqual(expect.arrayContaining(['Not logged in to Vault', 'Log in…']));
    await desktop.control.closeWindow();
    await desktop.control.clickTrayItem(['Log in…']);
    expect((await state()).windows[0]).toMatchObject({ visible: true, focused: true });
  });

  await test.step('Quit closes every listener and ends every process the app started', async () => {
    const appPid = world.app.child.pid!;
    const started = await descendants(appPid);
    expect(started.length).toBeGreaterThan(2); // the stand-in Electron and its Chromium
    const ports = [...world.info.connections.map((c) => c.listen), world.info.agentAddr.replace('http://', '')];
    await desktop.control.clickTrayItem(['Quit Sesame']);
    const code = await new Promise<number | null>((resolve) =>
      world.app.child.exitCode !== null ? resolve(world.app.child.exitCode) : world.app.child.once('exit', resolve),
    );
    expect(code).toBe(0);
    await expect.poll(() => alive(started), { timeout: 15_000 }).toEqual([]);
    for (const address of ports) expect(await refused(address), address).toBe(true);
    expect(world.app.output()).toMatch(/\[electron-standin\] quit/);
  });
});

/** Every process below `pid`, read from /proc. */
async function descendants(pid: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid) parents.set(Number(entry), ppid);
  }
  const found: number[] = [];
  const visit = (parent: number) => {
    for (const [child, ppid] of parents) {
      if (ppid !== parent) continue;
      found.push(child);
      visit(child);
    }
  };
  visit(pid);
  return found;
}

/** Those of `pids` still running (zombies count as ended). */
async function alive(pids: number[]): Promise<number[]> {
  const running: number[] = [];
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (stat && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z') running.push(pid);
  }
  return running;
}

function refused(address: string): Promise<boolean> {
  const [host, port] = address.split(':') as [string, string];
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}
