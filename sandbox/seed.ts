// Seeding the sandbox's Vault through Vault's own HTTP API, as an operator would: policies,
// auth methods (userpass, AppRole, OIDC against the sandbox IdP), KV secrets, a database
// engine role per database and an SSH CA role. Each step answers with what a user needs.
import { randomPassword } from './servers';

export class VaultSeeder {
  constructor(
    private readonly address: string,
    private readonly token: string,
  ) {}

  async request<T = Record<string, unknown>>(method: string, apiPath: string, body?: unknown): Promise<T | undefined> {
    const response = await fetch(`${this.address}/v1/${apiPath}`, {
      method,
      headers: { 'X-Vault-Token': this.token, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    if (!response.ok)
      throw new Error(`seeding Vault: ${method} ${apiPath} answered ${response.status} ${text.slice(0, 300)}`);
    return text ? (JSON.parse(text) as T) : undefined;
  }

  write(apiPath: string, body: unknown) {
    return this.request('POST', apiPath, body);
  }
}

/** What a developer of the sandbox may do: read its KV, get database and SSH credentials. */
export const SANDBOX_POLICY = `
path "secret/data/sandbox/*" { capabilities = ["read", "list"] }
path "secret/metadata/sandbox/*" { capabilities = ["read", "list"] }
path "database/creds/*" { capabilities = ["read"] }
path "ssh-client-signer/sign/dev" { capabilities = ["create", "update"] }
path "sys/leases/renew" { capabilities = ["update"] }
path "sys/leases/revoke" { capabilities = ["update"] }
path "sys/leases/lookup" { capabilities = ["update"] }
path "sys/capabilities-self" { capabilities = ["update"] }
`;

export async function seedAuth(vault: VaultSeeder, idp: { issuer: string; clientId: string; clientSecret: string }) {
  await vault.write('sys/policies/acl/sandbox-developer', { policy: SANDBOX_POLICY });

  const userpass = { username: 'developer', password: randomPassword() };
  await vault.write('sys/auth/userpass', { type: 'userpass' });
  await vault.write(`auth/userpass/users/${userpass.username}`, {
    password: userpass.password,
    token_policies: 'sandbox-developer',
    token_ttl: '1h',
  });

  await vault.write('sys/auth/approle', { type: 'approle' });
  await vault.write('auth/approle/role/sesame-ci', {
    token_policies: 'sandbox-developer',
    token_ttl: '1h',
    secret_id_ttl: '24h',
  });
  const roleId = (await vault.request<{ data: { role_id: string } }>('GET', 'auth/approle/role/sesame-ci/role-id'))!
    .data.role_id;
  const secretId = (await vault.request<{ data: { secret_id: string } }>(
    'POST',
    'auth/approle/role/sesame-ci/secret-id',
    {},
  ))!.data.secret_id;

  await vault.write('sys/auth/oidc', { type: 'oidc' });
  await vault.write('auth/oidc/config', {
    oidc_discovery_url: idp.issuer,
    oidc_client_id: idp.clientId,
    oidc_client_secret: idp.clientSecret,
    default_role: 'developer',
  });
  await vault.write('auth/oidc/role/developer', {
    user_claim: 'email',
    groups_claim: 'groups',
    allowed_redirect_uris: ['http://localhost:8250/oidc/callback', 'http://127.0.0.1:8250/oidc/callback'],
    oidc_scopes: ['openid', 'email', 'profile', 'groups'],
    token_policies: ['sandbox-developer'],
    token_ttl: '1h',
  });
  return { userpass, approle: { roleId, secretId, mount: 'approle' }, oidcRole: 'developer' };
}

export interface DatabaseSeed {
  plugin: 'postgresql-database-plugin' | 'mysql-database-plugin';
  name: string;
  connectionUrl: string;
  username: string;
  password: string;
  role: string;
  creation: string[];
  revocation: string[];
}

/** A database engine connection and one dynamic role (short default TTL: leases are visible). */
export async function seedDatabase(vault: VaultSeeder, db: DatabaseSeed) {
  await vault.write(`database/config/${db.name}`, {
    plugin_name: db.plugin,
    connection_url: db.connectionUrl,
    username: db.username,
    password: db.password,
    allowed_roles: [db.role],
  });
  await vault.write(`database/roles/${db.role}`, {
    db_name: db.name,
    creation_statements: db.creation,
    revocation_statements: db.revocation,
    default_ttl: '1h',
    max_ttl: '24h',
  });
}

/** The SSH CA that signs developers' keys; returns its public key for sshd's TrustedUserCAKeys. */
export async function seedSshCa(vault: VaultSeeder, allowedUser: string): Promise<string> {
  await vault.write('sys/mounts/ssh-client-signer', { type: 'ssh' });
  const ca = await vault.request<{ data: { public_key: string } }>('POST', 'ssh-client-signer/config/ca', {
    generate_signing_key: true,
  });
  await vault.write('ssh-client-signer/roles/dev', {
    key_type: 'ca',
    allow_user_certificates: true,
    allowed_users: allowedUser,
    default_user: allowedUser,
    ttl: '30m',
    max_ttl: '1h',
    default_extensions: { 'permit-pty': '', 'permit-port-forwarding': '' },
  });
  return ca!.data.public_key.trim();
}
