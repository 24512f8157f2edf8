// "Start at login": a login item on macOS and Windows (Electron's setLoginItemSettings), an XDG
// autostart entry on Linux (where Electron offers no login items). The OS holds the setting,
// so there is no second copy of it to drift; a login start passes --hidden so the app comes
// up in the tray without opening its window.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StartAtLogin } from '../app/platform';

export const HIDDEN_FLAG = '--hidden';

export interface LoginItemApp {
  getLoginItemSettings(): { openAtLogin: boolean; wasOpenedAtLogin?: boolean };
  setLoginItemSettings(settings: { openAtLogin: boolean; args?: string[] }): void;
}

/** The platform's face for it (app/platform); where unavailable the tray hides the item. */
export type { StartAtLogin } from '../app/platform';

export interface StartAtLoginOptions {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  /** The program to start: the AppImage when run from one, else Electron's executable. */
  execPath: string;
  /** Arguments before --hidden (the app directory when running unpackaged). */
  args?: string[];
}

/** One argument of a desktop entry's Exec key, quoted and escaped per the freedesktop spec. */
export function desktopExecArg(arg: string): string {
  const escapedPercent = arg.replace(/%/g, '%%');
  if (arg !== '' && !/[\s"'\\><~|&;$*?#()`]/.test(arg)) return escapedPercent;
  // Quoting rule first (\ " ` $ get a backslash), then the string rule doubles every backslash.
  const quoted = `"${escapedPercent.replace(/(["`$\\])/g, '\\$1')}"`;
  return quoted.replace(/\\/g, '\\\\');
}

export function autostartFile(env: NodeJS.ProcessEnv): string {
  const configHome = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(configHome, 'autostart', 'sesame.desktop');
}

export function autostartEntry(execPath: string, args: readonly string[]): string {
  const exec = [execPath, ...args, HIDDEN_FLAG].map(desktopExecArg).join(' ');
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Sesame',
    'Comment=Open databases and SSH hosts with credentials that stay in Vault',
    `Exec=${exec}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

export function createStartAtLogin(app: LoginItemApp, options: StartAtLoginOptions): StartAtLogin {
  const args = options.args ?? [];
  if (options.platform === 'darwin' || options.platform === 'win32') {
    return {
      available: true,
      isEnabled: () => app.getLoginItemSettings().openAtLogin,
      setEnabled(enabled) {
        app.setLoginItemSettings({ openAtLogin: enabled, args: [...args, HIDDEN_FLAG] });
      },
    };
  }
  if (options.platform === 'linux' || options.platform === 'freebsd' || options.platform === 'openbsd') {
    const file = autostartFile(options.env);
    // An AppImage's own path changes on every run (it is mounted); $APPIMAGE is the file itself.
    const execPath = options.env.APPIMAGE || options.execPath;
    return {
      available: true,
      isEnabled: () => existsSync(file) && readFileSync(file, 'utf8').includes('Name=Sesame'),
      setEnabled(enabled) {
        if (!enabled) {
          rmSync(file, { force: true });
          return;
        }
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, autostartEntry(execPath, args), { mode: 0o644 });
      },
    };
  }
  return { available: false, isEnabled: () => false, setEnabled: () => {} };
}

/** Was this run started at login (so it should stay in the tray)? */
export function startedAtLogin(argv: readonly string[], app: LoginItemApp, platform: NodeJS.Platform): boolean {
  if (argv.includes(HIDDEN_FLAG)) return true;
  return platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin === true;
}
