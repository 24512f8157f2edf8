// ssh-agent connections through the host, with the real OpenSSH tools and the sandbox: `ssh`
// logs straight into the sandbox sshd (no broker in between) with the certificate Vault signed
// for the agent; `ssh-add` lists the identities and cannot add or remove any; a Vault KV key is
// offered too; key.confirm, which needs the desktop prompt, is refused with a clear reason.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../broker/log';
import { startSandbox, type Sandbox } from '../../sandbox';
import { createAppHost, type AppHost } from '.';
import { kvPut, recordingPlatform, writeTestConfig } from './testing';

interface Ran {
  status: number;
  stdout: string;
  stderr: string;
}

/** An OpenSSH tool with only this agent in reach (no user config, no default key files). */
function withAgent(socket: string, command: string, args: string[]): Promise<Ran> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), SSH_AUTH_SOCK: socket };
  return new Promise((resolve) => {
    execFile(command, args, { env, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({
        status: error ? Number((error as { code?: number }).code ?? 1) : 0,
        stdout: stdout.trim(),
        stderr: stderr.trim(),
      }),
    );
  });
}

describe('ssh-agent connections in the host', () => {
  let sandbox: Sandbox;
  let host: AppHost;
  let keysDir: string;
  let knownHosts: string;
  let kvKeyFingerprint: string;
  const platform = recordingPlatform();
  const socketOf = (name: string) => path.join(sandbox.dir, name, 'agent.sock');

  beforeAll(async () => {
    sandbox = await startSandbox();
    keysDir = await mkdtemp(path.join(os.tmpdir(), 'sesame-agent-keys-'));
    knownHosts = path.join(keysDir, 'known_hosts');
    await writeFile(knownHosts, `${sandbox.sshd.knownHostsLine}\n`);
    const kvKey = path.join(keysDir, 'kv_key');
    expect((await withAgent('', 'ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kv', '-f', kvKey])).status).toBe(
      0,
    );
    kvKeyFingerprint = (await withAgent('', 'ssh-keygen', ['-l', '-f', `${kvKey}.pub`])).stdout.split(' ')[1]!;
    await kvPut(sandbox, 'agent-key', { private_key: await readFile(kvKey, 'utf8') });

    const configPath = path.join(sandbox.dir, 'agent-test.yaml');
    await writeTestConfig(configPath, sandbox, [
      {
        name: 'agent',
        protocol: 'ssh-agent',
        listen: `unix:${socketOf('agent')}`,
        credentials: {
          from: 'vault-ssh-sign',
          mount: 'ssh-client-signer',
          role: 'dev',
          principals: [sandbox.sshd.user],
        },
        key: { comment: 'sesame-vault-cert', lifetime: '5m' },
      },
      {
        name: 'agent-kv',
        protocol: 'ssh-agent',
        listen: `unix:${socketOf('agent-kv')}`,
        credentials: { from: 'vault-kv', path: 'secret/agent-key' },
      },
      {
        name: 'agent-missing',
        protocol: 'ssh-agent',
        listen: `unix:${socketOf('agent-missing')}`,
        credentials: { from: 'vault-kv', path: 'secret/no-such-key' },
      },
      {
        name: 'agent-confirm',
        protocol: 'ssh-agent',
        listen: `unix:${socketOf('agent-confirm')}`,
        credentials: { from: 'vault-kv', path: 'secret/agent-key' },
        key: { confirm: true },
      },
    ]);
    host = await createAppHost({ configPath, platform, mode: 'browser', log: silentLogger });
  });

  afterAll(async () => {
    await host?.close();
    await sandbox?.stop();
    if (keysDir) await rm(keysDir, { recursive: true, force: true });
  });

  it('logs into the real sshd directly with the certificate Vault signed for the agent', async () => {
    const view = await host.call('connections.setEnabled', { name: 'agent', enabled: true });
    expect(view).toMatchObject({ state: 'ready', protocol: 'ssh-agent', listen: `unix:${socketOf('agent')}` });
    expect((await stat(socketOf('agent'))).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(socketOf('agent')))).mode & 0o777).toBe(0o700);

    const listed = await withAgent(socketOf('agent'), 'ssh-add', ['-l']);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(/ sesame-vault-cert \([A-Z0-9-]+-CERT\)$/);
    expect(listed.stdout.split('\n')).toHaveLength(1);

    const login = await withAgent(socketOf('agent'), 'ssh', [
      '-F',
      '/dev/null',
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=no',
      '-o',
      'IdentityFile=/nonexistent',
      '-o',
      `UserKnownHostsFile=${knownHosts}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-p',
      String(sandbox.sshd.port),
      `${sandbox.sshd.user}@127.0.0.1`,
      'echo agent-ok',
    ]);
    expect(login.stdout).toBe('agent-ok');
  });

  it('refuses to add or remove keys, and keeps its identity', async () => {
    const socket = socketOf('agent');
    const removeAll = await withAgent(socket, 'ssh-add', ['-D']);
    expect(removeAll.status).not.toBe(0);
    const add = await withAgent(socket, 'ssh-add', [path.join(keysDir, 'kv_key')]);
    expect(add.status).not.toBe(0);
    const listed = await withAgent(socket, 'ssh-add', ['-l']);
    expect(listed.stdout.split('\n')).toEqual([expect.stringContaining('sesame-vault-cert')]);
  });

  it('offers a private key kept in Vault KV, named by its connection', async () => {
    const view = await host.call('connections.setEnabled', { name: 'agent-kv', enabled: true });
    expect(view.state).toBe('ready');
    const listed = await withAgent(socketOf('agent-kv'), 'ssh-add', ['-l']);
    expect(listed.stdout).toContain(`${kvKeyFingerprint} agent-kv (ED25519)`);
  });

  it('shows a missing key source as the connection error, naming its path', async () => {
    const view = await host.call('connections.setEnabled', { name: 'agent-missing', enabled: true });
    expect(view).toMatchObject({ state: 'error', error: expect.stringContaining('no-such-key') });
    const listed = await withAgent(socketOf('agent-missing'), 'ssh-add', ['-l']);
    expect(listed.stdout).toBe('The agent has no identities.');
    const activity = await host.call('activity.list', {});
    expect(
      activity.some(
        (a) => a.connection === 'agent-missing' && a.level === 'error' && a.message.includes('no-such-key'),
      ),
    ).toBe(true);
  });

  it('refuses key.confirm, which needs the desktop prompt, with the reason in the activity', async () => {
    const view = await host.call('connections.setEnabled', { name: 'agent-confirm', enabled: true });
    expect(view).toMatchObject({
      state: 'error',
      error: expect.stringMatching(/^key\.confirm needs the desktop app's approval prompt/),
    });
    await expect(stat(socketOf('agent-confirm'))).rejects.toMatchObject({ code: 'ENOENT' });
    const activity = await host.call('activity.list', {});
    expect(
      activity.some(
        (a) => a.connection === 'agent-confirm' && a.level === 'error' && /key\.confirm: false/.test(a.message),
      ),
    ).toBe(true);
  });

  it('removes the socket when the connection is turned off', async () => {
    const view = await host.call('connections.setEnabled', { name: 'agent-kv', enabled: false });
    expect(view.state).toBe('off');
    await expect(stat(socketOf('agent-kv'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
