// Where the keys Sesame makes for itself are kept: the SSH endpoints' host keys and the local
// TLS CA. Clients pin them (known_hosts, sslrootcert), so they must outlive a restart. With an
// OS keychain they live there; without one (headless Linux, WSL: a memory-only store) in 0600
// files in a private folder beside the config — as sshd keeps its own host keys. The Vault
// session's token is not one of these: without a keychain it is never written to disk.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ensurePrivateDirectory, writePrivateFile } from '../../broker/private-files';
import type { SecretStore } from '../platform';

/** The private folder (0700, files 0600) that keeps Sesame's own keys when there is no keychain. */
export const keyFolder = (configPath: string) => path.join(path.dirname(path.resolve(configPath)), 'keys');

export interface KeyStore {
  /** Where keys are kept: the platform's store, or 'files' in `folder`. */
  readonly kind: SecretStore['kind'] | 'files';
  readonly folder?: string;
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
}

/** The platform's store when it keeps anything; else files in `folder` (when given). */
export function createKeyStore(secrets: SecretStore, folder: string | undefined): KeyStore {
  if (secrets.kind !== 'memory' || !folder) return secrets;
  const file = (account: string) => path.join(folder, `${account.replace(/[^A-Za-z0-9._-]/g, '_')}.key`);
  return {
    kind: 'files',
    folder,
    get: async (account) => {
      await ensurePrivateDirectory(folder);
      return readFile(file(account), 'utf8').catch(() => null);
    },
    set: (account, secret) => writePrivateFile(file(account), secret),
  };
}
