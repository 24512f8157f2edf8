// Upstream host key verification with the real sshd: a pinned key, known_hosts lines
// (@revoked too), trust-on-first-use, and a host CA whose certificate sshd presents.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSshKeyPair,
  createSshUserCa,
  createTempDir,
  removeTempDir,
  runCommand,
  signUserKey,
  startProcess,
  startSshd,
  withFreePort,
  type ManagedProcess,
  type SshdServer,
} from '../../sandbox/servers';
import type { SshCertificateSource } from './certificate-source';
import { createSshConnector, createSshHostKey, type HostKeyLearned, type SshTarget } from './index';
import {
  createTestCertificateSource,
  isolatedSshOptions,
  listenForTests,
  runTool,
  writeKnownHosts,
  type TestListener,
} from './testing';

let dir: string;
let sshd: SshdServer;
let source: SshCertificateSource;
const listeners: TestListener[] = [];

beforeAll(async () => {
  dir = createTempDir('ssh-host-keys');
  const certificates = await createTestCertificateSource({ createTempDir, createSshUserCa, signUserKey }, dir, {
    principals: ['root'],
  });
  source = certificates.source;
  sshd = await startSshd({ trustedUserCaKeys: [certificates.caPublicKey] });
});

afterAll(async () => {
  for (const listener of listeners) await listener.close();
  await sshd?.stop();
  if (dir) removeTempDir(dir);
});

/** Serves a connector for `target` and runs `ssh … echo reached` through it. */
async function connectThrough(target: SshTarget, onHostKeyLearned?: (learned: HostKeyLearned) => void) {
  const hostKey = createSshHostKey();
  const connector = createSshConnector({ target, hostKey: hostKey.privateKey, onHostKeyLearned });
  const listener = await listenForTests(connector, source, 'bastion');
  listeners.push(listener);
  const knownHosts = writeKnownHosts(dir, listener.port, hostKey.publicKey, `known_hosts_${listener.port}`);
  const run = () =>
    runTool('ssh', [...isolatedSshOptions(knownHosts), '-p', String(listener.port), 'root@127.0.0.1', 'echo reached']);
  return { run, listener };
}

describe('upstream host key verification', () => {
  it('refuses a host whose key differs from the configured one, and says so to the ssh user', async () => {
    const other = createSshHostKey();
    const { run, listener } = await connectThrough({ host: '127.0.0.1', port: sshd.port, hostKey: other.publicKey });
    const result = await run();
    expect(result.code).toBe(255);
    expect(result.stdout, result.stderr).toBe('');
    expect(result.stderr).toContain('Sesame (bastion): the host key of 127.0.0.1 port');
    expect(result.stderr).toContain('does not match the configured host key');
    expect(result.stderr).toContain(other.fingerprint);
    expect(listener.logs.some((r) => r.message === 'session refused' && r.kind === 'host-key')).toBe(true);
    // The listener still serves: the next client gets the same clear answer.
    expect((await run()).stderr).toContain('does not match the configured host key');
  });

  it('accepts the host through a known_hosts line and refuses it when the line is @revoked', async () => {
    const good = await connectThrough({
      host: '127.0.0.1',
      port: sshd.port,
      knownHosts: `# ours\n${sshd.knownHostsLine}\n`,
    });
    expect((await good.run()).stdout).toBe('reached\n');
    const revoked = await connectThrough({
      host: '127.0.0.1',
      port: sshd.port,
      knownHosts: `${sshd.knownHostsLine}\n@revoked [127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n`,
    });
    const result = await revoked.run();
    expect(result.code).toBe(255);
    expect(result.stderr).toContain('is marked @revoked');
  });

  it('trusts on first use only when opted in, reports the key, and holds it afterwards', async () => {
    expect(() =>
      createSshConnector({ target: { host: '127.0.0.1', port: sshd.port }, hostKey: createSshHostKey().privateKey }),
    ).toThrow(/trustOnFirstUse/);
    const learned: HostKeyLearned[] = [];
    const { run } = await connectThrough({ host: '127.0.0.1', port: sshd.port, trustOnFirstUse: true }, (event) =>
      learned.push(event),
    );
    expect((await run()).stdout).toBe('reached\n');
    expect((await run()).stdout).toBe('reached\n');
    expect(learned).toHaveLength(1);
    expect(learned[0]!.publicKey).toBe(sshd.hostPublicKey);
    expect(learned[0]!.fingerprint).toMatch(/^SHA256:/);
  });

  describe('with a host CA', () => {
    let certified: { port: number; stop: () => Promise<void> };
    let hostCa: string;

    beforeAll(async () => {
      // A second sshd on the same host key, presenting a certificate for it from a host CA.
      const ca = await createSshKeyPair(dir, { name: 'host_ca', comment: 'test-host-ca' });
      hostCa = ca.publicKey;
      const hostPub = path.join(dir, 'host_key.pub');
      fs.writeFileSync(hostPub, `${sshd.hostPublicKey}\n`);
      await runCommand(
        'ssh-keygen',
        ['-q', '-s', ca.privateKeyFile, '-I', 'test-host', '-h', '-n', '127.0.0.1', '-V', '+1h', hostPub],
        { what: 'ssh-keygen (host certificate)' },
      );
      certified = await startCertifiedSshd(path.join(dir, 'host_key-cert.pub'));
    });

    afterAll(async () => {
      await certified?.stop();
    });

    it('accepts a host whose certificate the CA signed (no key pinned)', async () => {
      const { run } = await connectThrough({ host: '127.0.0.1', port: certified.port, hostCa });
      expect((await run()).stdout).toBe('reached\n');
    });

    it('refuses it when the configured CA is another one', async () => {
      const stranger = await createSshKeyPair(dir, { name: 'stranger_ca' });
      const { run } = await connectThrough({ host: '127.0.0.1', port: certified.port, hostCa: stranger.publicKey });
      const result = await run();
      expect(result.code).toBe(255);
      expect(result.stderr).toContain('is not trusted: its host certificate is not signed by a trusted host CA');
    });

    it('takes the CA from an @cert-authority known_hosts line', async () => {
      const { run } = await connectThrough({
        host: '127.0.0.1',
        port: certified.port,
        knownHosts: `@cert-authority 127.0.0.1,[127.0.0.1]:* ${hostCa}\n`,
      });
      expect((await run()).stdout).toBe('reached\n');
    });
  });
});

/** An sshd like the sandbox one, plus `HostCertificate`. */
async function startCertifiedSshd(certificateFile: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const base = fs.readFileSync(sshd.configFile, 'utf8');
  const logFile = path.join(dir, 'certified-sshd.log');
  fs.writeFileSync(logFile, '');
  let proc: ManagedProcess | undefined;
  const port = await withFreePort(async (candidate) => {
    const configFile = path.join(dir, 'certified_sshd_config');
    const config = base
      .replace(/^Port \d+$/m, `Port ${candidate}`)
      .replace(/^PidFile .*$/m, `PidFile ${path.join(dir, 'certified-sshd.pid')}`)
      .concat(`HostCertificate ${certificateFile}\n`);
    fs.writeFileSync(configFile, config);
    proc = await startProcess({
      name: 'sshd (host certificate)',
      command: '/usr/sbin/sshd',
      args: ['-D', '-f', configFile, '-E', logFile],
      logFile,
      cwd: dir,
      stopGraceMs: 5_000,
    });
    await proc.waitUntilReady(() =>
      fs.readFileSync(logFile, 'utf8').includes(`Server listening on 127.0.0.1 port ${candidate}.`),
    );
    return candidate;
  });
  return { port, stop: async () => proc?.stop() };
}
