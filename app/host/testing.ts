// Test-only helpers for the host's integration tests: Vault KV writes as the sandbox's root
// token, the real psql with no password in reach, a recording Platform, and a config file for
// a set of postgres connections. The tests start the sandbox themselves (only *.test.ts may).
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { createMemorySecretStore, type Platform } from '../platform';

export interface VaultForTests {
  vaultAddr: string;
  rootToken: string;
}

export async function kvPut(vault: VaultForTests, secretPath: string, data: Record<string, string>): Promise<void> {
  const res = await fetch(`${vault.vaultAddr}/v1/secret/data/${secretPath}`, {
    method: 'POST',
    headers: { 'X-Vault-Token': vault.rootToken },
    body: JSON.stringify({ data }),
  });
  if (res.status !== 200) throw new Error(`writing secret/${secretPath} answered ${res.status}`);
}

/** The real psql; async, since the broker runs in the test's own process. */
export function psql(
  listen: string,
  sql: string,
  user = 'whoever',
): Promise<{ status: number; stdout: string; stderr: string }> {
  const [host, port] = [listen.slice(0, listen.lastIndexOf(':')), listen.slice(listen.lastIndexOf(':') + 1)];
  return run('psql', ['-h', host, '-p', port, '-U', user, '-d', 'sandbox', '-w', '-At', '-c', sql]);
}

/** Any program with PG* variables removed and no password file, so only the broker can log in. */
export function run(command: string, args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('PG') && !k.startsWith('MYSQL')),
  );
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { env: { ...env, PGPASSFILE: '/nonexistent/pgpass', PGCONNECT_TIMEOUT: '10' }, timeout: 30_000 },
      (error, stdout, stderr) =>
        resolve({
          status: error ? Number((error as { code?: number }).code ?? 1) : 0,
          stdout: stdout.trim(),
          stderr: stderr.trim(),
        }),
    );
  });
}

export interface RecordedCall {
  kind: 'openExternal' | 'openTerminal' | 'launch' | 'notify';
  args: unknown[];
}

/** A Platform that records every call; `launch` may be given a real implementation. */
export function recordingPlatform(launch?: (argv: string[]) => Promise<void>): Platform & { calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  return {
    calls,
    openExternal: async (url) => void calls.push({ kind: 'openExternal', args: [url] }),
    openTerminal: async (argv, options) => void calls.push({ kind: 'openTerminal', args: [argv, options] }),
    launch: async (argv) => {
      calls.push({ kind: 'launch', args: [argv] });
      await launch?.(argv);
    },
    notify: (title, body) => void calls.push({ kind: 'notify', args: [title, body] }),
    secrets: createMemorySecretStore('tests keep nothing'),
  };
}

export interface PostgresTarget {
  host: string;
  port: number;
}

/** A postgres connection on `port` reading `secret/<secret>`, for config files in tests. */
export function postgresConnection(
  name: string,
  port: number,
  target: PostgresTarget,
  secret: string,
  extra: Record<string, unknown> = {},
) {
  return {
    name,
    protocol: 'postgres',
    listen: `127.0.0.1:${port}`,
    target: { host: target.host, port: target.port, database: 'sandbox', sslmode: 'disable' },
    credentials: { from: 'vault-kv', path: `secret/${secret}` },
    ...extra,
  };
}

/** Write a Sesame config that logs in with the sandbox's token file. */
export async function writeTestConfig(
  file: string,
  vault: VaultForTests & { dir: string },
  connections: unknown[],
  extra: Record<string, unknown> = {},
): Promise<void> {
  const config = {
    vault: { address: vault.vaultAddr, auth: { method: 'token', tokenFile: `${vault.dir}/vault-token` } },
    connections,
    ...extra,
  };
  await writeFile(file, `# Written by a Sesame test.\n${stringify(config)}`, { mode: 0o600 });
}
