// Who we are and who a server must run as. PostgreSQL refuses to run as root, so as root its
// binaries run as the `postgres` OS user on dirs that user owns.
import fs from 'node:fs';
import os from 'node:os';
import type { RunAs } from './process';

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** The login name of the user this process runs as. */
export function currentUserName(): string {
  return os.userInfo().username;
}

/** uid/gid of an OS account, read from /etc/passwd. */
export function lookupUser(name: string): RunAs {
  let passwd: string;
  try {
    passwd = fs.readFileSync('/etc/passwd', 'utf8');
  } catch (error) {
    throw new Error(`cannot read /etc/passwd to find the ${name} user: ${(error as Error).message}`);
  }
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined) return { uid: Number(uid), gid: Number(gid) };
  }
  throw new Error(`the OS user "${name}" does not exist (it comes with the Debian package that provides the server)`);
}

/** Give `paths` to `owner` (no-op when not root: everything is ours already). */
export function chownAll(owner: RunAs | undefined, ...paths: string[]): void {
  if (!owner) return;
  for (const p of paths) fs.chownSync(p, owner.uid, owner.gid);
}
