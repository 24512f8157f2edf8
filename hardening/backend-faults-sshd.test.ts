// sshd failing under an active SSH broker that logs in with certificates Vault's SSH CA signs:
// sshd and its session processes SIGKILLed (a crash of the host's sshd; killing only the
// listener's process group would leave OpenSSH's sessions running, as it intends), then sshd
// restarted on the same port with the same host key and config. The open session ends, a new
// `ssh` fails at once with the broker's reason naming the connection, and after the restart a
// new one works again. Nothing is left behind: no session, descriptor, socket or timer.
import fs from 'node:fs';
import os from 'node:os';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSshConnector, createSshHostKey, createVaultSshCertificateSource, type SshHostKey } from '../broker/ssh';
import { isolatedSshOptions, runTool, writeKnownHosts } from '../broker/ssh/testing';
import { createVaultClient } from '../broker/vault';
import { seedSshCa, VaultSeeder } from '../sandbox/seed';
import { createTempDir, isPortOpen, removeTempDir, startSshd, type SshdServer } from '../sandbox/servers';
import { startVaultDev, type VaultDevServer } from '../sandbox/vault';
import { countResources, expectReleased, type ResourceCounts } from './testing/leaks';
import { serveConnector, type ServedConnector } from './testing/serve-connector';

describe('sshd failing under an active SSH broker', () => {
  let dir: string;
  let vaultServer: VaultDevServer;
  let sshd: SshdServer;
  let hostKey: SshHostKey;
  let broker: ServedConnector;
  let knownHosts: string;
  let baseline: ResourceCounts;
  let signed = 0;

  beforeAll(async () => {
    dir = createTempDir('hardening-sshd');
    vaultServer = await startVaultDev();
    const caPublicKey = await seedSshCa(
      new VaultSeeder(vaultServer.address, vaultServer.rootToken),
      os.userInfo().username,
    );
    sshd = await startSshd({ trustedUserCaKeys: [caPublicKey] });
    baseline = countResources();
    const vault = createVaultClient({ address: vaultServer.address, attempts: 1 });
    const source = createVaultSshCertificateSource(
      vault,
      { token: async () => vaultServer.rootToken },
      { mount: 'ssh-client-signer', role: 'dev', principals: [sshd.user], ttl: '5m' },
    );
    const counted = { description: source.description, get: async () => (signed++, source.get()) };
    hostKey = createSshHostKey();
    const connector = createSshConnector({
      target: { host: sshd.host, port: sshd.port, user: sshd.user, hostKey: sshd.hostPublicKey },
      hostKey: hostKey.privateKey,
    });
    broker = await serveConnector(connector, counted, 'bastion');
    knownHosts = writeKnownHosts(dir, broker.port, hostKey.publicKey);
  });

  afterAll(async () => {
    await broker?.close();
    await sshd?.stop();
    await vaultServer?.stop();
    if (dir) removeTempDir(dir);
  });

  /** The real OpenSSH client through the broker, ignoring the user's config, keys and agent. */
  const ssh = (command: string) =>
    runTool('ssh', [...isolatedSshOptions(knownHosts), '-p', String(broker.port), `${sshd.user}@127.0.0.1`, command], {
      timeoutMs: 60_000,
    });

  /** An ssh2 client session through the broker that stays open (the broker's host key pinned). */
  function openSession(): Promise<ssh2.Client> {
    const client = new ssh2.Client();
    const pinned = hostKey.publicKey.split(' ')[1];
    return new Promise((resolve, reject) => {
      client.once('ready', () => resolve(client));
      client.once('error', reject);
      client.connect({
        host: '127.0.0.1',
        port: broker.port,
        username: sshd.user,
        hostVerifier: (key: Buffer) => key.toString('base64') === pinned,
        readyTimeout: 30_000,
      });
    });
  }

  function exec(client: ssh2.Client, command: string): Promise<string> {
    return new Promise((resolve, reject) => {
      client.exec(command, (error, stream) => {
        if (error) return reject(error);
        let out = '';
        stream.on('data', (chunk: Buffer) => (out += chunk.toString()));
        stream.stderr.resume();
        stream.on('close', () => resolve(out));
      });
    });
  }

  it('sshd killed: the open session ends, a new ssh is refused naming the connection; after the restart it works', async () => {
    const held = await openSession();
    const heldClosed = new Promise<void>((resolve) => held.once('close', () => resolve()));
    held.on('error', () => {}); // the reset is the expected news; 'close' is what we wait for
    expect((await exec(held, 'whoami')).trim()).toBe(sshd.user);

    await sshd.crash(); // SIGKILL to sshd's group and to every session process it started
    await expect.poll(() => isPortOpen(sshd.port), { timeout: 15_000 }).toBe(false);
    await heldClosed;
    await expect(exec(held, 'whoami')).rejects.toThrow(/not connected|No response/i);

    // While it is down: the broker's own disconnect with the reason, right away (not a hang).
    const refused = await ssh('whoami');
    expect(refused.code).toBe(255);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(
      /Received disconnect from 127\.0\.0\.1 port \d+:\d+: Sesame \(bastion\): .*refused the TCP connection/,
    );
    expect(refused.stderr).toContain(`127.0.0.1 port ${sshd.port}`);
    await expect.poll(() => broker.active(), { timeout: 15_000 }).toBe(0);

    // Same port, host key and config (and the same CA trust): a fresh certificate logs in again.
    const firstPid = sshd.pid;
    await sshd.restart();
    expect(sshd.pid).not.toBe(firstPid);
    const back = await ssh('whoami');
    expect(back.stderr).toBe('');
    expect(back.stdout.trim()).toBe(sshd.user);
    expect(fs.readFileSync(sshd.logFile, 'utf8')).toMatch(
      /Accepted publickey for \S+ from 127\.0\.0\.1 port \d+ ssh2: ED25519-CERT/,
    );
    expect(broker.serveErrors).toEqual([]);
  });

  it('leaves no sockets, descriptors or timers behind once the broker closes', async () => {
    await broker.close();
    const after = await expectReleased(baseline, { fds: 4, handles: 4 });
    console.info(
      `[hardening] sshd faults resources: fds ${baseline.fds} → ${after.fds}, handles ${baseline.handles} → ${after.handles} (${JSON.stringify(baseline.byType)} → ${JSON.stringify(after.byType)}); certificates signed ${signed}`,
    );
  });
});
