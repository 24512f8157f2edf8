// Brokered SSH through the host: the real ssh client logs into the sandbox sshd with a
// certificate Vault signed for this session. The local endpoint's host key is made once and
// kept — in the OS keychain when there is one, else in a 0600 file beside the config — so the
// `known_hosts` line ssh wrote on the first visit stays valid across restarts: a later ssh with
// StrictHostKeyChecking=yes connects instead of "REMOTE HOST IDENTIFICATION HAS CHANGED".
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../broker/log';
import { startSandbox, type Sandbox } from '../../sandbox';
import { createMemorySecretStore, type Platform, type SecretStore } from '../platform';
import { createAppHost, type AppHost } from '.';
import { hostKeyAccount } from './ssh';
import { recordingPlatform, run } from './testing';

/** Stands in for the OS keychain: it outlives a host (a restart), as the real one does. */
function keychainStandIn(): SecretStore {
  return { ...createMemorySecretStore('unused'), kind: 'keychain', unavailableReason: undefined };
}

describe('ssh connections in the host', () => {
  let sandbox: Sandbox;
  let host: AppHost | undefined;

  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(async () => {
    await host?.close();
    await sandbox?.stop();
  });

  async function restart(platform: Platform): Promise<AppHost> {
    await host?.close();
    host = await createAppHost({ configPath: sandbox.configPath, platform, mode: 'browser', log: silentLogger });
    return host;
  }

  /** ssh through the broker as a user would, with its own known_hosts file. */
  async function ssh(port: string, knownHosts: string, checking: 'accept-new' | 'yes') {
    return run('ssh', [
      '-p',
      port,
      '-o',
      'BatchMode=yes',
      '-o',
      `StrictHostKeyChecking=${checking}`,
      '-o',
      `UserKnownHostsFile=${knownHosts}`,
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'IdentityFile=/nonexistent',
      `${sandbox.sshd.user}@127.0.0.1`,
      'echo brokered; whoami',
    ]);
  }

  it('runs a command on the real sshd with a Vault-signed certificate; the host key stays in the keychain across a restart', async () => {
    const keychain = keychainStandIn();
    const platform = { ...recordingPlatform(), secrets: keychain };
    const view = await (await restart(platform)).call('connections.setEnabled', { name: 'sandbox-ssh', enabled: true });
    expect(view.state).toBe('ready');
    const port = view.listen.split(':')[1]!;
    const knownHosts = path.join(sandbox.dir, 'keychain_known_hosts');
    expect((await ssh(port, knownHosts, 'accept-new')).stdout.split('\n')).toEqual(['brokered', sandbox.sshd.user]);
    const stored = await keychain.get(hostKeyAccount('sandbox-ssh'));
    expect(stored).toMatch(/PRIVATE KEY/);

    await restart(platform);
    await host!.call('connections.setEnabled', { name: 'sandbox-ssh', enabled: true });
    expect(await keychain.get(hostKeyAccount('sandbox-ssh'))).toBe(stored);
    expect((await ssh(port, knownHosts, 'yes')).stdout).toContain('brokered');
    // With a keychain, no key file is written.
    expect(await readdir(path.join(sandbox.dir, 'keys')).catch(() => 'none')).toBe('none');
  });

  it('without a keychain, keeps the host key in a private file: ssh with strict checking connects after a restart', async () => {
    // Each start gets a fresh memory-only store, as a new process on a machine without a keychain.
    const first = await (
      await restart(recordingPlatform())
    ).call('connections.setEnabled', {
      name: 'sandbox-ssh',
      enabled: true,
    });
    const port = first.listen.split(':')[1]!;
    expect(first.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    const knownHosts = path.join(sandbox.dir, 'no_keychain_known_hosts');
    await ssh(port, knownHosts, 'accept-new');
    // The fingerprint the card shows is the one ssh recorded.
    const recorded = await run('ssh-keygen', ['-l', '-F', `[127.0.0.1]:${port}`, '-f', knownHosts]);
    expect(recorded.stdout).toContain(first.hostKeyFingerprint);

    const again = await (
      await restart(recordingPlatform())
    ).call('connections.setEnabled', {
      name: 'sandbox-ssh',
      enabled: true,
    });
    expect(again.hostKeyFingerprint).toBe(first.hostKeyFingerprint);
    expect((await ssh(port, knownHosts, 'yes')).stdout.split('\n')).toEqual(['brokered', sandbox.sshd.user]);

    const folder = path.join(sandbox.dir, 'keys');
    expect((await stat(folder)).mode & 0o777).toBe(0o700);
    const files = await readdir(folder);
    expect(files.sort()).toEqual(['local-tls-ca.key', 'ssh-host-key_sandbox-ssh.key']);
    for (const file of files) expect((await stat(path.join(folder, file))).mode & 0o777).toBe(0o600);
    // What the list shows, for the card.
    const listed = (await host!.call('connections.list', {})).find((c) => c.name === 'sandbox-ssh');
    expect(listed?.hostKeyFingerprint).toBe(first.hostKeyFingerprint);
  });
});
