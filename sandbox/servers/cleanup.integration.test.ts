import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isStillRunning, processTree, type ProcessIdentity } from './pids';
import { isPortOpen } from './ports';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const FIXTURE = path.join(import.meta.dirname, 'hold-servers.fixture.ts');

interface Held {
  child: ChildProcess;
  dirs: string[];
  ports: number[];
  /** Every process the fixture started (servers, their workers, the keyring, the bus). */
  descendants: ProcessIdentity[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

/** Start the fixture in its own node process and wait until all its servers run. */
async function holdServers(): Promise<Held> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    void exited.then(() => reject(new Error(`fixture exited before its servers ran:\n${stderr}`)));
  });
  const { dirs, ports } = JSON.parse(line) as { dirs: string[]; ports: number[] };
  const descendants = processTree(child.pid!).filter((p) => p.pid !== child.pid);
  return { child, dirs, ports, descendants, exited, stderr: () => stderr };
}

/** Processes may take a moment to be reaped after a SIGKILL; wait for that, then report. */
async function survivors(processes: ProcessIdentity[]): Promise<ProcessIdentity[]> {
  for (let i = 0; i < 100 && processes.some(isStillRunning); i++) await new Promise((r) => setTimeout(r, 100));
  return processes.filter(isStillRunning);
}

async function expectNothingLeft(held: Held): Promise<void> {
  expect(held.descendants.length).toBeGreaterThanOrEqual(5); // postgres (+workers), mariadbd, sshd, dbus, keyring
  expect(await survivors(held.descendants)).toEqual([]);
  for (const dir of held.dirs) expect(fs.existsSync(dir), `${dir} still exists`).toBe(false);
  for (const port of held.ports) expect(await isPortOpen(port), `port ${port} still open`).toBe(false);
}

describe('cleanup when the process that started the servers ends', () => {
  const cases = [
    ['SIGINT', 'Ctrl-C (SIGINT)'],
    ['SIGTERM', 'kill (SIGTERM)'],
  ] as const;
  for (const [signal, how] of cases) {
    it(`${how} stops every server and removes every temp dir`, async () => {
      const held = await holdServers();
      try {
        held.child.kill(signal);
        // The process still dies by the signal, as it would without the cleanup hooks.
        expect(await held.exited).toEqual({ code: null, signal });
        await expectNothingLeft(held);
      } finally {
        held.child.kill('SIGKILL');
      }
    });
  }

  it('an uncaught exception stops every server and still crashes the process', async () => {
    const held = await holdServers();
    try {
      held.child.stdin!.write('crash\n');
      expect(await held.exited).toEqual({ code: 1, signal: null });
      expect(held.stderr()).toContain('fixture crash on request');
      await expectNothingLeft(held);
    } finally {
      held.child.kill('SIGKILL');
    }
  });

  it('a normal exit without stop() leaves nothing behind', async () => {
    const held = await holdServers();
    try {
      held.child.stdin!.write('exit\n');
      expect(await held.exited).toEqual({ code: 0, signal: null });
      await expectNothingLeft(held);
    } finally {
      held.child.kill('SIGKILL');
    }
  });
});
