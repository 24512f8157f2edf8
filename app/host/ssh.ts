// What SSH connections need from the host beyond a connector: the local endpoint's host key,
// generated once per connection and kept in the key store (the OS keychain, else a private
// folder: key-store.ts) so `known_hosts` entries stay valid across restarts. And the target's
// spec from the config.
import { readFileSync } from 'node:fs';
import type { Logger } from '../../broker/log';
import { createSshConnector, createSshHostKey, loadSshHostKey, type SshHostKey } from '../../broker/ssh';
import type { ConnectionConfig } from '../config';
import { resolveConfigPath } from './credential-sources';
import type { KeyStore } from './key-store';

type SshConfig = Extract<ConnectionConfig, { protocol: 'ssh' }>;

export interface SshHostKeys {
  /** Load or create the host key of every ssh connection in `configs` (async: the keychain). */
  prepare(configs: readonly ConnectionConfig[]): Promise<void>;
  get(connection: string): SshHostKey | undefined;
}

export const hostKeyAccount = (connection: string) => `ssh-host-key:${connection}`;

export function createSshHostKeys(store: KeyStore, log: Logger): SshHostKeys {
  const keys = new Map<string, SshHostKey>();
  return {
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
            log.warn(`could not keep the SSH host key in ${store.folder ?? `the ${store.kind}`}`, {
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
