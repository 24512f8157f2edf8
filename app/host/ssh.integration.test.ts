// Brokered SSH through the host: the real ssh client logs into the sandbox sshd with a
// certificate Vault signed for this session; the local endpoint's host key lives in the
// keychain (here the test's store) and stays the same across host restarts.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../broker/log';
import { startSandbox, type Sandbox } from '../../sandbox';
import { createAppHost, type AppHost } from '.';
import { hostKeyAccount } from './ssh';
import { recordingPlatform, run } from './testing';

describe('ssh connections in the host', () => {
  let sandbox: Sandbox;
  let host: AppHost;
  const platform = recordingPlatform();

  beforeAll(async () => {
    sandbox = await startSandbox();
    host = await createAppHost({ configPath: sandbox.configPath, platform, mode: 'browser', log: silentLogger });
  });
  afterAll(async () => {
    await host?.close();
    await sandbox?.stop();
  });

  it('runs a command on the real sshd through the broker with a Vault-signed certificate', async () => {
    const view = await host.call('connections.setEnabled', { name: 'sandbox-ssh', enabled: true });
    expect(view.state).toBe('ready');
    const [, port] = view.listen.split(':') as [string, string];
    const knownHosts = path.join(sandbox.dir, 'broker_known_hosts');
    const result = await run('ssh', [
      '-p',
      port,
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=accept-new',
      '-o',
      `UserKnownHostsFile=${knownHosts}`,
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'IdentityFile=/nonexistent',
      `${sandbox.sshd.user}@127.0.0.1`,
      'echo brokered; whoami',
    ]);
    expect(result.stdout.split('\n')).toEqual(['brokered', sandbox.sshd.user]);
    expect(await platform.secrets.get(hostKeyAccount('sandbox-ssh'))).toMatch(/PRIVATE KEY/);
  });

  it('keeps the local host key across a restart of the host', async () => {
    const before = await platform.secrets.get(hostKeyAccount('sandbox-ssh'));
    await host.close();
    host = await createAppHost({ configPath: sandbox.configPath, platform, mode: 'browser', log: silentLogger });
    await host.call('connections.setEnabled', { name: 'sandbox-ssh', enabled: true });
    expect(await platform.secrets.get(hostKeyAccount('sandbox-ssh'))).toBe(before);
  });
});
