// Where the shell keeps the session token between runs, best first:
//   1. the OS keychain through keytar (service "sesame"; app/platform's keychain store);
//   2. a file under userData holding values encrypted by Electron's safeStorage — only when
//      safeStorage really encrypts: on Linux without a secret service it falls back to its
//      `basic_text` backend (a fixed, public key), which is obfuscation, not protection;
//   3. otherwise nothing is persisted (a memory store that says why), never plain text on disk.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createKeychainSecretStore, createMemorySecretStore, type SecretStore } from '../app/platform';

export const KEYCHAIN_SERVICE = 'sesame';

export const SECRETS_FILE = 'secrets.json';

/** The parts of Electron's safeStorage used here. */
export interface SafeStorageLike {
  isAsyncEncryptionAvailable(): Promise<boolean>;
  encryptStringAsync(plainText: string): Promise<Buffer>;
  decryptStringAsync(encrypted: Buffer): Promise<{ shouldReEncrypt: boolean; result: string }>;
  /** Linux only: which password manager backs the key. */
  getSelectedStorageBackend?(): string;
}

export interface SecretStoreOptions {
  /** The OS keychain store; a 'memory' store from it means no keychain answered (and says why). */
  keychain?: () => Promise<SecretStore>;
  safeStorage: SafeStorageLike;
  userDataDir: string;
  platform: NodeJS.Platform;
  /** Told which store was chosen and why the better ones were not; never given a secret. */
  onChoice?: (store: SecretStore, reasons: string[]) => void;
}

const oneLine = (error: unknown) =>
  String((error as Error)?.message ?? error)
    .split('\n')[0]!
    .slice(0, 200);

/** Why safeStorage cannot be trusted with a secret here, or undefined when it can. */
export async function safeStorageProblem(
  safeStorage: SafeStorageLike,
  platform: NodeJS.Platform,
): Promise<string | undefined> {
  if (platform === 'linux') {
    const backend = safeStorage.getSelectedStorageBackend?.() ?? 'unknown';
    if (backend === 'basic_text') {
      return 'Electron safeStorage has no secret service here (its basic_text backend only obfuscates)';
    }
    if (backend === 'unknown') return 'Electron safeStorage could not tell which password manager backs it';
  }
  if (!(await safeStorage.isAsyncEncryptionAvailable())) return 'Electron safeStorage encryption is not available';
  return undefined;
}

type SecretsFile = { version: 1; entries: Record<string, string> };

/** Values encrypted by safeStorage, base64 in one JSON file (mode 0600, replaced atomically). */
export function createSafeStorageFileStore(safeStorage: SafeStorageLike, file: string): SecretStore {
  async function load(): Promise<SecretsFile> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, entries: {} };
      throw new Error(`Could not read ${file}: ${oneLine(error)}`);
    }
    try {
      const parsed = JSON.parse(text) as Partial<SecretsFile>;
      if (parsed.version !== 1 || typeof parsed.entries !== 'object' || parsed.entries === null)
        throw new Error('unexpected shape');
      return { version: 1, entries: { ...parsed.entries } };
    } catch (error) {
      throw new Error(`${file} is not a Sesame secrets file (${oneLine(error)}); remove it to start afresh`);
    }
  }
  // One write at a time, so two quick changes cannot interleave their read-modify-write.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => {});
    return run;
  };
  async function save(data: SecretsFile) {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const temp = `${file}.${randomUUID()}.tmp`;
    try {
      await writeFile(temp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw new Error(`Could not write ${file}: ${oneLine(error)}`);
    }
  }
  const encrypt = async (account: string, secret: string) => {
    try {
      return (await safeStorage.encryptStringAsync(secret)).toString('base64');
    } catch (error) {
      throw new Error(`Could not encrypt '${account}' with Electron safeStorage: ${oneLine(error)}`);
    }
  };

  return {
    kind: 'safe-storage',
    get: (account) =>
      serial(async () => {
        const data = await load();
        const stored = data.entries[account];
        if (stored === undefined) return null;
        let decrypted: { shouldReEncrypt: boolean; result: string };
        try {
          decrypted = await safeStorage.decryptStringAsync(Buffer.from(stored, 'base64'));
        } catch (error) {
          throw new Error(`Could not decrypt '${account}' from ${file}: ${oneLine(error)}`);
        }
        if (decrypted.shouldReEncrypt) {
          data.entries[account] = await encrypt(account, decrypted.result);
          await save(data);
        }
        return decrypted.result;
      }),
    set: (account, secret) =>
      serial(async () => {
        const data = await load();
        data.entries[account] = await encrypt(account, secret);
        await save(data);
      }),
    delete: (account) =>
      serial(async () => {
        const data = await load();
        if (!(account in data.entries)) return false;
        delete data.entries[account];
        await save(data);
        return true;
      }),
  };
}

/** The best store this machine offers (see the top of this file). */
export async function createSecretStore(options: SecretStoreOptions): Promise<SecretStore> {
  const reasons: string[] = [];
  const choose = (store: SecretStore) => {
    options.onChoice?.(store, reasons);
    return store;
  };
  const keychain = await (options.keychain ?? (() => createKeychainSecretStore(KEYCHAIN_SERVICE)))().catch(
    (error: unknown) => createMemorySecretStore(`the OS keychain failed (${oneLine(error)})`),
  );
  if (keychain.kind !== 'memory') return choose(keychain);
  reasons.push(keychain.unavailableReason ?? 'the OS keychain is not available');

  const problem = await safeStorageProblem(options.safeStorage, options.platform).catch(
    (e) => `Electron safeStorage failed (${oneLine(e)})`,
  );
  if (!problem)
    return choose(createSafeStorageFileStore(options.safeStorage, path.join(options.userDataDir, SECRETS_FILE)));
  reasons.push(problem);
  return choose(
    createMemorySecretStore(
      `Sesame keeps your Vault login in memory only, so it ends when Sesame quits: ${reasons.join('; and ')}. Install and unlock a keyring (e.g. gnome-keyring) to stay logged in.`,
    ),
  );
}
