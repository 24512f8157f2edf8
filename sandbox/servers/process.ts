// Managed child processes for the sandbox servers: spawn with output to a log file, wait until
// ready (or fail with the log's tail), stop with a signal and SIGKILL after a grace period.
// Every running child is registered with the cleanup registry, so it dies with its parent.
import { spawn, type StdioOptions } from 'node:child_process';
import fs from 'node:fs';
import { onCleanup } from './cleanup';
import { processTree, isAlive, killIfSame, sleepSync, type ProcessIdentity } from './pids';
import { logTail } from './tempdir';

export { onCleanup, runCleanupNow, type CleanupFunction } from './cleanup';
export { createTempDir, removeTempDir, keepOnlyLogs, logTail } from './tempdir';

/** Run a child as another OS user (root starting PostgreSQL as `postgres`). */
export interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A server failed to start; the message carries the log's tail and where the log is kept. */
export class ServerStartError extends Error {
  override readonly name = 'ServerStartError';
  constructor(
    message: string,
    readonly logFile: string | undefined,
    /** The log says the port was taken between choosing it and binding it: worth a retry. */
    readonly addressInUse: boolean,
  ) {
    super(message);
  }
}

/** Build a ServerStartError whose message ends with the (redacted) tail of `logFile`. */
export function startError(
  what: string,
  reason: string,
  logFile: string | undefined,
  secrets: readonly string[] = [],
): ServerStartError {
  if (!logFile) return new ServerStartError(`${what}: ${reason}`, undefined, false);
  const tail = logTail(logFile, 30, secrets);
  const addressInUse = /Address already in use/i.test(tail);
  return new ServerStartError(
    `${what}: ${reason}\nLog: ${logFile}\n--- last lines ---\n${tail || '(log is empty)'}`,
    logFile,
    addressInUse,
  );
}

export interface ManagedProcessOptions {
  /** Shown in errors: "postgres", "sshd". */
  readonly name: string;
  readonly command: string;
  readonly args?: readonly string[];
  /** stdout and stderr are appended here. */
  readonly logFile: string;
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly runAs?: RunAs;
  /** Written to the child's stdin, which is then closed. Never logged. */
  readonly stdin?: string;
  /** The signal that asks for a clean shutdown (PostgreSQL: SIGINT = fast shutdown). */
  readonly stopSignal?: NodeJS.Signals;
  /** How long to wait after stopSignal before SIGKILL. */
  readonly stopGraceMs?: number;
}

export interface ReadyOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** Values to blank out of the log tail in the error message. */
  readonly secrets?: readonly string[];
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves when the process has exited, however that happened. */
  readonly exited: Promise<ProcessExit>;
  /** undefined while running. */
  exitStatus(): ProcessExit | undefined;
  /** Poll `probe` until it returns true; throws ServerStartError on timeout or early exit. */
  waitUntilReady(probe: () => boolean | Promise<boolean>, options?: ReadyOptions): Promise<void>;
  /** Stop gracefully, then by force; also kills what the process left behind. Idempotent. */
  stop(): Promise<void>;
  /** The same, blocking: for the cleanup registry, where nothing asynchronous can run. */
  stopSync(): void;
}

const DEFAULT_GRACE_MS = 5_000;

/** Spawn a long-running child in its own process group, output appended to `logFile`. */
export async function startProcess(options: ManagedProcessOptions): Promise<ManagedProcess> {
  validateProcessOptions(options);
  const { name, command, logFile } = options;
  const stopSignal = options.stopSignal ?? 'SIGTERM';
  const graceMs = options.stopGraceMs ?? DEFAULT_GRACE_MS;
  const logFd = fs.openSync(logFile, 'a', 0o644);
  let child;
  try {
    child = spawn(command, [...(options.args ?? [])], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', logFd, logFd] as StdioOptions,
      // Its own process group: a terminal's Ctrl-C reaches us, and we stop it in order.
      detached: true,
      ...(options.runAs ? { uid: options.runAs.uid, gid: options.runAs.gid } : {}),
    });
    await new Promise<void>((resolve, reject) => {
      child!.once('spawn', resolve);
      child!.once('error', reject);
    });
  } catch (error) {
    throw startError(name, `could not run ${command}: ${(error as Error).message}`, logFile);
  } finally {
    fs.closeSync(logFd);
  }
  if (options.stdin !== undefined && child.stdin) {
    child.stdin.on('error', () => undefined); // the child may exit before reading it all
    child.stdin.end(options.stdin);
  }

  const pid = child.pid!;
  let exit: ProcessExit | undefined;
  // Remember the whole tree while it runs: sshd session processes leave the group (setsid),
  // and after their parent dies they can no longer be found by parentage.
  let knownTree: ProcessIdentity[] = [];
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      unregister();
      resolve(exit);
    });
  });
  const unregister = onCleanup(() => stopSync());

  function snapshot(): void {
    if (!exit) knownTree = processTree(pid);
  }

  function signalLeader(signal: NodeJS.Signals): void {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }

  function killLeftovers(includeGroup: boolean): void {
    // The group id is only safe to signal right after the leader died: once the group is
    // empty the number can be handed to an unrelated process.
    if (includeGroup) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // no process left in its group
      }
    }
    for (const proc of knownTree) if (proc.pid !== pid) killIfSame(proc, 'SIGKILL');
  }

  async function stop(): Promise<void> {
    const wasRunning = !exit;
    if (wasRunning) {
      snapshot();
      signalLeader(stopSignal);
      const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
      if ((await Promise.race([exited, timer])) === 'timeout') {
        signalLeader('SIGKILL');
        await exited;
      }
    }
    killLeftovers(wasRunning);
  }

  function stopSync(): void {
    const wasRunning = !exit;
    if (wasRunning) {
      snapshot();
      signalLeader(stopSignal);
      const deadline = Date.now() + graceMs;
      while (isAlive(pid) && Date.now() < deadline) sleepSync(20);
      if (isAlive(pid)) signalLeader('SIGKILL');
      const hardDeadline = Date.now() + 2_000;
      while (isAlive(pid) && Date.now() < hardDeadline) sleepSync(10);
    }
    killLeftovers(wasRunning);
    unregister();
  }

  async function waitUntilReady(probe: () => boolean | Promise<boolean>, ready: ReadyOptions = {}): Promise<void> {
    const timeoutMs = ready.timeoutMs ?? 30_000;
    const intervalMs = ready.intervalMs ?? 50;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      snapshot();
      if (exit) {
        const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
        throw startError(name, `exited with ${how} before it was ready`, logFile, ready.secrets);
      }
      let ok = false;
      try {
        ok = await probe();
      } catch {
        ok = false;
      }
      if (ok) return;
      if (Date.now() > deadline) {
        throw startError(name, `not ready after ${Math.round(timeoutMs / 1000)} s`, logFile, ready.secrets);
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  return { name, pid, logFile, exited, exitStatus: () => exit, waitUntilReady, stop, stopSync };
}

export interface RunCommandOptions {
  /** Shown in errors: "initdb", "openssl req". */
  readonly what?: string;
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly runAs?: RunAs;
  /** Written to stdin, which is then closed. Never logged. */
  readonly stdin?: string;
  /** Output is also appended here, so a failed start keeps it. */
  readonly logFile?: string;
  readonly timeoutMs?: number;
  readonly secrets?: readonly string[];
}

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Run a short command to completion; a non-zero exit throws with the output's tail. */
export async function runCommand(
  command: string,
  args: readonly string[],
  options: RunCommandOptions = {},
): Promise<CommandResult> {
  if (!command) throw new TypeError('runCommand: command is required');
  const what = options.what ?? command;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const child = spawn(command, [...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    ...(options.runAs ? { uid: options.runAs.uid, gid: options.runAs.gid } : {}),
  });
  const unregister = onCleanup(() => {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
  if (options.stdin !== undefined && child.stdin) {
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin);
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  let result: ProcessExit;
  try {
    result = await new Promise<ProcessExit>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
  } catch (error) {
    throw startError(what, `could not run ${command}: ${(error as Error).message}`, undefined);
  } finally {
    clearTimeout(timer);
    unregister();
  }
  const stdout = Buffer.concat(out).toString('utf8');
  const stderr = Buffer.concat(err).toString('utf8');
  if (options.logFile) fs.appendFileSync(options.logFile, `$ ${what}\n${stdout}${stderr}`);
  if (result.code !== 0) {
    const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.code}`;
    if (options.logFile) throw startError(what, how, options.logFile, options.secrets);
    const tail = redactAll(`${stdout}${stderr}`, options.secrets ?? [])
      .trim()
      .split('\n')
      .slice(-20)
      .join('\n');
    throw new ServerStartError(`${what}: ${how}\n--- output ---\n${tail || '(no output)'}`, undefined, false);
  }
  return { stdout, stderr };
}

function redactAll(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('[redacted]');
  return out;
}

function validateProcessOptions(options: ManagedProcessOptions): void {
  if (!options || typeof options !== 'object') throw new TypeError('startProcess: options are required');
  if (!options.name) throw new TypeError('startProcess: name is required');
  if (!options.command) throw new TypeError(`startProcess(${options.name}): command is required`);
  if (!options.logFile) throw new TypeError(`startProcess(${options.name}): logFile is required`);
  if (options.stopGraceMs !== undefined && !(options.stopGraceMs >= 0)) {
    throw new TypeError(`startProcess(${options.name}): stopGraceMs must be a non-negative number`);
  }
}
