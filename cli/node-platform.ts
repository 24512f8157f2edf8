// The Platform for shells without Electron (browser mode, daemon): the OS's own openers, the
// same terminal and program launching as the desktop app (app/platform/launch.ts).
import { spawn } from 'node:child_process';
import type { Logger } from '../broker/log';
import { checkArgv, createKeychainSecretStore, startDetached, terminalLaunch, type Platform } from '../app/platform';

/** How long an opener may take to hand the URL over before we stop waiting for its verdict. */
const OPENER_VERDICT_MS = 10_000;

const XDG_OPEN_EXIT: Record<number, string> = {
  1: 'it did not understand the request',
  2: 'the file does not exist',
  3: 'no application is registered for this kind of address',
  4: 'the application it chose failed to open it',
};

/**
 * Ask the OS to open `url` and wait for the opener's verdict: `xdg-open` (Linux), `open`
 * (macOS) and `explorer.exe` (Windows) hand the URL to an application and exit — non-zero when
 * none took it, which is then an error in plain words rather than "opened".
 */
export function openWithOs(url: string, os: NodeJS.Platform = process.platform): Promise<void> {
  const opener = os === 'darwin' ? 'open' : os === 'win32' ? 'explorer.exe' : 'xdg-open';
  return new Promise((resolve, reject) => {
    const child = spawn(opener, [url], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    const timer = setTimeout(() => {
      // Still busy after a while (some openers wait for the browser): it took the URL.
      child.unref();
      child.stderr!.destroy();
      resolve();
    }, OPENER_VERDICT_MS);
    timer.unref();
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new Error(
          error.code === 'ENOENT'
            ? `${opener} is not installed, so Sesame cannot open addresses here`
            : `could not start ${opener}: ${error.message}`,
        ),
      );
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      // explorer.exe exits 1 even when it opened the URL.
      if (code === 0 || (os === 'win32' && code === 1)) return resolve();
      const why = (opener === 'xdg-open' && code !== null && XDG_OPEN_EXIT[code]) || `it exited with ${code}`;
      const said = stderr.trim().split('\n')[0];
      reject(new Error(`${opener} could not open it: ${why}${said ? ` (${said})` : ''}`));
    });
  });
}

export async function createNodePlatform(
  log: Logger,
  options: { os?: NodeJS.Platform; env?: NodeJS.ProcessEnv } = {},
): Promise<Platform> {
  const os = options.os ?? process.platform;
  const env = options.env ?? process.env;
  return {
    openExternal: (url) => openWithOs(url, os),
    async openTerminal(argv, terminal) {
      const launch = terminalLaunch(checkArgv(argv, 'terminal'), {
        os,
        env,
        ...(terminal?.title ? { title: terminal.title } : {}),
      });
      await startDetached(spawn, launch.command, launch.args, env);
    },
    async launch(argv) {
      const [command, ...args] = checkArgv(argv, 'launch');
      await startDetached(spawn, command!, args, env);
    },
    notify: (title, body) => log.info(`${title}: ${body}`, { notification: true }),
    secrets: await createKeychainSecretStore(),
  };
}
