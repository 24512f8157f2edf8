// The agent end to end: OpenSSH's ssh and ssh-add talk to it over SSH_AUTH_SOCK; its keys are
// a Vault-signed certificate (re-signed before expiry) and an RSA key from Vault KV; the real
// sshd accepts both. It refuses to take or give up keys, and asks before a client's first signature.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir, removeTempDir, runCommand, startSshd, type SshdServer } from '../../sandbox/servers';
import { startVaultDev, type VaultDevServer } from '../../sandbox/vault';
import { createVaultKvFetcher } from '../credentials';
import { createLogger, type LogRecord } from '../log';
import { createVaultSshCertificateSource, parseCertificateLine } from '../ssh';
import { runTool } from '../ssh/testing';
import { createVaultClient, type VaultClient } from '../vault';
import { startSshAgent, type AgentIdentitySource, type AgentPeer, type RunningSshAgent } from './index';

let dir: string;
let vaultServer: VaultDevServer;
let vault: VaultClient;
let sshdCa: SshdServer;
let sshdKey: SshdServer;
let agent: RunningSshAgent;
let knownHosts: string;
const logs: LogRecord[] = [];
const peers: AgentPeer[] = [];

function identities(): AgentIdentitySource[] {
  const session = { token: async () => vaultServer.rootToken };
  return [
    {
      credentials: createVaultSshCertificateSource(vault, session, {
        mount: 'ssh-client-signer',
        role: 'dev',
        principals: ['root'],
        ttl: '6s',
      }),
      comment: 'vault-cert',
    },
    {
      credentials: createVaultKvFetcher(vault, session, {
        mount: 'secret',
        path: 'deploy-key',
        version: 2,
        fields: { private_key: 'private_key' },
        required: ['private_key'],
        maxAgeMs: 0,
      }),
      comment: 'deploy-key',
    },
  ];
}

beforeAll(async () => {
  dir = createTempDir('ssh-agent');
  vaultServer = await startVaultDev();
  vault = createVaultClient({ address: vaultServer.address, attempts: 1 });
  const root = (method: 'POST' | 'PUT', apiPath: string, body: Record<string, unknown>) =>
    vault.request<Record<string, string>>({ method, path: apiPath, token: vaultServer.rootToken, body });
  await root('POST', 'sys/mounts/ssh-client-signer', { type: 'ssh' });
  const ca = await root('POST', 'ssh-client-signer/config/ca', { generate_signing_key: true });
  await root('POST', 'ssh-client-signer/roles/dev', {
    key_type: 'ca',
    allow_user_certificates: true,
    allowed_users: 'root',
    max_ttl: '1h',
  });
  const rsaKey = path.join(dir, 'deploy_rsa');
  await runCommand('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-C', 'deploy', '-f', rsaKey], {
    what: 'ssh-keygen',
  });
  await root('POST', 'secret/data/deploy-key', { data: { private_key: fs.readFileSync(rsaKey, 'utf8') } });
  sshdCa = await startSshd({ trustedUserCaKeys: [ca!.data!.public_key!.trim()] });
  sshdKey = await startSshd({ authorizedKeys: [fs.readFileSync(`${rsaKey}.pub`, 'utf8').trim()] });
  fs.rmSync(rsaKey); // from here on the key exists only in Vault (and the agent's memory)
  knownHosts = path.join(dir, 'known_hosts');
  fs.writeFileSync(knownHosts, `${sshdCa.knownHostsLine}\n${sshdKey.knownHostsLine}\n`);
  agent = await startSshAgent({
    identities: identities(),
    log: createLogger('ssh-agent', (record) => logs.push(record), 'debug'),
    approve: async (peer) => {
      peers.push(peer);
      return 'session';
    },
  });
});

afterAll(async () => {
  await agent?.close();
  await sshdCa?.stop();
  await sshdKey?.stop();
  await vaultServer?.stop();
  if (dir) removeTempDir(dir);
});

const withAgent = (socketPath = agent.socketPath) => ({ env: { SSH_AUTH_SOCK: socketPath } });
const sshVia = (server: SshdServer, command: string) =>
  runTool(
    'ssh',
    [
      '-F',
      '/dev/null',
      '-o',
      `UserKnownHostsFile=${knownHosts}`,
      '-o',
      'GlobalKnownHostsFile=/dev/null',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
      '-p',
      String(server.port),
      'root@127.0.0.1',
      command,
    ],
    withAgent(),
  );
const listKeys = () =>
  runCommand('ssh-add', ['-L'], { env: { ...process.env, ...withAgent().env }, what: 'ssh-add -L' }).then(
    (r) => r.stdout,
  );

describe('ssh-agent with Vault identities', () => {
  it('listens on a 0600 socket in a 0700 directory', () => {
    expect(fs.statSync(agent.socketPath).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(agent.socketPath)).mode & 0o777).toBe(0o700);
  });

  it('lists the Vault certificate and the KV key', async () => {
    const lines = (await listKeys()).trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^ssh-ed25519-cert-v01@openssh\.com \S+ vault-cert$/);
    expect(lines[1]).toMatch(/^ssh-rsa \S+ deploy-key$/);
    const views = agent.connector.identities();
    expect(views.map((v) => [v.kind, v.principals?.join(',')])).toEqual([
      ['certificate', 'root'],
      ['key', undefined],
    ]);
    expect(JSON.stringify(views)).not.toMatch(/PRIVATE KEY/);
  });

  it('lets OpenSSH log in to a real sshd with the certificate and with the RSA key', async () => {
    const viaCert = await sshVia(sshdCa, 'echo via-certificate');
    expect(viaCert.stdout, viaCert.stderr).toBe('via-certificate\n');
    expect(fs.readFileSync(sshdCa.logFile, 'utf8')).toMatch(/Accepted publickey for root .*ED25519-CERT/);
    const viaKey = await sshVia(sshdKey, 'echo via-kv-key');
    expect(viaKey.stdout, viaKey.stderr).toBe('via-kv-key\n');
    // OpenSSH asks for rsa-sha2 signatures through the agent's flags; sshd 9 refuses plain ssh-rsa.
    expect(fs.readFileSync(sshdKey.logFile, 'utf8')).toMatch(/Accepted publickey for root .* RSA SHA256:/);
  });

  it('asks the approval hook before signing, not before listing: the ssh process, its path, where it goes', async () => {
    const before = peers.length;
    expect((await runTool('ssh-add', ['-l'], withAgent())).code).toBe(0);
    expect(peers.length).toBe(before); // listing keys is free, as with ssh-add -c
    let pid: number | undefined;
    const result = await runTool(
      'ssh',
      [
        '-F',
        '/dev/null',
        '-o',
        `UserKnownHostsFile=${knownHosts}`,
        '-o',
        'BatchMode=yes',
        '-p',
        String(sshdCa.port),
        'root@127.0.0.1',
        'echo asked',
      ],
      { ...withAgent(), onSpawn: (child) => (pid = child.pid) },
    );
    expect(result.stdout).toBe('asked\n');
    expect(peers.length).toBe(before + 1);
    expect(peers.at(-1)).toMatchObject({
      pid,
      processName: 'ssh',
      executable: expect.stringMatching(/\/ssh$/),
      destination: `root@127.0.0.1 port ${sshdCa.port}`,
    });
  });

  it('refuses to add, remove or lock keys, and keeps its own', async () => {
    const extra = path.join(dir, 'extra');
    await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', extra], { what: 'ssh-keygen' });
    const env = { ...process.env, ...withAgent().env };
    const add = await runCommand('ssh-add', [extra], { env, what: 'ssh-add' }).catch((error: Error) => error);
    expect(String(add)).toMatch(/agent refused operation|Could not add identity/);
    const removeAll = await runCommand('ssh-add', ['-D'], { env, what: 'ssh-add -D' }).catch((error: Error) => error);
    expect(String(removeAll)).toMatch(/Failed to remove all identities|agent refused operation/);
    const askpass = path.join(dir, 'askpass.sh');
    fs.writeFileSync(askpass, '#!/bin/sh\necho lock-passphrase\n', { mode: 0o700 });
    const lock = await runCommand('setsid', ['ssh-add', '-x'], {
      env: { ...env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' },
      what: 'ssh-add -x',
    }).catch((error: Error) => error);
    expect(String(lock)).toMatch(/Failed to lock agent|agent refused operation/);
    expect((await listKeys()).trim().split('\n')).toHaveLength(2);
  });

  it('re-signs the certificate before it expires and keeps logging in', { timeout: 60_000 }, async () => {
    const first = (await listKeys()).split('\n')[0]!;
    const firstCert = parseCertificateLine(first.split(' ').slice(0, 2).join(' '), 'listed');
    await expect
      .poll(async () => (await listKeys()).split('\n')[0], { timeout: 20_000, interval: 500 })
      .not.toBe(first);
    const second = parseCertificateLine((await listKeys()).split('\n')[0]!.split(' ').slice(0, 2).join(' '), 'listed');
    expect(second.serial).not.toBe(firstCert.serial);
    // Re-signed ahead of time: the old certificate was still valid when the new one arrived.
    expect(second.validAfter.getTime()).toBeLessThan(firstCert.validBefore!.getTime());
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, firstCert.validBefore!.getTime() - Date.now()) + 500),
    );
    expect(await listKeys()).not.toContain(first.split(' ')[1]);
    expect((await sshVia(sshdCa, 'echo after-resign')).stdout).toBe('after-resign\n');
  });

  it('closes a connection that sends garbage and keeps serving', async () => {
    await new Promise<void>((resolve) => {
      const socket = net.connect(agent.socketPath, () => socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3])));
      socket.on('close', () => resolve());
      socket.on('error', () => {});
    });
    expect((await listKeys()).trim().split('\n')).toHaveLength(2);
    expect(logs.some((r) => r.message === 'agent client sent garbage; closing')).toBe(true);
  });

  it('refuses to sign for a process the approval hook turns down; ssh says the agent refused', async () => {
    const denied = await startSshAgent({ identities: identities(), approve: async () => 'deny' });
    try {
      expect((await runTool('ssh-add', ['-l'], withAgent(denied.socketPath))).code).toBe(0);
      const login = await runTool(
        'ssh',
        ['-F', '/dev/null', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'BatchMode=yes'].concat([
          '-p',
          String(sshdCa.port),
          'root@127.0.0.1',
          'echo should-not-run',
        ]),
        withAgent(denied.socketPath),
      );
      expect(login.code).not.toBe(0);
      expect(login.stdout).toBe('');
      expect(login.stderr).toMatch(/agent refused operation/);
    } finally {
      await denied.close();
    }
    expect(fs.existsSync(path.dirname(denied.socketPath))).toBe(false);
  });

  it('never logs key material', () => {
    expect(JSON.stringify(logs)).not.toMatch(/PRIVATE KEY|cert-v01@openssh\.com AAAA/);
  });
});
