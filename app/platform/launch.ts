// Starting programs for the host, the same in every shell (the desktop app and browser mode):
// a command line checked at the edge, a new terminal window on each OS, a detached program.
import { type spawn as nodeSpawn, type SpawnOptions } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export function checkArgv(argv: unknown, what: string): string[] {
  if (!Array.isArray(argv) || argv.length === 0)
    throw new Error(`The ${what} command must be a non-empty list of arguments.`);
  if (argv.length > 256) throw new Error(`The ${what} command has more than 256 arguments.`);
  for (const arg of argv) {
    if (typeof arg !== 'string' || arg.includes('\0') || arg.length > 4096) {
      throw new Error(
        `Every argument of the ${what} command must be a string of at most 4096 characters without NUL bytes.`,
      );
    }
  }
  if (argv[0] === '') throw new Error(`The ${what} command has an empty program name.`);
  return argv as string[];
}

/** The first of `names` that is an executable file on PATH. */
export function findOnPath(names: readonly string[], env: NodeJS.ProcessEnv, os: NodeJS.Platform): string | undefined {
  const dirs = (env.PATH ?? env.Path ?? '').split(os === 'win32' ? ';' : ':').filter(Boolean);
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      try {
        accessSync(candidate, os === 'win32' ? constants.F_OK : constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** POSIX shell quoting, for the one place a command line must become a string (macOS Terminal). */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

const appleScriptString = (text: string) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export interface TerminalLaunch {
  command: string;
  args: string[];
}

const LINUX_TERMINALS = ['x-terminal-emulator', 'gnome-terminal', 'konsole', 'xfce4-terminal', 'xterm'] as const;

/**
 * How to run `argv` in a new terminal window on this OS: Terminal.app through osascript on
 * macOS, Windows Terminal (or a console window) on Windows, and on Linux $TERMINAL or the first
 * known terminal emulator on PATH.
 */
export function terminalLaunch(
  argv: string[],
  options: { os: NodeJS.Platform; env: NodeJS.ProcessEnv; title?: string },
): TerminalLaunch {
  const { os, env } = options;
  const title = options.title ?? argv.join(' ');
  if (os === 'darwin') {
    const line = argv.map(shellQuote).join(' ');
    return {
      command: 'osascript',
      args: [
        '-e',
        `tell application "Terminal" to do script ${appleScriptString(line)}`,
        '-e',
        'tell application "Terminal" to activate',
      ],
    };
  }
  if (os === 'win32') {
    // Windows Terminal reads ';' as its own command separator; `\;` passes one through.
    if (findOnPath(['wt.exe'], env, os))
      return { command: 'wt.exe', args: ['new-tab', '--title', title, ...argv.map((a) => a.replace(/;/g, '\\;'))] };
    // `start` takes its first quoted argument as the window title: an empty one (quoted as "").
    return { command: env.ComSpec ?? 'cmd.exe', args: ['/d', '/c', 'start', '', ...argv] };
  }
  const preferred = env.TERMINAL ? [env.TERMINAL] : [];
  const found = findOnPath([...preferred, ...LINUX_TERMINALS], env, os);
  if (!found) {
    throw new Error(
      `No terminal emulator found on PATH (looked for ${[...preferred, ...LINUX_TERMINALS].join(', ')}); set $TERMINAL to one.`,
    );
  }
  const name = path.basename(found);
  if (name === 'gnome-terminal') return { command: found, args: ['--title', title, '--', ...argv] };
  if (name === 'xterm') return { command: found, args: ['-T', title, '-e', ...argv] };
  // Debian's x-terminal-emulator contract, konsole, xfce4-terminal and most others: -e CMD ARGS…
  return { command: found, args: ['-e', ...argv] };
}

/** Start a program detached from Sesame; resolves once it has started, rejects if it cannot. */
export function startDetached(
  spawn: typeof nodeSpawn,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const options: SpawnOptions = { detached: true, stdio: 'ignore', env, windowsHide: false };
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, options);
    child.once('error', (error) => reject(new Error(`Could not start ${path.basename(command)}: ${error.message}`)));
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}
