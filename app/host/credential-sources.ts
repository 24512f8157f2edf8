// Credential sources the broker's fetchers do not cover by themselves: files (Secretless's
// `file` provider) and fixed, non-secret fields (the user name) beside a fetched source. Both
// fail with a CredentialError that names the file or field, never a value.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Credential, CredentialFetcher } from '../../broker/connector';
import { CredentialError } from '../../broker/credentials';

/** `~/x` → the home directory; relative paths against `baseDir` (the config file's directory). */
export function resolveConfigPath(file: string, baseDir: string): string {
  if (file === '~' || file.startsWith('~/')) return path.join(os.homedir(), file.slice(1));
  return path.resolve(baseDir, file);
}

/** `fields` maps credential field → file; each file is read at every connection (rotation). */
export function createFileFetcher(fields: Record<string, string>, baseDir: string): CredentialFetcher {
  const files = Object.entries(fields).map(([field, file]) => [field, resolveConfigPath(file, baseDir)] as const);
  const where = files.map(([, file]) => file).join(', ');
  return {
    description: `files ${where}`,
    async get() {
      const values: Record<string, string> = {};
      for (const [field, file] of files) {
        let text: string;
        try {
          text = await readFile(file, 'utf8');
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT')
            throw new CredentialError('not-found', `the file ${file} (for '${field}') does not exist`);
          throw new CredentialError('config', `cannot read the file ${file} (for '${field}'): ${code ?? 'error'}`);
        }
        // `echo secret > file` leaves a newline that is not part of the secret.
        const value = text.replace(/\r?\n$/, '');
        if (value === '') throw new CredentialError('missing-field', `the file ${file} (for '${field}') is empty`);
        values[field] = value;
      }
      return { values, path: `file:${where}` };
    },
  };
}

/** Adds fixed fields to every credential `inner` fetches; fetched fields win (they are never both). */
export function withFixedValues(
  inner: CredentialFetcher,
  fixed: Record<string, string> | undefined,
): CredentialFetcher {
  if (!fixed || Object.keys(fixed).length === 0) return inner;
  const merged = new WeakMap<Credential, Credential>();
  return {
    description: inner.description,
    async get(options) {
      const credential = await inner.get(options);
      const result: Credential = { ...credential, values: { ...fixed, ...credential.values } };
      merged.set(result, credential);
      return result;
    },
    ...(inner.close ? { close: () => inner.close!() } : {}),
    ...(inner.offlineOutlook ? { offlineOutlook: () => inner.offlineOutlook!() } : {}),
    ...(inner.release
      ? {
          release: (credential: Credential) => inner.release!(merged.get(credential) ?? credential),
        }
      : {}),
  };
}
