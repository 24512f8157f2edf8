// The optional token sink (Vault Agent's file sink): the session token in a file only the user
// can read (0600), so the `vault` CLI shares the login. Written atomically through no symlink;
// at logout it is removed only while it still holds the token Sesame wrote — a file someone
// else put there since (the vault CLI's own `vault login`) is left alone.
import { readFile, rm } from 'node:fs/promises';
import { writePrivateFile } from '../private-files';

export interface TokenSink {
  readonly file: string;
  write(token: string): Promise<void>;
  /** Remove the file if it still holds what Sesame wrote; true when removed. */
  remove(): Promise<boolean>;
}

export function createTokenSink(file: string): TokenSink {
  let written: string | undefined;
  return {
    file,
    async write(token) {
      try {
        // The folder is the user's choice (often $HOME): created 0700 when missing, not judged.
        await writePrivateFile(file, token, { sharedDir: true });
        written = token;
      } catch (error) {
        throw new Error(
          `cannot write the token sink ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        );
      }
    },
    async remove() {
      const current = await readFile(file, 'utf8').catch(() => undefined);
      if (current === undefined) return false;
      if (written === undefined || current !== written) return false;
      await rm(file, { force: true });
      written = undefined;
      return true;
    },
  };
}
