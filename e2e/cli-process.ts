// Runs the real `sesame` CLI as a child process, as a user would, and reads what it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { chromium as playwrightChromium, type Browser, type Page } from '@playwright/test';
import { connectControl, prepareStandin, type StandinControl, type StandinDir } from './electron/harness';

const root = path.resolve(import.meta.dirname, '..');

export interface CliProcess {
  child: ChildProcess;
  output(): string;
  /** Type a line into the process (`sesame start` prints a new link for each). */
  input(line: string): void;
  /** Resolves with the first match of `pattern` in stdout+stderr. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, [path.join(root, 'bin', 'sesame.mjs'), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters = new Set<() => void>();
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    for (const check of waiters) check();
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  child.on('exit', () => {
    for (const check of waiters) check();
  });
  return {
    child,
    output: () => output,
    input: (line) => void child.stdin!.write(`${line}\n`),
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`timed out waiting for ${pattern} in:\n${output}`)), timeoutMs);
        const done = (error?: Error, match?: RegExpMatchArray) => {
          waiters.delete(check);
          clearTimeout(timer);
          if (error) reject(error);
          else resolve(match!);
        };
        const check = () => {
          const match = output.match(pattern);
          if (match) done(undefined, match);
          else if (child.exitCode !== null)
            done(new Error(`sesame ${args.join(' ')} exited (${child.exitCode}) before ${pattern}:\n${output}`));
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const APP_URL = /http:\/\/127\.0\.0\.1:\d+\/#token=\S+/g;
const STANDIN_READY = /\[electron-standin\] ready pid=(\d+) cdp=(\S+) control=(\S+)/;

/** How the journeys reach the app: the browser bridge, or the desktop app under the Electron stand-in. */
export type AppMode = 'browser' | 'electron';

/** The desktop side of an Electron-shaped run: the stand-in's control socket and the window's Chromium. */
export interface Desktop {
  control: StandinControl;
  /** Chromium as the stand-in runs it, attached over CDP (disconnected, never closed, at stop). */
  chromium: Browser;
  standin: StandinDir;
  /** The stand-in process (the Electron main process). */
  pid: number;
}

export interface SandboxApp<Info> {
  mode: AppMode;
  sandbox: CliProcess;
  app: CliProcess;
  /** What `sesame sandbox --json` printed. */
  info: Info;
  /** The newest one-time link `sesame start` printed (browser mode only). */
  url(): string;
  /** Press Enter in `sesame start`'s terminal and take the fresh link it prints. */
  freshUrl(): Promise<string>;
  /**
   * The app's window: in browser mode `page` opened at the one-time URL; in Electron mode the
   * page the app's own BrowserWindow shows (`page` is not used).
   */
  openWindow(page: Page): Promise<Page>;
  /** A page of "the system browser" (for an IdP sign-in page), beside the app's window. */
  newBrowserPage(page: Page): Promise<Page>;
  /** Electron mode only. */
  desktop?: Desktop;
  /**
   * Quit the app (SIGTERM, as a user quitting) and start it again on the same config with the
   * same environment; the sandbox keeps running. Open pages of the old app are gone: call
   * `openWindow` again.
   */
  restartApp(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions<Info> {
  mode?: AppMode;
  /** Writes the config to start with, from what the sandbox printed (default: the sandbox's own). */
  configFor?: (info: Info) => Promise<string>;
  /** More environment for `sesame start` (e.g. a private keychain's D-Bus address). */
  env?: Record<string, string>;
}

/**
 * `sesame sandbox --json`, then `sesame start` on its config (or on the config `configFor`
 * writes from it), as a user does in two shells: `--browser` in browser mode; in Electron mode
 * plain `sesame start`, which finds the stand-in Electron where a real one would be.
 */
export async function startSandboxApp<Info extends { configPath: string }>(
  options: StartOptions<Info> | ((info: Info) => Promise<string>) = {},
): Promise<SandboxApp<Info>> {
  const {
    mode = 'browser',
    configFor,
    env = {},
  } = typeof options === 'function' ? { configFor: options, env: undefined } : options;
  const sandbox = runCli(['sandbox', '--json']);
  let app: CliProcess | undefined;
  let standin: StandinDir | undefined;
  try {
    const info = JSON.parse((await sandbox.waitFor(/^\{.*\}$/m, 90_000))[0]) as Info;
    const configPath = configFor ? await configFor(info) : info.configPath;
    if (mode === 'browser') {
      const launch = async (): Promise<Launched> => {
        const started = runCli(['start', '--browser', '--config', configPath], env);
        app = started;
        await started.waitFor(APP_URL, 90_000);
        return { app: started };
      };
      return world(info, sandbox, await launch(), launch);
    }
    const dir = await prepareStandin();
    standin = dir;
    const launch = async (): Promise<Launched> => {
      const started = runCli(['start', '--config', configPath], { ...dir.env, ...env });
      app = started;
      return { app: started, desktop: await attachDesktop(started, dir) };
    };
    return world(info, sandbox, await launch(), launch);
  } catch (error) {
    await app?.stop();
    await sandbox.stop();
    await standin?.remove();
    throw error;
  }
}

/** Waits for the stand-in's window and attaches to it; refuses a run that fell back to browser mode. */
export async function attachDesktop(app: CliProcess, standin: StandinDir): Promise<Desktop> {
  const ready = await Promise.race([
    app.waitFor(STANDIN_READY, 90_000),
    app.waitFor(/^browser mode: .*/m, 90_000).then((line) => {
      throw new Error(
        `sesame start fell back to ${line[0]} — the Electron-shaped journeys need the shell built (npx tsx main/build.ts)`,
      );
    }),
  ]);
  const [, pid, cdp, socket] = ready;
  const control = await connectControl(socket!);
  const chromium = await playwrightChromium.connectOverCDP(cdp!);
  return { control, chromium, standin, pid: Number(pid) };
}

interface Launched {
  app: CliProcess;
  desktop?: Desktop;
}

function world<Info>(
  info: Info,
  sandbox: CliProcess,
  launched: Launched,
  launch: () => Promise<Launched>,
): SandboxApp<Info> {
  let { app, desktop } = launched;
  const quitApp = async () => {
    await desktop?.chromium.close().catch(() => {});
    desktop?.control.close();
    await app.stop();
  };
  return {
    mode: desktop ? 'electron' : 'browser',
    sandbox,
    get app() {
      return app;
    },
    info,
    get desktop() {
      return desktop;
    },
    async restartApp() {
      await quitApp();
      ({ app, desktop } = await launch());
    },
    url() {
      const links = app.output().match(APP_URL);
      if (!links) throw new Error('no one-time link: this is not a browser-mode run');
      return links.at(-1)!;
    },
    async freshUrl() {
      const before = app.output().match(APP_URL)?.length ?? 0;
      app.input('');
      for (let i = 0; i < 200 && (app.output().match(APP_URL)?.length ?? 0) <= before; i++)
        await new Promise((resolve) => setTimeout(resolve, 25));
      return this.url();
    },
    async openWindow(page) {
      if (!desktop) {
        // A link works once, within a minute: take a fresh one, as a user would press Enter.
        await page.goto(await this.freshUrl());
        return page;
      }
      return windowPage(desktop);
    },
    async newBrowserPage(page) {
      return desktop ? desktop.chromium.contexts()[0]!.newPage() : page.context().newPage();
    },
    async stop() {
      await quitApp();
      await sandbox.stop();
      await desktop?.standin.remove();
    },
  };
}

/** The page the app's main window shows (the renderer's stand-in origin). */
export async function windowPage(desktop: Desktop): Promise<Page> {
  const context = desktop.chromium.contexts()[0]!;
  const find = () => context.pages().find((p) => p.url().startsWith('https://renderer.sesame-app.test/'));
  for (let i = 0; i < 200 && !find(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  const page = find();
  if (!page)
    throw new Error(
      `the app's window never loaded the renderer (pages: ${context
        .pages()
        .map((p) => p.url())
        .join(', ')})`,
    );
  await page.waitForLoadState('load');
  return page;
}
