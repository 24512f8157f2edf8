// Files and directories only their owner may touch, made so that no other local user gets a
// window: a directory is created 0700 or, when it exists, must be a real directory of ours with
// no group/other bits (a socket or secret in a directory someone else can write is theirs);
// files are created 0600 under a 077 umask, never through a symlink.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

export class PrivatePathError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'PrivatePathError';
  }
}

const uid = () => process.getuid?.();

/** Create `dir` (0700, parents too) or check an existing one is ours and private. */
export async function ensurePrivateDirectory(dir: string): Promise<void> {
  const existing = await lstat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!existing) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700); // mkdir's mode is subject to the umask of the day; be explicit
    return;
  }
  if (existing.isSymbolicLink())
    throw new PrivatePathError(dir, `${dir} is a symbolic link; Sesame needs a real directory of its own there`);
  if (!existing.isDirectory()) throw new PrivatePathError(dir, `${dir} is not a directory`);
  const owner = uid();
  if (owner !== undefined && existing.uid !== owner) {
    throw new PrivatePathError(
      dir,
      `${dir} belongs to another user (uid ${existing.uid}); Sesame keeps sockets and secrets only in a directory of its own`,
    );
  }
  if ((existing.mode & 0o077) !== 0) {
    throw new PrivatePathError(
      dir,
      `${dir} can be entered by other users (mode ${(existing.mode & 0o777).toString(8)}); make it private with \`chmod 700 ${dir}\``,
    );
  }
}

/**
 * Write `content` to `file` as 0600, atomically (a temp file renamed over it), through no
 * symlink, in a directory that `ensurePrivateDirectory` accepts unless `sharedDir` says the
 * directory is the user's own choice (e.g. $HOME for ~/.vault-token).
 */
export async function writePrivateFile(
  file: string,
  content: string | Buffer,
  options: { sharedDir?: boolean } = {},
): Promise<void> {
  const dir = path.dirname(file);
  if (options.sharedDir) await mkdir(dir, { recursive: true, mode: 0o700 });
  else await ensurePrivateDirectory(dir);
  const target = await lstat(file).catch(() => undefined);
  if (target?.isSymbolicLink())
    throw new PrivatePathError(file, `${file} is a symbolic link; Sesame does not write through one`);
  const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const previous = process.umask(0o077);
  try {
    const handle = await open(
      temp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  } finally {
    process.umask(previous);
  }
}

/** Run `bind` (a listen on a unix socket path) with the umask at 077, so the socket is never wider than 0600. */
export async function withPrivateUmask<T>(bind: () => Promise<T>): Promise<T> {
  const previous = process.umask(0o077);
  try {
    return await bind();
  } finally {
    process.umask(previous);
  }
}
