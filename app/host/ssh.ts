// What SSH connections need from the host beyond a connector: the local endpoint's host key,
// generated once per connection and kept in the OS keychain; where there is none (headless
// Linux, WSL: a memory-only store), in a 0600 file in a private folder beside the config — as
// sshd keeps its own — so `known_hosts` entries stay valid across restarts. And the target's
// spec from the config.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ensurePrivateDirectory, writePrivateFile } from '../../broker/private-files';
import type { Logger } from '../../broker/log';
import { createSshConnector, createSshHostKey, loadSshHostKey, type SshHostKey } from '../../broker/ssh';
import type { ConnectionConfig } from '../config';
import type { SecretStore } from '../platform';
import { resolveConfigPath } from './credential-sources';

type SshConfig = Extract<ConnectionConfig, { protocol: 'ssh' }>;

export interface SshHostKeys {
  /** Load or create the host key of every ssh connection in `configs` (async: the keychain). */
  prepare(configs: readonly ConnectionConfig[]): Promise<void>;
  get(connection: string): SshHostKey | undefined;
  /** Where keys are kept when there is no keychain (a folder of 0600 files); undefined with a keychain. */
  readonly fileFolder: string | undefined;
}

export const hostKeyAccount = (connection: string) => `ssh-host-key:${connection}`;

/** Where host keys are kept when there is no keychain: a private folder beside the config. */
export const sshHostKeyFolder = (configPath: string) =>
  path.join(path.dirname(path.resolve(configPath)), 'ssh-host-keys');

/** A secret store over 0600 files in a private folder: for host keys when no keychain answers. */
function fileStore(folder: string): Pick<SecretStore, 'get' | 'set'> {
  const file = (account: string) => path.join(folder, `${account.replace(/[^A-Za-z0-9._-]/g, '_')}.key`);
  return {
    get: async (account) => {
      await ensurePrivateDirectory(folder);
      return readFile(file(account), 'utf8').catch(() => null);
    },
    set: (account, secret) => writePrivateFile(file(account), secret),
  };
}

export function createSshHostKeys(
  secrets: SecretStore,
  log: Logger,
  options: { fileFolder?: string } = {},
): SshHostKeys {
  const keys = new Map<string, SshHostKey>();
  const fileFolder = secrets.kind === 'memory' ? options.fileFolder : undefined;
  const store = fileFolder ? fileStore(fileFolder) : secrets;
  return {
    fileFolder,
    async prepare(configs) {
      for (const config of configs) {
        if (config.protocol !== 'ssh' || keys.has(config.name)) continue;
        const account = hostKeyAccount(config.name);
        const stored = await store.get(account).catch(() => null);
        let key: SshHostKey | undefined;
        if (stored) {
          try {
            key = loadSshHostKey(stored);
          } catch (error) {
            log.warn('the stored SSH host key is unusable; making a new one', { connection: config.name, error });
          }
        }
        if (!key) {
          key = createSshHostKey();
          await store.set(account, key.privateKey).catch((error: Error) =>
            log.warn(`could not keep the SSH host key ${fileFolder ? `in ${fileFolder}` : 'in the keychain'}`, {
              connection: config.name,
              error,
            }),
          );
        }
        keys.set(config.name, key);
        log.info('SSH host key', { connection: config.name, fingerprint: key.fingerprint });
      }
    },
    get: (connection) => keys.get(connection),
  };
}

/** The SSH connector for a config; throws when the host key was not prepared or the target is invalid. */
export function sshConnectorFor(config: SshConfig, hostKeys: SshHostKeys, baseDir: string) {
  const hostKey = hostKeys.get(config.name);
  if (!hostKey) throw new Error(`the SSH host key of '${config.name}' is not ready`);
  const { knownHosts, ...target } = config.target;
  return createSshConnector({
    target: {
      ...target,
      ...(knownHosts ? { knownHosts: readKnownHosts(resolveConfigPath(knownHosts, baseDir)) } : {}),
    },
    hostKey: hostKey.privateKey,
    ...(config.clientAuth.method === 'publicKey' ? { clientAuth: { publicKeys: config.clientAuth.publicKeys } } : {}),
  });
}

function readKnownHosts(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the known_hosts file ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
