// The database engine against real PostgreSQL and MariaDB: users really created with the
// role's statements, really dropped on revocation, expiry and token revocation; static roles
// whose password really changes.
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMariaDb, startPostgres, type MariaDbServer, type PostgresServer } from '../servers/index';
import { sleep, targets, vaultClient, type VaultClient, type VaultTarget } from './testing';

const PG_CREATE = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";`;
const MY_CREATE = `CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'; GRANT SELECT ON *.* TO '{{name}}'@'%';`;

async function waitPast(rfc3339: string, slackMs: number): Promise<void> {
  const ms = Date.parse(rfc3339) - Date.now() + slackMs;
  if (ms > 0) await sleep(ms);
}

for (const factory of targets()) {
  if (factory.skipReason) console.log(`[database] skipped "${factory.name}": ${factory.skipReason}`);

  describe.skipIf(factory.skipReason !== undefined)(`database engine (${factory.name})`, () => {
    let target: VaultTarget;
    let v: VaultClient;
    let pgServer: PostgresServer;
    let maria: MariaDbServer;
    let pgAdmin: pg.Client;
    let myAdmin: mysql.Connection;

    const pgRoleExists = async (name: string) =>
      (await pgAdmin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).rowCount === 1;
    const myUserExists = async (name: string) => {
      const [rows] = await myAdmin.query('SELECT 1 FROM mysql.user WHERE user = ?', [name]);
      return (rows as unknown[]).length > 0;
    };
    const pgLogin = async (user: string, password: string) => {
      const c = new pg.Client({ host: pgServer.host, port: pgServer.port, user, password, database: 'postgres' });
      await c.connect();
      const r = await c.query('SELECT current_user AS u');
      await c.end();
      return r.rows[0].u as string;
    };
    const myLogin = async (user: string, password: string) => {
      const c = await mysql.createConnection({ host: maria.host, port: maria.port, user, password });
      const [rows] = await c.query('SELECT CURRENT_USER() AS u');
      await c.end();
      return (rows as Array<{ u: string }>)[0]?.u;
    };

    beforeAll(async () => {
      [pgServer, maria, target] = await Promise.all([startPostgres(), startMariaDb(), factory.start()]);
      v = vaultClient(target.address, target.rootToken);
      pgAdmin = new pg.Client({
        host: pgServer.host,
        port: pgServer.port,
        user: pgServer.adminUser,
        password: pgServer.adminPassword,
        database: 'postgres',
      });
      await pgAdmin.connect();
      myAdmin = await mysql.createConnection({
        host: maria.host,
        port: maria.port,
        user: maria.adminUser,
        password: maria.adminPassword,
      });
      expect((await v.post('sys/mounts/database', { type: 'database' })).status).toBe(204);
    });
    afterAll(async () => {
      await pgAdmin?.end().catch(() => undefined);
      await myAdmin?.end().catch(() => undefined);
      await target?.stop();
      await Promise.all([pgServer?.stop(), maria?.stop()]);
    });

    describe('PostgreSQL', () => {
      it('config refuses bad credentials without echoing them', async () => {
        const r = await v.post('database/config/pg-bad', {
          plugin_name: 'postgresql-database-plugin',
          connection_url: `postgresql://{{username}}:{{password}}@127.0.0.1:${pgServer.port}/postgres?sslmode=disable`,
          username: 'admin',
          password: 'wrong-password-123',
        });
        expect(r.status).toBe(400);
        expect(r.text).not.toContain('wrong-password-123');
      });

      it('config + roles; config reads back without the password', async () => {
        const cfg = await v.post('database/config/pg', {
          plugin_name: 'postgresql-database-plugin',
          connection_url: `postgresql://{{username}}:{{password}}@127.0.0.1:${pgServer.port}/postgres?sslmode=disable`,
          username: pgServer.adminUser,
          password: pgServer.adminPassword,
          allowed_roles: ['readonly', 'short', 'pg-static'],
        });
        expect([200, 204]).toContain(cfg.status);
        const read = await v.get('database/config/pg');
        expect(read.body.data).toMatchObject({
          plugin_name: 'postgresql-database-plugin',
          allowed_roles: ['readonly', 'short', 'pg-static'],
        });
        expect(read.text).not.toContain(pgServer.adminPassword);
        expect(
          (
            await v.post('database/roles/readonly', {
              db_name: 'pg',
              creation_statements: PG_CREATE,
              default_ttl: '1h',
              max_ttl: '2h',
            })
          ).status,
        ).toBe(204);
        expect(
          (
            await v.post('database/roles/short', {
              db_name: 'pg',
              creation_statements: [PG_CREATE],
              default_ttl: 2,
              max_ttl: 4,
            })
          ).status,
        ).toBe(204);
        expect(
          (await v.post('database/roles/unlisted', { db_name: 'pg', creation_statements: PG_CREATE })).status,
        ).toBe(204);
        const role = await v.get('database/roles/readonly');
        expect(role.body.data).toMatchObject({ db_name: 'pg', default_ttl: 3600, max_ttl: 7200 });
      });

      it('creds create a real user that can log in; revoking the lease drops it', async () => {
        const r = await v.get('database/creds/readonly');
        expect(r.status).toBe(200);
        expect(r.body.lease_id).toMatch(/^database\/creds\/readonly\/.+/);
        expect(r.body).toMatchObject({ renewable: true, lease_duration: 3600 });
        const { username, password } = r.body.data as { username: string; password: string };
        expect(await pgRoleExists(username)).toBe(true);
        expect(await pgLogin(username, password)).toBe(username);
        const renewed = await v.put('sys/leases/renew', { lease_id: r.body.lease_id, increment: '10h' });
        expect(renewed.status).toBe(200);
        expect(renewed.body.lease_duration).toBeLessThanOrEqual(7200);
        expect((await v.put('sys/leases/revoke', { lease_id: r.body.lease_id })).status).toBe(204);
        expect(await pgRoleExists(username)).toBe(false);
      });

      it('a 2 s lease: the user is gone from pg_roles within 1 s of expiry', async () => {
        const r = await v.get('database/creds/short');
        const username = r.body.data.username as string;
        expect(await pgRoleExists(username)).toBe(true);
        const lease = await v.put('sys/leases/lookup', { lease_id: r.body.lease_id });
        await waitPast(lease.body.data.expire_time, 1000);
        expect(await pgRoleExists(username)).toBe(false);
      });

      it('revoking a parent token drops the users its child token created', async () => {
        await v.put('sys/policies/acl/db', {
          policy:
            'path "database/creds/*" { capabilities = ["read"] }\npath "auth/token/create" { capabilities = ["update"] }',
        });
        const parent = (await v.post('auth/token/create', { policies: ['db'] })).body.auth.client_token;
        const child = (await v.post('auth/token/create', { policies: ['db'] }, { token: parent })).body.auth
          .client_token;
        const byChild = await v.get('database/creds/readonly', { token: child });
        expect(byChild.status).toBe(200);
        expect(await pgRoleExists(byChild.body.data.username)).toBe(true);
        expect((await v.post('auth/token/revoke', { token: parent })).status).toBe(204);
        expect(await pgRoleExists(byChild.body.data.username)).toBe(false);
      });

      it('refuses a role not in allowed_roles and an unknown role', async () => {
        const notAllowed = await v.get('database/creds/unlisted');
        expect(notAllowed.status).toBe(400);
        expect(notAllowed.body.errors[0]).toMatch(/is not an allowed role/);
        const unknown = await v.get('database/creds/nope');
        expect(unknown.status).toBe(400);
        expect(unknown.body.errors[0]).toMatch(/unknown role/);
      });

      it('a static role owns an existing user: created and rotate-role really change the password', async () => {
        await pgAdmin.query(`CREATE ROLE app_static WITH LOGIN PASSWORD 'initial-pass-1'`);
        expect(
          (
            await v.post('database/static-roles/pg-static', {
              db_name: 'pg',
              username: 'app_static',
              rotation_period: '1h',
            })
          ).status,
        ).toBe(204);
        await expect(pgLogin('app_static', 'initial-pass-1')).rejects.toThrow();
        const first = await v.get('database/static-creds/pg-static');
        expect(first.body.data).toMatchObject({ username: 'app_static', rotation_period: 3600 });
        expect(first.body.data.ttl).toBeGreaterThan(3500);
        expect(typeof first.body.data.last_vault_rotation).toBe('string');
        expect(await pgLogin('app_static', first.body.data.password)).toBe('app_static');
        expect((await v.post('database/rotate-role/pg-static')).status).toBe(204);
        const second = await v.get('database/static-creds/pg-static');
        expect(second.body.data.password).not.toBe(first.body.data.password);
        expect(await pgLogin('app_static', second.body.data.password)).toBe('app_static');
        await expect(pgLogin('app_static', first.body.data.password)).rejects.toThrow();
      });
    });

    describe('MariaDB', () => {
      it('creds create a real user; revocation and expiry drop it', async () => {
        const cfg = await v.post('database/config/maria', {
          plugin_name: 'mysql-database-plugin',
          connection_url: `{{username}}:{{password}}@tcp(127.0.0.1:${maria.port})/`,
          username: maria.adminUser,
          password: maria.adminPassword,
          allowed_roles: '*',
        });
        expect([200, 204]).toContain(cfg.status);
        expect(
          (
            await v.post('database/roles/my-ro', {
              db_name: 'maria',
              creation_statements: MY_CREATE,
              default_ttl: '1h',
            })
          ).status,
        ).toBe(204);
        expect(
          (
            await v.post('database/roles/my-short', {
              db_name: 'maria',
              creation_statements: MY_CREATE,
              default_ttl: '2s',
            })
          ).status,
        ).toBe(204);
        const r = await v.get('database/creds/my-ro');
        expect(r.status).toBe(200);
        const { username, password } = r.body.data as { username: string; password: string };
        expect(username.length).toBeLessThanOrEqual(32);
        expect(await myUserExists(username)).toBe(true);
        expect(await myLogin(username, password)).toMatch(new RegExp(`^${username}@`));
        expect((await v.put('sys/leases/revoke', { lease_id: r.body.lease_id })).status).toBe(204);
        expect(await myUserExists(username)).toBe(false);

        const s = await v.get('database/creds/my-short');
        const lease = await v.put('sys/leases/lookup', { lease_id: s.body.lease_id });
        await waitPast(lease.body.data.expire_time, 1000);
        expect(await myUserExists(s.body.data.username)).toBe(false);
      });

      it('static role rotation really changes the MariaDB password', async () => {
        await myAdmin.query(`CREATE USER 'app_static'@'%' IDENTIFIED BY 'initial-pass-2'`);
        expect(
          (
            await v.post('database/static-roles/my-static', {
              db_name: 'maria',
              username: 'app_static',
              rotation_period: 3600,
            })
          ).status,
        ).toBe(204);
        const first = await v.get('database/static-creds/my-static');
        expect(await myLogin('app_static', first.body.data.password)).toMatch(/^app_static@/);
        await v.post('database/rotate-role/my-static');
        const second = await v.get('database/static-creds/my-static');
        expect(await myLogin('app_static', second.body.data.password)).toMatch(/^app_static@/);
        await expect(myLogin('app_static', first.body.data.password)).rejects.toThrow();
      });

      it('a bad DSN or unknown plugin → 400', async () => {
        expect((await v.post('database/config/x', { plugin_name: 'nope-plugin', connection_url: 'x' })).status).toBe(
          400,
        );
        expect(
          (
            await v.post('database/config/x', {
              plugin_name: 'mysql-database-plugin',
              connection_url: `{{username}}:{{password}}@tcp(127.0.0.1:${maria.port})/`,
              username: 'root',
              password: 'wrong-pass-99',
            })
          ).status,
        ).toBe(400);
        expect((await v.post('database/roles/x', { db_name: 'maria' })).status).toBe(400);
      });
    });
  });
}
