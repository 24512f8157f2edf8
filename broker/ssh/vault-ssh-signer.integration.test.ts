// Certificates from the Vault dev server's SSH engine (CA mode) end to end: the sandbox sshd
// trusts Vault's CA; the connector signs an ephemeral key per connection. Short certificates
// expire and the next connection gets a fresh one; a token Vault refuses ends in a clear
// disconnect.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir, removeTempDir, startSshd, type SshdServer } from '../../sandbox/servers';
import { startVaultDev, type VaultDevServer } from '../../sandbox/vault';
import type { Credential, CredentialFetcher } from '../connector';
import { createVaultClient, type VaultClient } from '../vault';
import { createSshConnector, createSshHostKey, createVaultSshCertificateSource, parseCertificateLine } from './index';
import { isolatedSshOptions, listenForTests, runTool, writeKnownHosts, type TestListener } from './testing';

let dir: string;
let vaultServer: VaultDevServer;
let vault: VaultClient;
let sshd: SshdServer;
let signerToken: string;
let deniedToken: string;
const listeners: TestListener[] = [];

async function root<T = Record<string, unknown>>(
  method: 'GET' | 'POST' | 'PUT',
  apiPath: string,
  body?: Record<string, unknown>,
) {
  return vault.request<T>({ method, path: apiPath, token: vaultServer.rootToken, ...(body ? { body } : {}) });
}

beforeAll(async () => {
  dir = createTempDir('ssh-vault');
  vaultServer = await startVaultDev();
  vault = createVaultClient({ address: vaultServer.address, attempts: 1 });
  await root('POST', 'sys/mounts/ssh-client-signer', { type: 'ssh' });
  const ca = await root<{ public_key: string }>('POST', 'ssh-client-signer/config/ca', { generate_signing_key: true });
  await root('POST', 'ssh-client-signer/roles/dev', {
    key_type: 'ca',
    allow_user_certificates: true,
    allowed_users: 'root',
    default_extensions: { 'permit-pty': '' },
    ttl: '5m',
    max_ttl: '1h',
  });
  await root('PUT', 'sys/policies/acl/ssh-dev', {
    policy: 'path "ssh-client-signer/sign/dev" { capabilities = ["update"] }',
  });
  signerToken = (await root('POST', 'auth/token/create', { policies: ['ssh-dev'], ttl: '1h' }))!.auth!.client_token;
  deniedToken = (await root('POST', 'auth/token/create', { policies: ['default'], ttl: '1h' }))!.auth!.client_token;
  sshd = await startSshd({ trustedUserCaKeys: [ca!.data!.public_key.trim()] });
});

afterAll(async () => {
  for (const listener of listeners) await listener.close();
  await sshd?.stop();
  await vaultServer?.stop();
  if (dir) removeTempDir(dir);
});

/** A connector whose credentials come from Vault; `issued` records each certificate. */
async function serveWithVault(token: () => string, ttl?: string) {
  const source = createVaultSshCertificateSource(
    vault,
    { token: async () => token() },
    { mount: 'ssh-client-signer', role: 'dev', principals: ['root'], ...(ttl ? { ttl } : {}) },
  );
  const issued: Credential[] = [];
  const recording: CredentialFetcher = {
    description: source.description,
    async get() {
      const credential = await source.get();
      issued.push(credential);
      return credential;
    },
  };
  const hostKey = createSshHostKey();
  const connector = createSshConnector({
    target: { host: '127.0.0.1', port: sshd.port, user: 'root', hostKey: sshd.hostPublicKey },
    hostKey: hostKey.privateKey,
  });
  const listener = await listenForTests(connector, recording, 'bastion');
  listeners.push(listener);
  const knownHosts = writeKnownHosts(dir, listener.port, hostKey.publicKey, `known_hosts_${listener.port}`);
  const ssh = (...args: string[]) =>
    runTool('ssh', [...isolatedSshOptions(knownHosts), '-p', String(listener.port), ...args], { timeoutMs: 30_000 });
  return { ssh, issued };
}

describe('vault-ssh-sign certificates', () => {
  it('logs in with a certificate Vault signed for an ephemeral key, a pty included', async () => {
    const { ssh, issued } = await serveWithVault(() => signerToken);
    const result = await ssh('-tt', 'root@127.0.0.1', 'tty >/dev/null && echo has-a-pty');
    expect(result.stdout).toContain('has-a-pty');
    expect(issued).toHaveLength(1);
    expect(issued[0]!.path).toBe('ssh-client-signer/sign/dev');
    const certificate = parseCertificateLine(issued[0]!.values.certificate!, 'issued');
    expect(certificate.principals).toEqual(['root']);
    expect(fs.readFileSync(sshd.logFile, 'utf8')).toContain(`Accepted certificate ID "${certificate.keyId}"`);
  });

  it(
    'with 5 s certificates: a session outlives its certificate, and a new connection after expiry gets a fresh one',
    { timeout: 60_000 },
    async () => {
      const { ssh, issued } = await serveWithVault(() => signerToken, '5s');
      const long = ssh('root@127.0.0.1', 'sleep 7; echo outlived-the-certificate');
      await expect.poll(() => issued.length, { timeout: 20_000 }).toBe(1);
      const first = issued[0]!;
      expect(first.expiresAt!.getTime() - Date.now()).toBeLessThanOrEqual(5_000);
      expect((await long).stdout).toBe('outlived-the-certificate\n');
      expect(first.expiresAt!.getTime()).toBeLessThan(Date.now());

      // The expired certificate itself no longer gets in…
      const keyFile = path.join(dir, 'expired_key');
      fs.writeFileSync(keyFile, first.values.private_key!, { mode: 0o600 });
      fs.writeFileSync(`${keyFile}-cert.pub`, `${first.values.certificate!.trim()}\n`);
      const sshdKnownHosts = path.join(dir, 'sshd_known_hosts');
      fs.writeFileSync(sshdKnownHosts, `${sshd.knownHostsLine}\n`);
      const direct = await runTool('ssh', [
        ...isolatedSshOptions(sshdKnownHosts, [
          '-o',
          `IdentityFile=${keyFile}`,
          '-o',
          `CertificateFile=${keyFile}-cert.pub`,
        ]),
        '-p',
        String(sshd.port),
        'root@127.0.0.1',
        'echo never',
      ]);
      expect(direct.code).toBe(255);
      expect(direct.stderr).toContain('Permission denied');

      // …but the next connection through Sesame gets a fresh certificate and logs in.
      const again = await ssh('root@127.0.0.1', 'echo fresh-certificate');
      expect(again.stdout).toBe('fresh-certificate\n');
      expect(issued).toHaveLength(2);
      const serials = issued.map((c) => parseCertificateLine(c.values.certificate!, 'issued').serial);
      expect(serials[0]).not.toBe(serials[1]);
      expect(issued[1]!.expiresAt!.getTime()).toBeGreaterThan(Date.now());
    },
  );

  it("disconnects with Vault's refusal when the token may not sign, then serves again once it may", async () => {
    let token = deniedToken;
    const { ssh } = await serveWithVault(() => token);
    const refused = await ssh('root@127.0.0.1', 'echo never');
    expect(refused.code).toBe(255);
    expect(refused.stderr).toContain(
      'Sesame (bastion): could not get the credential from vault-ssh-sign ssh-client-signer/sign/dev: Vault denied access to ssh-client-signer/sign/dev',
    );
    expect(refused.stderr).toMatch(/Received disconnect from .*: Sesame \(bastion\): .*\(permission denied\)\r?\n/);
    expect(refused.stderr).not.toContain(deniedToken);
    token = signerToken;
    expect((await ssh('root@127.0.0.1', 'echo allowed-now')).stdout).toBe('allowed-now\n');
  });
});
