import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemorySecretStore } from '../app/platform';
import { checkExternalUrl, createElectronPlatform, shellQuote, terminalLaunch, type PlatformDeps } from './platform';

const temps: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sesame-platform-'));
  temps.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Wait (bounded) for a file a detached program writes. */
/** The child writes asynchronously to us: wait until the file exists and holds something. */
async function waitForFile(file: string): Promise<string> {
  for (let i = 0; i < 200 && !(existsSync(file) && readFileSync(file, 'utf8')); i++) await sleep(50);
  return readFileSync(file, 'utf8');
}

/** Electron's shell, Notification and clipboard, recording what they were asked to do. */
function recordingDeps(supported = true) {
  const seen: string[] = [];
  const deps: PlatformDeps = {
    shell: { openExternal: async (url) => void seen.push(`open ${url}`) },
    Notification: class {
      static isSupported = () => supported;
      constructor(private readonly options: { title: string; body: string }) {}
      show() {
        seen.push(`notify ${this.options.title}: ${this.options.body}`);
      }
    },
    clipboard: { writeText: (text) => void seen.push(`clipboard ${text}`) },
  };
  return { deps, seen };
}

const secrets = createMemorySecretStore('test');

describe('openExternal', () => {
  it('opens web and database URLs through the OS', async () => {
    const { deps, seen } = recordingDeps();
    const platform = createElectronPlatform(deps, { secrets });
    await platform.openExternal('https://vault.example.com/ui/vault/auth/oidc/oidc/callback?state=x');
    await platform.openExternal('postgresql://127.0.0.1:15432/orders?sslmode=disable');
    expect(seen).toEqual([
      'open https://vault.example.com/ui/vault/auth/oidc/oidc/callback?state=x',
      'open postgresql://127.0.0.1:15432/orders?sslmode=disable',
    ]);
  });

  it('refuses other schemes, malformed URLs and URLs with a password', async () => {
    const { deps, seen } = recordingDeps();
    const platform = createElectronPlatform(deps, { secrets });
    await expect(platform.openExternal('file:///etc/passwd')).rejects.toThrow("does not open 'file:' URLs");
    await expect(platform.openExternal('javascript:alert(1)')).rejects.toThrow("does not open 'javascript:' URLs");
    await expect(platform.openExternal('not a url')).rejects.toThrow('not a valid absolute URL');
    const withPassword = 'postgresql://app:hunter2@127.0.0.1:15432/orders';
    const error = await platform.openExternal(withPassword).catch((e: Error) => e.message);
    expect(error).toBe('Sesame does not open URLs that carry a password.');
    expect(seen).toEqual([]);
    expect(checkExternalUrl('mysql://root@127.0.0.1:13306/shop').protocol).toBe('mysql:');
  });
});

describe('openTerminal', () => {
  it('runs the command in the Linux terminal emulator found on PATH', async () => {
    const bin = tempDir();
    const out = path.join(bin, 'ran.txt');
    // A terminal emulator that honours Debian's `x-terminal-emulator -e CMD ARGS…` contract.
    writeFileSync(path.join(bin, 'x-terminal-emulator'), '#!/bin/sh\n[ "$1" = "-e" ] || exit 2\nshift\nexec "$@"\n', {
      mode: 0o755,
    });
    const { deps } = recordingDeps();
    const env = { PATH: `${bin}:/usr/bin:/bin` };
    const platform = createElectronPlatform(deps, { secrets, os: 'linux', env });
    await platform.openTerminal(['sh', '-c', 'printf "%s" "$0" > "$1"', 'hello from the terminal', out], {
      title: 'bastion',
    });
    expect(await waitForFile(out)).toBe('hello from the terminal');
  });

  it('prefers $TERMINAL and speaks the argument style of known terminals', () => {
    const bin = tempDir();
    for (const name of ['gnome-terminal', 'xterm', 'kitty'])
      writeFileSync(path.join(bin, name), '#!/bin/sh\n', { mode: 0o755 });
    const argv = ['ssh', '-p', '2222', '127.0.0.1'];
    expect(terminalLaunch(argv, { os: 'linux', env: { PATH: bin }, title: 'bastion' })).toEqual({
      command: path.join(bin, 'gnome-terminal'),
      args: ['--title', 'bastion', '--', ...argv],
    });
    expect(terminalLaunch(argv, { os: 'linux', env: { PATH: bin, TERMINAL: 'xterm' }, title: 'bastion' }).args).toEqual(
      ['-T', 'bastion', '-e', ...argv],
    );
    expect(terminalLaunch(argv, { os: 'linux', env: { PATH: bin, TERMINAL: 'kitty' } }).args).toEqual(['-e', ...argv]);
  });

  it('says clearly when there is no terminal emulator', async () => {
    const { deps } = recordingDeps();
    const platform = createElectronPlatform(deps, { secrets, os: 'linux', env: { PATH: tempDir() } });
    await expect(platform.openTerminal(['ssh', 'host'])).rejects.toThrow(
      /No terminal emulator found on PATH .*set \$TERMINAL/,
    );
  });

  it('drives Terminal.app on macOS with a command line the shell reads back exactly', () => {
    const argv = ['psql', 'postgresql://127.0.0.1:15432/orders', 'it\'s a "test"', '$HOME', 'a b'];
    const launch = terminalLaunch(argv, { os: 'darwin', env: {} });
    expect(launch.command).toBe('osascript');
    expect(launch.args[1]).toMatch(/^tell application "Terminal" to do script "psql /);
    // The shell line inside the AppleScript string, run by a real shell, yields the same argv.
    const line = argv.map(shellQuote).join(' ');
    const echoed = execFileSync('sh', ['-c', `printf '%s\\n' ${line}`], { encoding: 'utf8' });
    expect(echoed.trimEnd().split('\n')).toEqual(argv);
  });

  it('uses Windows Terminal when present, else a console window', () => {
    const bin = tempDir();
    expect(
      terminalLaunch(['ssh', 'h'], { os: 'win32', env: { PATH: bin, ComSpec: 'C:\\Windows\\system32\\cmd.exe' } }),
    ).toEqual({
      command: 'C:\\Windows\\system32\\cmd.exe',
      args: ['/d', '/c', 'start', '', 'ssh', 'h'],
    });
    writeFileSync(path.join(bin, 'wt.exe'), '');
    expect(terminalLaunch(['ssh', 'h;x'], { os: 'win32', env: { PATH: bin }, title: 't' })).toEqual({
      command: 'wt.exe',
      args: ['new-tab', '--title', 't', 'ssh', 'h\\;x'],
    });
  });

  it('rejects a malformed command before starting anything', async () => {
    const { deps } = recordingDeps();
    const platform = createElectronPlatform(deps, { secrets, os: 'linux', env: { PATH: '/usr/bin' } });
    await expect(platform.openTerminal([])).rejects.toThrow('non-empty list');
    await expect(platform.launch(['psql', 'a\0b'])).rejects.toThrow('without NUL bytes');
  });
});

describe('launch, notify, clipboard', () => {
  it('starts a detached program and reports one that does not exist', async () => {
    const out = path.join(tempDir(), 'launched.txt');
    const { deps } = recordingDeps();
    const platform = createElectronPlatform(deps, { secrets });
    await platform.launch([process.execPath, '-e', 'require("fs").writeFileSync(process.argv[1], "gui started")', out]);
    expect(await waitForFile(out)).toBe('gui started');
    await expect(platform.launch(['/nonexistent/dbeaver', '-con', 'x'])).rejects.toThrow(
      /Could not start dbeaver: .*ENOENT/,
    );
  });

  it('shows notifications where the OS supports them and writes the clipboard', async () => {
    const supported = recordingDeps(true);
    const platform = createElectronPlatform(supported.deps, { secrets });
    platform.notify('Connection orders failed', 'refused');
    await platform.writeClipboard!('127.0.0.1:15432');
    expect(supported.seen).toEqual(['notify Connection orders failed: refused', 'clipboard 127.0.0.1:15432']);

    const unsupported = recordingDeps(false);
    createElectronPlatform(unsupported.deps, { secrets }).notify('x', 'y');
    expect(unsupported.seen).toEqual([]);
  });
});
