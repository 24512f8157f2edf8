// Runs the real `sesame` CLI as a child process, as a user would, and reads what it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

export interface CliProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first match of `pattern` in stdout+stderr. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, [path.join(root, 'bin', 'sesame.mjs'), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
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
          else if (child.exitCode !== null) done(new Error(`sesame ${args.join(' ')} exited (${child.exitCode}) before ${pattern}:\n${output}`));
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

const APP_URL = /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/;

export interface SandboxApp<Info> {
  sandbox: CliProcess;
  app: CliProcess;
  /** What `sesame sandbox --json` printed. */
  info: Info;
  /** The one-time URL `sesame start` printed. */
  url(): string;
  stop(): Promise<void>;
}

/**
 * `sesame sandbox --json`, then `sesame start --browser` on its config (or on the config
 * `configFor` writes from it), as a user does in two shells.
 */
export async function startSandboxApp<Info extends { configPath: string }>(configFor?: (info: Info) => Promise<string>): Promise<SandboxApp<Info>> {
  const sandbox = runCli(['sandbox', '--json']);
  let app: CliProcess | undefined;
  try {
    const info = JSON.parse((await sandbox.waitFor(/^\{.*\}$/m, 90_000))[0]) as Info;
    app = runCli(['start', '--browser', '--config', configFor ? await configFor(info) : info.configPath]);
    await app.waitFor(APP_URL, 90_000);
    const started = app;
    return {
      sandbox,
      app: started,
      info,
      url: () => started.output().match(APP_URL)![0],
      async stop() {
        await started.stop();
        await sandbox.stop();
      },
    };
  } catch (error) {
    await app?.stop();
    await sandbox.stop();
    throw error;
  }
}
