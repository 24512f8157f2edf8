// A real client (psql, ssh) as a child process that runs while the journey goes on: its pid
// (what Sesame names it by), and its exit with what it printed.
import { spawn } from 'node:child_process';

export interface RunningClient {
  pid: number;
  done: Promise<{ status: number | null; stdout: string; stderr: string }>;
  kill(): void;
}

export function startClient(command: string, args: string[], env: NodeJS.ProcessEnv): RunningClient {
  const child = spawn(command, args, { env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (status) => resolve({ status, stdout: stdout.trim(), stderr: stderr.trim() })),
  );
  return { pid: child.pid!, done, kill: () => child.kill() };
}
