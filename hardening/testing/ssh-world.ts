// The SSH world the SSH hardening tests run in: the Vault dev server with the sandbox's SSH CA
// (sandbox/seed: `ssh-client-signer`, role `dev`), the sandbox's real sshd trusting it, and — for the
// connector tests — the SSH connector on a loopback listener, logging in upstream with an
// ephemeral certificate Vault signs per session. The good client is the real OpenSSH `ssh`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seedSshCa, VaultSeeder } from '../../sandbox/seed';
import { createTempDir, removeTempDir, startSshd, type SshdServer } from '../../sandbox/servers';
import { startVaultDev, type VaultDevServer } from '../../sandbox/vault';
import type { CredentialFetcher } from '../../broker/connector';
import { createVaultKvFetcher } from '../../broker/credentials';
import {
  createSshConnector,
  createSshHostKey,
  createVaultSshCertificateSource,
  SshKeyError,
  type SshConnector,
  type SshHostKey,
} from '../../broker/ssh';
import { isolatedSshOptions, runTool, type ToolResult } from '../../broker/ssh/testing';
import { createVaultClient, type VaultClient } from '../../broker/vault';
import { serveConnector, type ServedConnector } from './serve-connector';

/** Where sandbox/seed's seedSshCa mounts the CA, and its role. */
export const SSH_CA_MOUNT = 'ssh-client-signer';
export const SSH_CA_ROLE = 'dev';

export interface SshSandbox {
  readonly dir: string;
  readonly vaultServer: VaultDevServer;
  readonly vault: VaultClient;
  /** Trusts user certificates of Vault's CA for `user`. */
  readonly sshd: SshdServer;
  /** The OS user sshd lets in (a certificate principal). */
  readonly user: string;
  /** A fresh `vault-ssh-sign` source: a new ed25519 key and certificate per get(). */
  certificateSource(ttl?: string): CredentialFetcher;
  /** Connections sshd is serving (its forked children): 0 once every upstream session is gone. */
  upstreamSessions(): number;
  /** A KV v2 secret holding `private_key` (written now), as a credential source. */
  kvKeySource(path: string, privateKey: string): Promise<CredentialFetcher>;
  close(): Promise<void>;
}

/** `authorizedKeys`: plain public key lines sshd also accepts (beside the CA's certificates). */
export async function startSshSandbox(label: string, options: { authorizedKeys?: string[] } = {}): Promise<SshSandbox> {
  const dir = createTempDir(label);
  const vaultServer = await startVaultDev();
  const vault = createVaultClient({ address: vaultServer.address, attempts: 1 });
  const seeder = new VaultSeeder(vaultServer.address, vaultServer.rootToken);
  const user = os.userInfo().username;
  let sshd: SshdServer;
  try {
    const caPublicKey = await seedSshCa(seeder, user);
    sshd = await startSshd({
      trustedUserCaKeys: [caPublicKey],
      ...(options.authorizedKeys ? { authorizedKeys: options.authorizedKeys } : {}),
    });
  } catch (error) {
    await vaultServer.stop();
    removeTempDir(dir);
    throw error;
  }
  const session = { token: async () => vaultServer.rootToken };
  return {
    dir,
    vaultServer,
    vault,
    sshd,
    user,
    certificateSource: (ttl) =>
      createVaultSshCertificateSource(vault, session, {
        mount: SSH_CA_MOUNT,
        role: SSH_CA_ROLE,
        principals: [user],
        ...(ttl ? { ttl } : {}),
      }),
    upstreamSessions: () => childProcesses(sshd.pid),
    async kvKeySource(path, privateKey) {
      await seeder.write(`secret/data/${path}`, { data: { private_key: privateKey } });
      return createVaultKvFetcher(vault, session, {
        mount: 'secret',
        path,
        version: 2,
        fields: { private_key: 'private_key' },
        required: ['private_key'],
        maxAgeMs: 0,
      });
    },
    async close() {
      await sshd.stop();
      await vaultServer.stop();
      removeTempDir(dir);
    },
  };
}

function childProcesses(parent: number): number {
  let count = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // After the parenthesised command name: state, then the parent pid.
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent) count++;
    } catch {
      // the process ended while we looked
    }
  }
  return count;
}

export interface ServedSshConnector {
  readonly connector: SshConnector;
  readonly broker: ServedConnector;
  /**
   * Runs `command` through the broker with the real OpenSSH client, the endpoint's host key
   * pinned (under an alias, so `port` may be a relay in front of the broker).
   */
  ssh(command: string, options?: { input?: string; timeoutMs?: number; port?: number }): Promise<ToolResult>;
}

/**
 * A new host key for the local endpoint. ssh2's ed25519 generator drops a leading zero byte of
 * the public key (about 1 key in 256), which ssh2's own parser then refuses, so
 * createSshHostKey() throws now and then (reported); these tests are not about that.
 */
function newHostKey(): SshHostKey {
  for (let attempt = 1; ; attempt++) {
    try {
      return createSshHostKey();
    } catch (error) {
      if (!(error instanceof SshKeyError) || attempt >= 5) throw error;
    }
  }
}

/** The SSH connector toward the sandbox's sshd, served on a loopback port. */
export async function serveSshConnector(
  sandbox: SshSandbox,
  options: { handshakeMs?: number; name?: string } = {},
): Promise<ServedSshConnector> {
  const hostKey = newHostKey();
  const connector = createSshConnector({
    target: {
      host: sandbox.sshd.host,
      port: sandbox.sshd.port,
      user: sandbox.user,
      hostKey: sandbox.sshd.hostPublicKey,
      ...(options.handshakeMs ? { timeouts: { handshakeMs: options.handshakeMs, connectMs: 20_000 } } : {}),
    },
    hostKey: hostKey.privateKey,
  });
  const broker = await serveConnector(connector, sandbox.certificateSource(), options.name);
  const alias = `sesame-hardening-${broker.port}`;
  const knownHosts = path.join(sandbox.dir, `known_hosts_${broker.port}`);
  fs.writeFileSync(knownHosts, `${alias} ${hostKey.publicKey}\n`);
  return {
    connector,
    broker,
    ssh: (command, runOptions = {}) =>
      runTool(
        'ssh',
        [
          ...isolatedSshOptions(knownHosts, ['-o', `HostKeyAlias=${alias}`]),
          '-p',
          String(runOptions.port ?? broker.port),
          `${sandbox.user}@127.0.0.1`,
          command,
        ],
        {
          timeoutMs: runOptions.timeoutMs ?? 60_000,
          ...(runOptions.input !== undefined ? { input: runOptions.input } : {}),
        },
      ),
  };
}
