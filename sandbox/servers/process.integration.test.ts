import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive } from './pids';
import { freePort, withFreePort } from './ports';
import {
  createTempDir,
  removeTempDir,
  runCommand,
  ServerStartError,
  startProcess,
  type ManagedProcess,
} from './process';

const dirs: string[] = [];
const processes: ManagedProcess[] = [];
afterEach(async () => {
  for (const proc of processes.splice(0)) await proc.stop();
  for (const dir of dirs.splice(0)) removeTempDir(dir);
});

function tempDir(): string {
  const dir = createTempDir('process-test');
  dirs.push(dir);
  return dir;
}

describe('startProcess', () => {
  it('writes output to its log and becomes ready when the probe says so', async () => {
    const dir = tempDir();
    const logFile = path.join(dir, 'child.log');
    const marker = path.join(dir, 'ready');
    const proc = await startProcess({
      name: 'child',
      command: 'sh',
      args: ['-c', `echo hello from child; touch ${marker}; exec sleep 60`],
      logFile,
    });
    processes.push(proc);
    await proc.waitUntilReady(() => fs.existsSync(marker));
    expect(fs.readFileSync(logFile, 'utf8')).toContain('hello from child');
    await proc.stop();
    expect(isAlive(proc.pid)).toBe(false);
    expect(proc.exitStatus()).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('fails readiness with the log tail and path when the process exits early', async () => {
    const dir = tempDir();
    const logFile = path.join(dir, 'child.log');
    const proc = await startProcess({
      name: 'doomed',
      command: 'sh',
      args: ['-c', 'echo "FATAL: no such widget" >&2; exit 3'],
      logFile,
    });
    processes.push(proc);
    const error = await proc.waitUntilReady(() => false).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerStartError);
    expect((error as Error).message).toMatch(/doomed: exited with code 3 before it was ready/);
    expect((error as Error).message).toContain('FATAL: no such widget');
    expect((error as Error).message).toContain(logFile);
  });

  it('fails readiness after the timeout', async () => {
    const dir = tempDir();
    const proc = await startProcess({
      name: 'sleepy',
      command: 'sleep',
      args: ['60'],
      logFile: path.join(dir, 'sleepy.log'),
    });
    processes.push(proc);
    await expect(proc.waitUntilReady(() => false, { timeoutMs: 200 })).rejects.toThrow(/sleepy: not ready after/);
  });

  it('kills a process that ignores the stop signal once the grace period is over', async () => {
    const dir = tempDir();
    const marker = path.join(dir, 'trapped');
    const proc = await startProcess({
      name: 'stubborn',
      command: 'sh',
      args: ['-c', `trap "" TERM; touch ${marker}; while true; do sleep 1; done`],
      logFile: path.join(dir, 'stubborn.log'),
      stopGraceMs: 300,
    });
    processes.push(proc);
    await proc.waitUntilReady(() => fs.existsSync(marker));
    await proc.stop();
    expect(proc.exitStatus()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(isAlive(proc.pid)).toBe(false);
  });

  it('stopSync stops a running process too', async () => {
    const dir = tempDir();
    const proc = await startProcess({
      name: 'sync',
      command: 'sleep',
      args: ['60'],
      logFile: path.join(dir, 'sync.log'),
    });
    processes.push(proc);
    proc.stopSync();
    expect(isAlive(proc.pid)).toBe(false);
  });

  it('reports a missing binary clearly', async () => {
    const dir = tempDir();
    await expect(
      startProcess({ name: 'ghost', command: '/nonexistent/ghostd', logFile: path.join(dir, 'ghost.log') }),
    ).rejects.toThrow(/ghost: could not run \/nonexistent\/ghostd/);
  });
});

describe('runCommand', () => {
  it('returns the output of a successful command', async () => {
    expect((await runCommand('sh', ['-c', 'cat; echo done'], { stdin: 'piped ' })).stdout).toBe('piped done\n');
  });

  it('throws with the output tail, secrets blanked, on failure', async () => {
    const error = await runCommand('sh', ['-c', 'echo "token hunter2 rejected" >&2; exit 4'], {
      what: 'failing',
      secrets: ['hunter2'],
    }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/failing: exited with code 4/);
    expect((error as Error).message).toContain('token [redacted] rejected');
    expect((error as Error).message).not.toContain('hunter2');
  });
});

describe('temp dirs', () => {
  it('are private sesame- dirs under the OS temp dir', () => {
    const dir = tempDir();
    expect(path.basename(dir)).toMatch(/^sesame-process-test-/);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('removeTempDir refuses paths that are not sesame temp dirs', () => {
    expect(() => removeTempDir('/etc')).toThrow(/refusing to remove/);
    expect(() => createTempDir('../evil')).toThrow(/label must be/);
  });
});

describe('freePort', () => {
  it('returns distinct ports that can be bound on 127.0.0.1', async () => {
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    expect(new Set(ports).size).toBe(3);
    for (const port of ports) {
      const server = net.createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', resolve);
      });
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('withFreePort retries when the port was taken in the meantime', async () => {
    const tried: number[] = [];
    const result = await withFreePort(async (port) => {
      tried.push(port);
      if (tried.length === 1) throw new ServerStartError('bind failed: Address already in use', undefined, true);
      return port;
    });
    expect(tried).toHaveLength(2);
    expect(result).toBe(tried[1]);
  });
});
