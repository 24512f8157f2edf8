// Who the broker logs in as: user and password from the credential, the database from the
// target or the client. Fails with a message that names the credential's path and the missing
// field, never a value.
import type { Credential } from '../connector';
import { CredentialError } from '../connector-kit';
import { MYSQL_CODES } from './errors';
import type { ResolvedMysqlTarget } from './target';

export interface UserPassword {
  readonly user: string;
  readonly password: string;
}

/** "the Vault secret at secret/data/x" — how errors refer to a credential. */
export function describeCredential(credential: Credential, sourceDescription: string): string {
  return sourceDescription.startsWith('vault')
    ? `the Vault secret at ${credential.path}`
    : `the credential at ${credential.path}`;
}

/** MySQL user names are at most 80 characters (MariaDB), 32 (MySQL 8). */
const MAX_USER = 80;

/** A login the credential cannot make: ERR 1045. */
const unusable = (message: string) =>
  new CredentialError('unusable', message, undefined, { code: MYSQL_CODES.credential });

export function credentialLogin(credential: Credential, sourceDescription: string): UserPassword {
  const { values } = credential;
  const where = describeCredential(credential, sourceDescription);
  const user = values.username || values.user || undefined;
  if (!user) throw unusable(`${where} has no 'username' (or 'user') field`);
  if (user.length > MAX_USER || user.includes('\0'))
    throw unusable(`${where} has a 'username' that is not a valid MySQL user name`);
  const password = values.password;
  if (password === undefined) throw unusable(`${where} has no 'password' field`);
  if (password === '') throw unusable(`${where} has an empty 'password' field`);
  return { user, password };
}

/** 'config' (default): the configured database, else the client's; 'client': the other way round. */
export function chooseDatabase(target: ResolvedMysqlTarget, clientDatabase: Buffer | undefined): Buffer | undefined {
  const configured = target.database !== undefined ? Buffer.from(target.database, 'utf8') : undefined;
  const fromClient = clientDatabase && clientDatabase.length > 0 ? clientDatabase : undefined;
  return target.databaseFrom === 'client' ? (fromClient ?? configured) : (configured ?? fromClient);
}
