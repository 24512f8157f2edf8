// Random passwords for sandbox admin accounts: URL-safe characters only, so they never need
// quoting in SQL, config files or connection strings.
import { randomBytes } from 'node:crypto';

/** 24 random URL-safe characters (144 bits). */
export function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}
