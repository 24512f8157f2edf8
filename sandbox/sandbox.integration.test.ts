// The seeded sandbox works the way `sesame sandbox` promises: every login it prints logs in,
// the database roles make real users, the SSH role signs keys its sshd accepts.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '.';

const run = promisify(execFile);

async function vault<T = Record<string, any>>(
  sandbox: Sandbox,
  method: string,
  apiPath: string,
  body?: unknown,
  token = sandbox.rootToken,
): Promise<T> {
  const res = await fetch(`${sandbox.vaultAddr}/v1/${apiPath}`, {
    method,
    headers: { 'X-Vault-Token': token },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  expect(res.status, `${method} ${apiPath}`).toBeLessThan(300);
  return (await res.json()) as T;
}

describe('sandbox', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(() => sandbox?.stop());

  it('describes itself with everything a script needs, as one JSON-able object', () => {
    const info = JSON.parse(JSON.stringify(sandbox.describe()));
    expect(info).toMatchObject({
      vaultAddr: sandbox.vaultAddr,
      rootToken: sandbox.rootToken,
      configPath: sandbox.configPath,
    });
    expect(info.connections[0]).toMatchObject({ name: 'sandbox-postgres', protocol: 'postgres' });
    expect(info.agentAddr).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const key of ['postgres', 'mariadb', 'sshd', 'oidc', 'userpass', 'approle'])
      expect(info[key], key).toBeDefined();
  });

  it('userpass and AppRole logins give tokens with the developer policy', async () => {
    const { userpass, approle } = sandbox.logins;
    const up = await vault(
      sandbox,
      'POST',
      `auth/userpass/login/${userpass.username}`,
      { password: userpass.password },
      '',
    );
    expect(up.auth.policies).toContain('sandbox-developer');
    const ar = await vault(
      sandbox,
      'POST',
      'auth/approle/login',
      { role_id: approle.roleId, secret_id: approle.secretId },
      '',
    );
    expect(ar.auth.policies).toContain('sandbox-developer');
    const kv = await vault(sandbox, 'GET', 'secret/data/sandbox/postgres', undefined, up.auth.client_token);
    expect(kv.data.data.username).toBe(sandbox.postgresAppUser);
  });

  it('database roles create real users in PostgreSQL and MariaDB, dropped on revoke', async () => {
    const pgCreds = await vault(sandbox, 'GET', 'database/creds/sandbox-postgres');
    const client = new pg.Client({
      host: sandbox.postgres.host,
      port: sandbox.postgres.port,
      user: pgCreds.data.username,
      password: pgCreds.data.password,
      database: 'sandbox',
    });
    await client.connect();
    expect((await client.query('select current_user')).rows[0].current_user).toBe(pgCreds.data.username);
    await client.end();

    const myCreds = await vault(sandbox, 'GET', 'database/creds/sandbox-mariadb');
    const conn = await mysql.createConnection({
      host: sandbox.mariadb.host,
      port: sandbox.mariadb.port,
      user: myCreds.data.username,
      password: myCreds.data.password,
    });
    const [rows] = await conn.query('select current_user() as u');
    expect((rows as Array<{ u: string }>)[0]!.u).toMatch(new RegExp(`^${myCreds.data.username}@`));
    await conn.end();

    await vault(sandbox, 'PUT', 'sys/leases/revoke', { lease_id: pgCreds.lease_id }).catch(() => undefined);
    const admin = new pg.Client({
      host: sandbox.postgres.host,
      port: sandbox.postgres.port,
      user: 'admin',
      password: sandbox.postgres.adminPassword,
      database: 'postgres',
    });
    await admin.connect();
    await expect
      .poll(
        async () => (await admin.query('select 1 from pg_roles where rolname = $1', [pgCreds.data.username])).rowCount,
      )
      .toBe(0);
    await admin.end();
  });

  it('the SSH CA role signs a key that the real ssh uses to log into the sandbox sshd', async () => {
    const keyFile = path.join(sandbox.dir, 'id_test');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
    const opensshKey = await readFile(`${keyFile}.pub`, 'utf8');
    const signed = await vault(sandbox, 'POST', 'ssh-client-signer/sign/dev', {
      public_key: opensshKey.trim(),
      valid_principals: sandbox.sshd.user,
    });
    await writeFile(`${keyFile}-cert.pub`, signed.data.signed_key);
    const knownHosts = path.join(sandbox.dir, 'known_hosts');
    await writeFile(knownHosts, `${sandbox.sshd.knownHostsLine}\n`);
    const { stdout } = await run('ssh', [
      '-i',
      keyFile,
      '-o',
      `CertificateFile=${keyFile}-cert.pub`,
      '-o',
      `UserKnownHostsFile=${knownHosts}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=yes',
      '-p',
      String(sandbox.sshd.port),
      `${sandbox.sshd.user}@127.0.0.1`,
      'echo brokered-hello',
    ]);
    expect(stdout.trim()).toBe('brokered-hello');
  });
});
