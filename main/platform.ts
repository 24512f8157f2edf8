// The Platform the Electron shell gives the host: the system browser, a terminal, detached
// programs, notifications, the clipboard and the secret store. Electron's shell, Notification
// and clipboard come in as parameters; programs are started with node:child_process.
import { spawn as nodeSpawn } from 'node:child_process';
import {
  checkArgv,
  startDetached,
  terminalLaunch,
  type Platform,
  type SecretStore,
  type StartAtLogin,
} from '../app/platform';

export { findOnPath, shellQuote, terminalLaunch, type TerminalLaunch } from '../app/platform';

export interface PlatformDeps {
  shell: { openExternal(url: string): Promise<void> };
  Notification: {
    isSupported(): boolean;
    new (options: { title: string; body: string; icon?: string }): { show(): void };
  };
  clipboard: { writeText(text: string): void };
}

export interface ElectronPlatformOptions {
  secrets: SecretStore;
  os?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
  spawn?: typeof nodeSpawn;
  /** Icon shown in notifications (Linux, Windows). */
  notificationIcon?: string;
  /** The OS's "start at login" setting (login-item.ts), for the Settings tab. */
  startAtLogin?: StartAtLogin;
}

/**
 * Schemes the OS may be asked to open: the web (OIDC login) and the database URL schemes GUIs
 * register (TablePlus, Postico, DBeaver …). Anything else — file:, javascript:, custom app
 * schemes — is refused.
 */
export const EXTERNAL_SCHEMES: ReadonlySet<string> = new Set([
  'http:',
  'https:',
  'postgres:',
  'postgresql:',
  'mysql:',
  'mariadb:',
]);

/** The URL to hand to the OS, or an error saying why it is refused. */
export function checkExternalUrl(raw: string): URL {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 8192)
    throw new Error('The URL to open must be a non-empty string of at most 8192 characters.');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('The URL to open is not a valid absolute URL.');
  }
  if (!EXTERNAL_SCHEMES.has(url.protocol)) {
    throw new Error(`Sesame does not open '${url.protocol}' URLs; allowed: ${[...EXTERNAL_SCHEMES].join(', ')}.`);
  }
  // A credential in a URL ends up in browser history and process lists; Sesame never needs one.
  if (url.password) throw new Error('Sesame does not open URLs that carry a password.');
  return url;
}

export function createElectronPlatform(deps: PlatformDeps, options: ElectronPlatformOptions): Platform {
  const os = options.os ?? process.platform;
  const env = options.env ?? process.env;
  const spawn = options.spawn ?? nodeSpawn;
  return {
    async openExternal(url) {
      await deps.shell.openExternal(checkExternalUrl(url).toString());
    },
    async openTerminal(argv, terminalOptions) {
      const launch = terminalLaunch(checkArgv(argv, 'terminal'), {
        os,
        env,
        ...(terminalOptions?.title ? { title: terminalOptions.title } : {}),
      });
      await startDetached(spawn, launch.command, launch.args, env);
    },
    async launch(argv) {
      const [command, ...args] = checkArgv(argv, 'launch');
      await startDetached(spawn, command!, args, env);
    },
    notify(title, body) {
      if (!deps.Notification.isSupported()) return;
      const icon = options.notificationIcon;
      new deps.Notification({ title, body, ...(icon ? { icon } : {}) }).show();
    },
    async writeClipboard(text) {
      if (typeof text !== 'string' || text.length > 65_536)
        throw new Error('Clipboard text must be a string of at most 65536 characters.');
      deps.clipboard.writeText(text);
    },
    secrets: options.secrets,
    ...(options.startAtLogin ? { startAtLogin: options.startAtLogin } : {}),
  };
}
