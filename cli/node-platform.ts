// The Platform for shells without Electron (browser mode, daemon): the OS's own openers.
import { spawn } from 'node:child_process';
import type { Logger } from '../broker/log';
import { createKeychainSecretStore, type Platform } from '../app/platform';

function detached(argv: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const [command, ...args] = argv;
    if (!command) return reject(new Error('empty command'));
    const child = spawn(command, args, { detached: true, stdio: 'ignore' });
    child.once('error', (error) => reject(new Error(`could not start ${command}: ${error.message}`)));
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}

export function terminalCommand(argv: string[], platform = process.platform): string[] {
  if (platform === 'darwin') {
    const line = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    return ['osascript', '-e', `tell application "Terminal" to do script "${line.replace(/["\\]/g, '\\$&')}"`];
  }
  if (platform === 'win32') return ['wt.exe', ...argv];
  return ['x-terminal-emulator', '-e', ...argv];
}

export async function createNodePlatform(log: Logger): Promise<Platform> {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer.exe' : 'xdg-open';
  return {
    openExternal: (url) => detached([opener, url]),
    openTerminal: (argv) => detached(terminalCommand(argv)),
    launch: (argv) => detached(argv),
    notify: (title, body) => log.info(`${title}: ${body}`, { notification: true }),
    secrets: await createKeychainSecretStore(),
  };
}
