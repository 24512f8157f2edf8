import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseShellArguments } from './args';
import { claimSingleInstance, installGracefulQuit, type LifecycleApp } from './lifecycle';
import { autostartFile, createStartAtLogin, desktopExecArg, startedAtLogin, type LoginItemApp } from './login-item';

/** Electron's app, reduced to its events and the calls the shell makes. */
function fakeApp(lock = true) {
  const listeners = new Map<string, Array<(event: { preventDefault(): void }) => void>>();
  const calls: string[] = [];
  const app: LifecycleApp = {
    requestSingleInstanceLock: () => lock,
    on: (event: string, listener: (event: { preventDefault(): void }) => void) => {
      listeners.set(event, [...(listeners.get(event) ?? []), listener]);
    },
    quit() {
      calls.push('quit');
      // Electron emits before-quit again; it quits unless a listener prevents it.
      let prevented = false;
      for (const l of listeners.get('before-quit') ?? []) l({ preventDefault: () => (prevented = true) });
      if (!prevented) calls.push('exited');
    },
    exit: (code) => void calls.push(`exit ${code}`),
  };
  const emit = (event: string) => (listeners.get(event) ?? []).forEach((l) => l({ preventDefault() {} }));
  return { app, calls, emit, listeners };
}

describe('single instance', () => {
  it('lets the first instance run and shows it when a second one starts', () => {
    const { app, emit, listeners } = fakeApp(true);
    let shown = 0;
    expect(claimSingleInstance(app, () => shown++)).toBe(true);
    emit('second-instance');
    expect(shown).toBe(1);
    expect(listeners.get('window-all-closed')).toHaveLength(1); // the tray keeps the app alive
  });

  it('tells a second instance to stop', () => {
    const { app, listeners } = fakeApp(false);
    expect(claimSingleInstance(app, () => {})).toBe(false);
    expect(listeners.size).toBe(0);
  });
});

describe('graceful quit', () => {
  it('closes the host before the app exits, once, even when Quit is asked twice', async () => {
    const { app, calls } = fakeApp();
    let finishClose!: () => void;
    let closes = 0;
    const quit = installGracefulQuit(app, {
      close: () => {
        closes++;
        return new Promise<void>((resolve) => (finishClose = resolve));
      },
    });
    expect(quit.isQuitting()).toBe(false);
    app.quit();
    app.quit();
    expect(quit.isQuitting()).toBe(true);
    expect(calls).toEqual(['quit', 'quit']); // held back while the host closes
    finishClose();
    await new Promise((resolve) => setImmediate(resolve));
    expect(closes).toBe(1);
    expect(calls).toEqual(['quit', 'quit', 'quit', 'exited']);
  });

  it('still quits when closing fails, and reports why', async () => {
    const { app, calls } = fakeApp();
    const errors: string[] = [];
    installGracefulQuit(app, {
      close: async () => Promise.reject(new Error('revoke failed')),
      onError: (e) => errors.push((e as Error).message),
    });
    app.quit();
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toEqual(['revoke failed']);
    expect(calls.at(-1)).toBe('exited');
  });

  it('does not wait forever for a host that never finishes closing', async () => {
    const { app, calls } = fakeApp();
    const errors: string[] = [];
    installGracefulQuit(app, {
      close: () => new Promise<void>(() => {}),
      onError: (e) => errors.push((e as Error).message),
      timeoutMs: 10,
    });
    app.quit();
    for (let i = 0; i < 500 && calls.at(-1) !== 'exited'; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(errors).toEqual(['Sesame did not finish closing in time; quitting anyway.']);
    expect(calls.at(-1)).toBe('exited');
  });
});

describe('start at login', () => {
  const temps: string[] = [];
  afterEach(() => {
    for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const loginItems = (): LoginItemApp & { settings: { openAtLogin: boolean; args?: string[] } } => ({
    settings: { openAtLogin: false },
    getLoginItemSettings() {
      return { openAtLogin: this.settings.openAtLogin };
    },
    setLoginItemSettings(settings) {
      this.settings = settings;
    },
  });

  it('writes and removes an XDG autostart entry on Linux', () => {
    const config = mkdtempSync(path.join(os.tmpdir(), 'sesame-autostart-'));
    temps.push(config);
    const env = { XDG_CONFIG_HOME: config };
    const setting = createStartAtLogin(loginItems(), {
      platform: 'linux',
      env,
      execPath: '/opt/Sesame Apps/sesame',
      args: [],
    });
    expect(setting.available).toBe(true);
    expect(setting.isEnabled()).toBe(false);
    setting.setEnabled(true);
    expect(setting.isEnabled()).toBe(true);
    const entry = readFileSync(autostartFile(env), 'utf8');
    expect(entry).toContain('[Desktop Entry]');
    expect(entry).toContain('Exec="/opt/Sesame Apps/sesame" --hidden');
    setting.setEnabled(false);
    expect(existsSync(autostartFile(env))).toBe(false);
    expect(setting.isEnabled()).toBe(false);
  });

  it('starts the AppImage file itself, not its temporary mount', () => {
    const config = mkdtempSync(path.join(os.tmpdir(), 'sesame-autostart-'));
    temps.push(config);
    const env = { XDG_CONFIG_HOME: config, APPIMAGE: '/home/me/Apps/Sesame.AppImage' };
    createStartAtLogin(loginItems(), { platform: 'linux', env, execPath: '/tmp/.mount_SesameX/sesame' }).setEnabled(
      true,
    );
    expect(readFileSync(autostartFile(env), 'utf8')).toContain('Exec=/home/me/Apps/Sesame.AppImage --hidden');
  });

  it('quotes Exec arguments so a desktop shell reads them back exactly', () => {
    const args = ['/opt/my app/sesame', 'it\'s "quoted"', '$HOME', 'back\\slash', '100%'];
    const exec = args.map(desktopExecArg).join(' ');
    // Undo the desktop-entry string escape, then let a POSIX shell apply the quoting rule.
    const unescaped = exec.replace(/\\\\/g, '\\').replace(/%%/g, '%');
    const echoed = execFileSync('sh', ['-c', `printf '%s\\n' ${unescaped}`], { encoding: 'utf8' });
    expect(echoed.trimEnd().split('\n')).toEqual(args);
  });

  it('uses login items on macOS and Windows, starting hidden', () => {
    const app = loginItems();
    const setting = createStartAtLogin(app, { platform: 'win32', env: {}, execPath: 'C:\\Sesame\\Sesame.exe' });
    setting.setEnabled(true);
    expect(app.settings).toEqual({ openAtLogin: true, args: ['--hidden'] });
    expect(setting.isEnabled()).toBe(true);
    expect(startedAtLogin(['Sesame.exe', '--hidden'], app, 'win32')).toBe(true);
    expect(startedAtLogin(['Sesame.exe'], app, 'win32')).toBe(false);
  });

  it('is unavailable where the OS has no such setting', () => {
    const setting = createStartAtLogin(loginItems(), { platform: 'aix', env: {}, execPath: '/x' });
    expect(setting.available).toBe(false);
  });
});

describe('command line', () => {
  it('reads --config in both spellings and --hidden, leaving Chromium switches alone', () => {
    expect(
      parseShellArguments(['/opt/Sesame/sesame', '--config', 'conf/sesame.yaml', '--enable-logging'], '/home/me'),
    ).toEqual({
      configPath: '/home/me/conf/sesame.yaml',
      hidden: false,
    });
    expect(parseShellArguments(['sesame', '--config=/etc/sesame.yaml', '--hidden'])).toEqual({
      configPath: '/etc/sesame.yaml',
      hidden: true,
    });
    expect(parseShellArguments(['sesame'])).toEqual({ hidden: false });
  });

  it('says what is wrong with a --config without a file', () => {
    expect(() => parseShellArguments(['sesame', '--config'])).toThrow('--config needs a file path after it.');
    expect(() => parseShellArguments(['sesame', '--config', '--hidden'])).toThrow(
      '--config needs a file path after it.',
    );
    expect(() => parseShellArguments(['sesame', '--config='])).toThrow('--config= needs a file path.');
  });
});
