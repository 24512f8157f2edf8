// Test-only helpers: the shared loopback test listener, and runners for the real OpenSSH client tools (ssh, scp, sftp) that never read the
// user's config, keys or agent.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Connector, CredentialFetcher } from '../connector';
import { listenForTests as listenForWireTests, type TestListener } from '../connector-kit/testing';

export type { TestListener };
import { createCertificateSource, type SshCertificateSource } from './certificate-source';

/** The shared loopback test listener (broker/connector-kit), named for SSH tests by default. */
export function listenForTests(
  connector: Connector,
  credentials: CredentialFetcher,
  connectionName = 'test-ssh',
): Promise<TestListener> {
  return listenForWireTests(connector, credentials, connectionName);
}

export interface ToolResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options that make OpenSSH tools ignore the user's setup and trust only `knownHostsFile`. */
export function isolatedSshOptions(knownHostsFile: string, extra: readonly string[] = []): string[] {
  return [
    '-F',
    '/dev/null',
    '-o',
    `UserKnownHostsFile=${knownHostsFile}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'IdentityFile=/dev/null',
    '-o',
    'IdentityAgent=none',
    '-o',
    'ConnectTimeout=20',
    ...extra,
  ];
}

/** Writes a known_hosts file for the local endpoint (`[127.0.0.1]:port key`). */
export function writeKnownHosts(dir: string, port: number, publicKey: string, name = 'known_hosts'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `[127.0.0.1]:${port} ${publicKey}\n`);
  return file;
}

export function runTool(
  command: 'ssh' | 'scp' | 'sftp' | 'ssh-add',
  args: readonly string[],
  options: {
    input?: string;
    env?: Record<string, string>;
    timeoutMs?: number;
    keepStdinOpenMs?: number;
    onSpawn?: (child: ChildProcess) => void;
  } = {},
): Promise<ToolResult> {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'C',
    HOME: process.env.HOME ?? '/root',
    ...options.env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const guard = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
    if (options.keepStdinOpenMs) setTimeout(() => child.stdin.end(options.input ?? ''), options.keepStdinOpenMs);
    else child.stdin.end(options.input ?? '');
    options.onSpawn?.(child);
  });
}

/** The sandbox/servers functions the SSH tests use (passed in: only test files import sandbox/). */
export interface SandboxSsh {
  createTempDir(label: string): string;
  createSshUserCa(dir: string): Promise<{ privateKeyFile: string; publicKeyFile: string; publicKey: string }>;
  signUserKey(
    ca: { privateKeyFile: string; publicKeyFile: string; publicKey: string },
    publicKeyFile: string,
    options: { principals: readonly string[]; validity?: string; identity: string },
  ): Promise<{ certificate: string }>;
}

/** A certificate source backed by a test CA and `ssh-keygen -s`, counting what it issued. */
export async function createTestCertificateSource(
  sandbox: SandboxSsh,
  dir: string,
  options: { principals: readonly string[]; validity?: string },
): Promise<{ source: SshCertificateSource; caPublicKey: string; issued: () => number }> {
  const ca = await sandbox.createSshUserCa(dir);
  let issued = 0;
  const source = createCertificateSource({
    description: 'test-ca (ssh-keygen -s)',
    path: 'test-ca/sign/test',
    async sign(publicKey) {
      const n = ++issued;
      const file = path.join(dir, `ephemeral-${n}.pub`);
      fs.writeFileSync(file, `${publicKey}\n`);
      const { certificate } = await sandbox.signUserKey(ca, file, {
        principals: options.principals,
        validity: options.validity ?? '+5m',
        identity: `sesame-test-${n}`,
      });
      return certificate;
    },
  });
  return { source, caPublicKey: ca.publicKey, issued: () => issued };
}
