// PostgreSQL's md5 password method: the server stores md5(password || user) and asks for
// 'md5' || md5(hex(that) || salt), so the response is bound to the user name and a fresh salt.
import { createHash } from 'node:crypto';

const md5Hex = (data: Buffer | string): string => createHash('md5').update(data).digest('hex');

/** The hash PostgreSQL stores for an md5 password (`pg_authid.rolpassword`). */
export function md5StoredPassword(user: string, password: string): string {
  return `md5${md5Hex(Buffer.from(password + user, 'utf8'))}`;
}

/** The PasswordMessage payload answering AuthenticationMD5Password with `salt` (4 bytes). */
export function md5PasswordResponse(user: string, password: string, salt: Buffer): string {
  if (salt.length !== 4) throw new Error(`md5 salt must be 4 bytes, got ${salt.length}`);
  const inner = md5StoredPassword(user, password).slice(3);
  return `md5${md5Hex(Buffer.concat([Buffer.from(inner, 'ascii'), salt]))}`;
}
