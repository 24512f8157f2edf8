// Test-only helpers: broker/connector-kit's loopback listener and fixed-value fetcher with this suite's
// defaults, and a psql runner whose environment holds no password.
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { testSupportWithDefaults } from '../connector-kit/testing';

export type { TestListener } from '../connector-kit/testing';

/** broker/connector-kit's loopback listener and fixed-value fetcher, with this suite's defaults. */
export const { listenForTests, literalFetcher } = testSupportWithDefaults({
  connectionName: 'test-db',
  path: 'secret/data/test-db',
});

export interface PsqlResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the real psql against 127.0.0.1:`port` with no password anywhere: no PGPASSWORD, no
 * password file, never prompting (-w). `onSpawn` gets the child (to send it SIGINT).
 */
export function runPsql(
  port: number,
  args: readonly string[],
  options: {
    env?: Record<string, string>;
    onSpawn?: (child: ReturnType<typeof spawn>) => void;
    /** Fed to psql's stdin (e.g. COPY FROM STDIN data); stdin is closed otherwise. */
    stdin?: Readable;
    /** Receives stdout chunks instead of collecting them (large COPY TO STDOUT). */
    onStdout?: (chunk: Buffer) => void;
  } = {},
): Promise<PsqlResult> {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'C',
    PGPASSFILE: '/nonexistent/sesame-no-password-file',
    PGCONNECT_TIMEOUT: '30',
    ...options.env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn('psql', ['-X', '-w', '-h', '127.0.0.1', '-p', String(port), ...args], {
      env,
      stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    if (options.stdin && child.stdin) options.stdin.pipe(child.stdin);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) =>
      options.onStdout ? options.onStdout(chunk) : (stdout += chunk.toString()),
    );
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
    options.onSpawn?.(child);
  });
}
