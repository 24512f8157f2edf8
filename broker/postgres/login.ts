// Who the broker logs in as: the backend user, password and database, from the target's
// settings, the client's startup parameters and the credential. Fails with a message that names
// the credential's path and the missing field, never a value.
import type { Credential } from '../connector';
import { CredentialError } from '../connector-kit';
import type { BackendLogin } from './backend';
import { PG_CODES } from './errors';
import type { ResolvedPostgresTarget } from './target';

/** "the Vault secret at secret/data/x" — how errors refer to a credential. */
export function describeCredential(credential: Credential, sourceDescription: string): string {
  return sourceDescription.startsWith('vault')
    ? `the Vault secret at ${credential.path}`
    : `the credential at ${credential.path}`;
}

/** A login the credential (or the client) cannot make: 28000. */
const unusable = (message: string) =>
  new CredentialError('unusable', message, undefined, { code: PG_CODES.credential });

export function buildBackendLogin(
  target: ResolvedPostgresTarget,
  clientParameters: ReadonlyMap<string, string>,
  credential: Credential,
  sourceDescription: string,
): BackendLogin {
  const { values } = credential;
  const clientUser = clientParameters.get('user') || undefined;
  let user: string | undefined;
  if (target.userFrom === 'client') {
    user = clientUser;
    if (!user)
      throw unusable("the client's startup message names no user, and the connection takes the user from the client");
  } else {
    user = target.user ?? (values.username || undefined) ?? (values.user || undefined);
    if (!user) throw unusable(`${describeCredential(credential, sourceDescription)} has no 'username' field`);
  }
  const password = values.password;
  if (password === undefined)
    throw unusable(`${describeCredential(credential, sourceDescription)} has no 'password' field`);
  if (password === '')
    throw unusable(`${describeCredential(credential, sourceDescription)} has an empty 'password' field`);

  const parameters = new Map(clientParameters);
  parameters.delete('user');
  parameters.delete('database');
  const database = chooseDatabase(target, clientParameters.get('database') || undefined, clientUser);
  return { user, password, parameters, ...(database !== undefined && { database }) };
}

function chooseDatabase(
  target: ResolvedPostgresTarget,
  clientDatabase: string | undefined,
  clientUser: string | undefined,
): string | undefined {
  switch (target.databaseFrom) {
    case 'config':
      return target.database ?? clientDatabase;
    case 'client':
      return clientDatabase ?? target.database;
    default:
      // libpq sends database = user when none was given; that guess yields to the configured one.
      if (clientDatabase !== undefined && !(target.database !== undefined && clientDatabase === clientUser))
        return clientDatabase;
      return target.database ?? clientDatabase;
  }
}
