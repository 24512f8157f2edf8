// Static roles of the database engine: an existing database user whose password Vault owns,
// rotated at creation, every rotation_period, and on rotate-role/:name.
import type { BackendRequest, BackendResponse } from '../../backend';
import { badRequest, notFound, unsupportedOperation, VaultError } from '../../errors';
import { duration, has, str, strList } from '../../fields';
import { rfc3339 } from '../../ids';
import { DEFAULTS, type PluginKind } from './plugins';
import { generatePassword, renderStatements } from './statements';

export interface StaticRole {
  name: string;
  dbName: string;
  username: string;
  rotationPeriod: number;
  rotationStatements: string[];
  password: string;
  lastRotation: number;
  timer?: NodeJS.Timeout;
}

export interface StaticRoleHost {
  /** Runs statements against a named config (throws a VaultError when it is unknown). */
  exec(dbName: string, statements: string[], secrets: string[]): Promise<void>;
  pluginKind(dbName: string): PluginKind;
  /** Throws 400 when the role may not use the config (allowed_roles). */
  checkAllowed(dbName: string, roleName: string): void;
}

const isWrite = (req: BackendRequest): boolean => req.operation === 'create' || req.operation === 'update';

export function createStaticRoles(host: StaticRoleHost) {
  const roles = new Map<string, StaticRole>();

  function schedule(role: StaticRole): void {
    if (role.timer) clearTimeout(role.timer);
    const delay = Math.max(0, role.lastRotation + role.rotationPeriod * 1000 - Date.now());
    role.timer = setTimeout(
      () => {
        // A failed scheduled rotation is retried at the next period, as Vault's queue does.
        void rotate(role).catch(() => schedule(role));
      },
      Math.min(delay, 2 ** 31 - 1),
    );
    role.timer.unref();
  }

  async function rotate(role: StaticRole): Promise<void> {
    const password = generatePassword();
    const templates =
      role.rotationStatements.length > 0 ? role.rotationStatements : DEFAULTS[host.pluginKind(role.dbName)].rotation;
    try {
      await host.exec(role.dbName, renderStatements(templates, { name: role.username, password }), [password]);
    } catch (e) {
      if (e instanceof VaultError) throw e;
      throw new VaultError(500, [`error setting credentials: ${e instanceof Error ? e.message : 'unknown error'}`]);
    }
    role.password = password;
    role.lastRotation = Date.now();
    schedule(role);
  }

  const ttlLeft = (role: StaticRole): number =>
    Math.max(0, Math.round((role.lastRotation + role.rotationPeriod * 1000 - Date.now()) / 1000));

  return {
    async staticRole(req: BackendRequest, name: string): Promise<BackendResponse | undefined> {
      if (name === '') {
        if (req.operation !== 'list') throw unsupportedOperation();
        if (roles.size === 0) throw notFound();
        return { data: { keys: [...roles.keys()].sort() } };
      }
      const existing = roles.get(name);
      switch (req.operation) {
        case 'read':
          if (!existing) throw notFound();
          return {
            data: {
              db_name: existing.dbName,
              username: existing.username,
              rotation_period: existing.rotationPeriod,
              rotation_statements: existing.rotationStatements,
              last_vault_rotation: rfc3339(existing.lastRotation),
              credential_type: 'password',
            },
          };
        case 'delete':
          if (existing?.timer) clearTimeout(existing.timer);
          roles.delete(name);
          return undefined;
        case 'create':
        case 'update': {
          const dbName = has(req.body, 'db_name') ? str(req.body, 'db_name') : (existing?.dbName ?? '');
          if (dbName === '') throw badRequest('database name is required');
          const username = has(req.body, 'username') ? str(req.body, 'username') : (existing?.username ?? '');
          if (username === '') throw badRequest('username is a required field to create a static account');
          if (existing && existing.username !== username) throw badRequest('cannot update static account username');
          const rotationPeriod = has(req.body, 'rotation_period')
            ? duration(req.body, 'rotation_period')
            : (existing?.rotationPeriod ?? 0);
          if (rotationPeriod === 0) throw badRequest('rotation_period is required to create static accounts');
          if (rotationPeriod < 5) throw badRequest(`rotation_period must be 5 seconds or more`);
          host.checkAllowed(dbName, name);
          const role: StaticRole = existing ?? {
            name,
            dbName,
            username,
            rotationPeriod,
            rotationStatements: [],
            password: '',
            lastRotation: 0,
          };
          role.dbName = dbName;
          role.rotationPeriod = rotationPeriod;
          if (has(req.body, 'rotation_statements')) role.rotationStatements = strList(req.body, 'rotation_statements');
          if (!existing) await rotate(role);
          else schedule(role);
          roles.set(name, role);
          return undefined;
        }
        default:
          throw unsupportedOperation();
      }
    },

    staticCreds(req: BackendRequest, name: string): BackendResponse {
      if (req.operation !== 'read') throw unsupportedOperation();
      const role = roles.get(name);
      if (!role) throw badRequest(`unknown role: ${name}`);
      return {
        data: {
          username: role.username,
          password: role.password,
          last_vault_rotation: rfc3339(role.lastRotation),
          rotation_period: role.rotationPeriod,
          ttl: ttlLeft(role),
        },
      };
    },

    async rotateRole(req: BackendRequest, name: string): Promise<BackendResponse | undefined> {
      if (!isWrite(req)) throw unsupportedOperation();
      const role = roles.get(name);
      if (!role) throw badRequest(`no static role found for role name "${name}"`);
      await rotate(role);
      return undefined;
    },

    close(): void {
      for (const r of roles.values()) if (r.timer) clearTimeout(r.timer);
    },
  };
}
