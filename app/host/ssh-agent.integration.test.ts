// ssh-agent connections through the host, with the real OpenSSH tools and the sandbox: `ssh`
// logs straight into the sandbox sshd (no broker in between) with the certificate Vault signed
// for the agent; `ssh-add` lists the identities and cannot add or remove any; a Vault KV key is
// offered too; key.confirm asks the user before a new client's first signature (answered
// through the AppApi as the app's prompt does).
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
  /** ssh to the sandbox's sshd with only the agent's keys (no config, no key files), host key pinned. */
  const sshArgs = (command: string) =>
    ['-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=no', '-o', 'IdentityFile=/nonexistent']
      .concat(['-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes'])
      .concat(['-p', String(sandbox.sshd.port), `${sandbox.sshd.user}@127.0.0.1`, command]);

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
        credentials: {
          from: 'vault-ssh-sign',
          mount: 'ssh-client-signer',
          role: 'dev',
          principals: [sandbox.sshd.user],
        },
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

    const login = await withAgent(socketOf('agent'), 'ssh', sshArgs('echo agent-ok'));
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

  const sshTo = (socket: string, command: string) => withAgent(socket, 'ssh', sshArgs(command));
  const openQuestion = () =>
    expect.poll(() => host.call('keys.requests', {}).then((open) => open[0]), { timeout: 15_000 }).toBeDefined();

  it('key.confirm: listing is free; a login waits for the answer — allowed once, it runs', async () => {
    const socket = socketOf('agent-confirm');
    expect((await host.call('connections.setEnabled', { name: 'agent-confirm', enabled: true })).state).toBe('ready');
    expect((await withAgent(socket, 'ssh-add', ['-l'])).status).toBe(0);
    expect(await host.call('keys.requests', {})).toEqual([]);

    const login = sshTo(socket, 'echo confirmed');
    await openQuestion();
    const [question] = await host.call('keys.requests', {});
    expect(question).toMatchObject({
      connection: 'agent-confirm',
      process: { name: 'ssh', pid: expect.any(Number), executable: expect.stringMatching(/\/ssh$/) },
      destination: `${sandbox.sshd.user}@127.0.0.1 port ${sandbox.sshd.port}`,
    });
    expect(Date.parse(question!.expiresAt) - Date.parse(question!.askedAt)).toBe(60_000);
    expect(platform.calls.filter((call) => call.kind === 'notify').at(-1)?.args).toEqual([
      'Allow use of your SSH key?',
      expect.stringContaining(`ssh (pid ${question!.process.pid}) wants to use the key of agent-confirm`),
    ]);
    await host.call('keys.answer', { id: question!.id, decision: 'once' });
    expect((await login).stdout).toBe('confirmed');
    expect(await host.call('keys.requests', {})).toEqual([]);
    // Once is once: the next ssh is asked again.
    const again = sshTo(socket, 'echo again');
    await openQuestion();
    const [second] = await host.call('keys.requests', {});
    expect(second!.id).not.toBe(question!.id);
    await host.call('keys.answer', { id: second!.id, decision: 'session' });
    expect((await again).stdout).toBe('again');
  });

  it('key.confirm: denied, ssh says the agent refused; an answered question cannot be answered again', async () => {
    await host.call('connections.setEnabled', { name: 'agent-confirm', enabled: true });
    const login = sshTo(socketOf('agent-confirm'), 'echo must-not-run');
    await openQuestion();
    const [question] = await host.call('keys.requests', {});
    await host.call('keys.answer', { id: question!.id, decision: 'deny' });
    const result = await login;
    expect(result.status).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/agent refused operation/);
    await expect(host.call('keys.answer', { id: question!.id, decision: 'once' })).rejects.toMatchObject({
      code: 'not-found',
      message: expect.stringMatching(/no longer open/),
    });
    const activity = (await host.call('activity.list', {})).filter((a) => a.kind === 'key-approval');
    expect(activity.map((a) => a.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ssh \(pid \d+\) asks to use the key of agent-confirm to log in to /),
        expect.stringMatching(/^ssh \(pid \d+\) on agent-confirm: denied$/),
      ]),
    );
  });

  it('key.confirm: a client that goes away withdraws its question', async () => {
    await host.call('connections.setEnabled', { name: 'agent-confirm', enabled: true });
    const child = execFile('ssh', sshArgs('true'), {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), SSH_AUTH_SOCK: socketOf('agent-confirm') },
    });
    await openQuestion();
    child.kill('SIGTERM');
    await expect.poll(() => host.call('keys.requests', {}), { timeout: 10_000 }).toEqual([]);
    const activity = await host.call('activity.list', {});
    expect(activity.some((a) => /went away before an answer/.test(a.message))).toBe(true);
  });

  it('key.confirm in the daemon, where nobody can answer: refused with the reason, no socket', async () => {
    const configPath = path.join(sandbox.dir, 'agent-daemon.yaml');
    await writeTestConfig(configPath, sandbox, [
      {
        name: 'agent-confirm',
        protocol: 'ssh-agent',
        listen: `unix:${socketOf('daemon-confirm')}`,
        credentials: { from: 'vault-kv', path: 'secret/agent-key' },
        key: { confirm: true },
        autoStart: true,
      },
    ]);
    const daemon = await createAppHost({ configPath, platform, mode: 'daemon', log: silentLogger });
    try {
      const [view] = await daemon.call('connections.list', {});
      expect(view).toMatchObject({
        state: 'error',
        error: expect.stringMatching(
          /^key\.confirm needs someone to answer in the Sesame app, and `sesame daemon` has no window/,
        ),
      });
      await expect(stat(socketOf('daemon-confirm'))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await daemon.close();
    }
  });

  it('removes the socket when the connection is turned off', async () => {
    const view = await host.call('connections.setEnabled', { name: 'agent-kv', enabled: false });
    expect(view.state).toBe('off');
    await expect(stat(socketOf('agent-kv'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
