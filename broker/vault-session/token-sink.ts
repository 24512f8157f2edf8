// The optional token sink (Vault Agent's file sink): the session token in a file only the user
// can read (0600), so the `vault` CLI shares the login. Written atomically, removed at logout.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function writeTokenSink(file: string, token: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temp, token, { mode: 0o600, flag: 'wx' });
    await chmod(temp, 0o600); // a umask cannot widen it, but be explicit
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw new Error(`cannot write the token sink ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

export async function removeTokenSink(file: string): Promise<void> {
  await rm(file, { force: true });
}
