// How every sandbox server starts, in one place: a private temp dir registered for cleanup; the
// server process launched on a free loopback port (another one if the port was taken meanwhile)
// and waited for; on a failed start the process stopped, only the logs kept and a
// ServerStartError carrying the log's tail. The launch is kept, so a test can crash the server
// and restart it on the same port with the same data.
import fs from 'node:fs';
import path from 'node:path';
import { onCleanup } from './cleanup';
import { isStillRunning, killIfSame, processTree } from './pids';
import { withFreePort } from './ports';
import {
  createTempDir,
  keepOnlyLogs,
  removeTempDir,
  ServerStartError,
  startError,
  startProcess,
  type ManagedProcess,
  type ManagedProcessOptions,
} from './process';

/** What runs on `port` and how to tell it is ready; asked again for every start and restart. */
export type LaunchPlan = (port: number) => {
  readonly process: ManagedProcessOptions;
  ready(): boolean | Promise<boolean>;
};

export interface ServerHomeOptions {
  /** Shown in errors: "postgres", "mariadbd". */
  readonly name: string;
  /** The temp dir is `sesame-<label>-XXXXXX`. */
  readonly label: string;
  /** The server's log, at the top of the dir (kept after a failed start). */
  readonly logName: string;
  /** Blanked out of the log tail in errors. */
  readonly secrets?: readonly string[];
  readonly startTimeoutMs?: number;
}

export interface ServerHome {
  readonly dir: string;
  /** Exists (empty) before `start` runs. */
  readonly logFile: string;
  /** Starts the server on a free port and resolves once it is ready. Once per home. */
  launch(plan: LaunchPlan): Promise<RunningServer>;
}

export interface RunningServer {
  readonly port: number;
  /** The server process's pid: a new one after restart(). */
  pid(): number;
  /** SIGKILL to its process group and every descendant (sessions included), as a crash would. Files stay. */
  crash(): Promise<void>;
  /** Starts it again on the same port with the same files (stopping it first if it still runs). */
  restart(): Promise<void>;
  /** Stops it, then removes the dir. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Runs `start` in a fresh server home. When it throws, a launched server is stopped, the dir keeps
 * only its logs and the error becomes a ServerStartError naming `name` (secrets redacted).
 */
export async function startInServerHome<T>(
  options: ServerHomeOptions,
  start: (home: ServerHome) => Promise<T>,
): Promise<T> {
  const dir = createTempDir(options.label);
  const unregisterDir = onCleanup(() => removeTempDir(dir));
  const logFile = path.join(dir, options.logName);
  let launched: { current: () => ManagedProcess } | undefined;

  async function launch(plan: LaunchPlan): Promise<RunningServer> {
    if (launched) throw new Error(`${options.name}: launch() may run once per server home`);
    const launchOn = async (port: number): Promise<ManagedProcess> => {
      const { process: processOptions, ready } = plan(port);
      const proc = await startProcess(processOptions);
      try {
        await proc.waitUntilReady(ready, { timeoutMs: options.startTimeoutMs, secrets: options.secrets });
      } catch (error) {
        await proc.stop();
        throw error;
      }
      return proc;
    };
    let proc: ManagedProcess | undefined;
    const port = await withFreePort(async (candidate) => {
      proc = await launchOn(candidate);
      return candidate;
    });
    launched = { current: () => proc! };
    let stopping: Promise<void> | undefined;
    return {
      port,
      pid: () => proc!.pid,
      async crash() {
        // A dead leader's group id may already belong to someone else.
        if (proc!.exitStatus()) return;
        const { pid } = proc!;
        // Descendants first seen now: sshd's sessions leave its group and outlive their parent.
        const tree = processTree(pid);
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // no process left in its group
        }
        for (const member of tree) killIfSame(member, 'SIGKILL');
        await proc!.exited;
        // PostgreSQL refuses to start while a dead backend still holds the shared memory.
        for (const deadline = Date.now() + 10_000; tree.some(isStillRunning) && Date.now() < deadline;) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      },
      async restart() {
        await proc!.stop();
        proc = await launchOn(port);
      },
      stop() {
        stopping ??= (async () => {
          await proc!.stop();
          removeTempDir(dir);
          unregisterDir();
        })();
        return stopping;
      },
    };
  }

  try {
    fs.writeFileSync(logFile, '');
    return await start({ dir, logFile, launch });
  } catch (error) {
    if (launched) await launched.current().stop();
    keepOnlyLogs(dir);
    unregisterDir();
    if (error instanceof ServerStartError) throw error;
    throw startError(options.name, (error as Error).message, logFile, options.secrets);
  }
}

/** A readiness probe: true once `text` is in the part of `logFile` written after this call. */
export function logGains(logFile: string, text: string): () => boolean {
  const from = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
  return () => {
    const fd = fs.openSync(logFile, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const buffer = Buffer.alloc(Math.max(0, size - from));
      fs.readSync(fd, buffer, 0, buffer.length, from);
      return buffer.toString('utf8').includes(text);
    } finally {
      fs.closeSync(fd);
    }
  };
}
