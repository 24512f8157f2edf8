// The database secrets engine for PostgreSQL and MySQL/MariaDB: config/:name, roles/:name,
// creds/:role (a real user, dropped when its lease ends), static roles, rotate-root.
import type { Backend, BackendFactory, BackendRequest, BackendResponse } from '../../backend';
import { badRequest, notFound, unsupportedOperation, unsupportedPath, VaultError } from '../../errors';
import { bool, duration, has, str, strList } from '../../fields';
import { SYSTEM_MAX_TTL } from '../../tokens';
import { connect, DEFAULTS, PLUGIN_NAMES, type DbConnection, type PluginKind } from './plugins';
import { createStaticRoles } from './static';
import { expirationText, generatePassword, generateUsername, redact, renderStatements } from './statements';

interface DbConfig {
  name: string;
  pluginName: string;
  kind: PluginKind;
  connectionUrl: string;
  username: string;
  password: string;
  allowedRoles: string[];
  verifyConnection: boolean;
  tlsCa: string;
  rootRotationStatements: string[];
  conn?: DbConnection;
}

interface DbRole {
  dbName: string;
  creation: string[];
  revocation: string[];
  rollback: string[];
  renew: string[];
  defaultTtl: number;
  maxTtl: number;
}

const isWrite = (req: BackendRequest): boolean => req.operation === 'create' || req.operation === 'update';
const message = (e: unknown): string => (e instanceof Error ? e.message : 'unknown error');

/** Statements as Vault takes them: one string or a list of strings (never split on commas). */
function statementList(body: Record<string, unknown>, field: string): string[] {
  const v = body[field];
  const list = Array.isArray(v) ? v : [v];
  if (!list.every((x) => typeof x === 'string'))
    throw badRequest(`error converting input for field "${field}": expected a string or a list of strings`);
  return (list as string[]).filter((x) => x.trim() !== '');
}

function allowed(patterns: string[], role: string): boolean {
  return patterns.some(
    (p) =>
      p === '*' ||
      p === role ||
      (p.includes('*') &&
        new RegExp(
          `^${p
            .split('*')
            .map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
            .join('.*')}$`,
        ).test(role)),
  );
}

export const createDatabaseBackend: BackendFactory = (ctx) => {
  const configs = new Map<string, DbConfig>();
  const roles = new Map<string, DbRole>();

  function configOr400(name: string): DbConfig {
    const c = configs.get(name);
    if (!c) throw badRequest(`failed to find entry for connection with name: "${name}"`);
    return c;
  }

  async function connection(c: DbConfig): Promise<DbConnection> {
    c.conn ??= await connect({
      kind: c.kind,
      connectionUrl: c.connectionUrl,
      username: c.username,
      password: c.password,
      ...(c.tlsCa ? { tlsCa: c.tlsCa } : {}),
    });
    return c.conn;
  }

  async function exec(dbName: string, statements: string[], secrets: string[]): Promise<void> {
    const c = configOr400(dbName);
    await (await connection(c)).exec(statements, [c.password, ...secrets]);
  }

  const statics = createStaticRoles({
    exec,
    pluginKind: (db) => configOr400(db).kind,
    checkAllowed(db, role) {
      if (!allowed(configOr400(db).allowedRoles, role)) throw badRequest(`"${role}" is not an allowed role`);
    },
  });

  async function writeConfig(req: BackendRequest, name: string): Promise<BackendResponse | undefined> {
    const old = configs.get(name);
    const b = req.body;
    const pluginName = has(b, 'plugin_name') ? str(b, 'plugin_name') : (old?.pluginName ?? '');
    if (pluginName === '') throw badRequest('empty plugin name');
    const kind = PLUGIN_NAMES[pluginName];
    if (!kind) throw badRequest(`error creating database object: plugin "${pluginName}" not found in the catalog`);
    const connectionUrl = has(b, 'connection_url') ? str(b, 'connection_url') : (old?.connectionUrl ?? '');
    if (connectionUrl === '') throw badRequest('connection_url cannot be empty');
    const c: DbConfig = {
      name,
      pluginName,
      kind,
      connectionUrl,
      username: has(b, 'username') ? str(b, 'username') : (old?.username ?? ''),
      password: has(b, 'password') ? str(b, 'password') : (old?.password ?? ''),
      allowedRoles: has(b, 'allowed_roles') ? strList(b, 'allowed_roles') : (old?.allowedRoles ?? []),
      verifyConnection: bool(b, 'verify_connection', true),
      tlsCa: has(b, 'tls_ca') ? str(b, 'tls_ca') : (old?.tlsCa ?? ''),
      rootRotationStatements: has(b, 'root_rotation_statements')
        ? strList(b, 'root_rotation_statements')
        : (old?.rootRotationStatements ?? []),
    };
    if (c.verifyConnection) {
      try {
        c.conn = await connect({
          kind,
          connectionUrl,
          username: c.username,
          password: c.password,
          ...(c.tlsCa ? { tlsCa: c.tlsCa } : {}),
        });
        await c.conn.exec(['SELECT 1'], [c.password]);
      } catch (e) {
        await c.conn?.close().catch(() => undefined);
        if (e instanceof VaultError) throw e;
        throw badRequest(`error creating database object: error verifying connection: ${redact(e, [c.password])}`);
      }
    }
    await old?.conn?.close().catch(() => undefined);
    configs.set(name, c);
    const literalPassword = /:\/\/[^/@]*:[^/@]+@/.test(connectionUrl) && !connectionUrl.includes('{{password}}');
    return literalPassword
      ? {
          warnings: [
            'Password found in connection_url, use a templated url to enable root rotation and prevent read access to password information.',
          ],
        }
      : undefined;
  }

  async function config(req: BackendRequest, name: string): Promise<BackendResponse | undefined> {
    if (name === '') {
      if (req.operation !== 'list') throw unsupportedOperation();
      if (configs.size === 0) throw notFound();
      return { data: { keys: [...configs.keys()].sort() } };
    }
    if (isWrite(req)) return writeConfig(req, name);
    const c = configs.get(name);
    if (req.operation === 'delete') {
      configs.delete(name);
      await c?.conn?.close().catch(() => undefined);
      return undefined;
    }
    if (req.operation !== 'read') throw unsupportedOperation();
    if (!c) throw notFound();
    return {
      data: {
        allowed_roles: c.allowedRoles,
        connection_details: { connection_url: c.connectionUrl, username: c.username },
        password_policy: '',
        plugin_name: c.pluginName,
        plugin_version: '',
        root_credentials_rotate_statements: c.rootRotationStatements,
        verify_connection: c.verifyConnection,
      },
    };
  }

  function role(req: BackendRequest, name: string): BackendResponse | undefined {
    if (name === '') {
      if (req.operation !== 'list') throw unsupportedOperation();
      if (roles.size === 0) throw notFound();
      return { data: { keys: [...roles.keys()].sort() } };
    }
    const existing = roles.get(name);
    if (req.operation === 'read') {
      if (!existing) throw notFound();
      return {
        data: {
          db_name: existing.dbName,
          creation_statements: existing.creation,
          revocation_statements: existing.revocation,
          rollback_statements: existing.rollback,
          renew_statements: existing.renew,
          default_ttl: existing.defaultTtl,
          max_ttl: existing.maxTtl,
          credential_type: 'password',
        },
      };
    }
    if (req.operation === 'delete') {
      roles.delete(name);
      return undefined;
    }
    if (!isWrite(req)) throw unsupportedOperation();
    const b = req.body;
    const r: DbRole = existing
      ? { ...existing }
      : { dbName: '', creation: [], revocation: [], rollback: [], renew: [], defaultTtl: 0, maxTtl: 0 };
    if (has(b, 'db_name')) r.dbName = str(b, 'db_name');
    if (has(b, 'creation_statements')) r.creation = statementList(b, 'creation_statements');
    if (has(b, 'revocation_statements')) r.revocation = statementList(b, 'revocation_statements');
    if (has(b, 'rollback_statements')) r.rollback = statementList(b, 'rollback_statements');
    if (has(b, 'renew_statements')) r.renew = statementList(b, 'renew_statements');
    if (has(b, 'default_ttl')) r.defaultTtl = duration(b, 'default_ttl');
    if (has(b, 'max_ttl')) r.maxTtl = duration(b, 'max_ttl');
    if (r.dbName === '') throw badRequest('empty database name attribute');
    if (r.creation.length === 0) throw badRequest('empty creation statements');
    if (r.maxTtl > 0 && r.defaultTtl > r.maxTtl) throw badRequest('ttl cannot be greater than max_ttl');
    roles.set(name, r);
    return undefined;
  }

  async function creds(req: BackendRequest, name: string): Promise<BackendResponse> {
    if (req.operation !== 'read') throw unsupportedOperation();
    const r = roles.get(name);
    if (!r) throw badRequest(`unknown role: ${name}`);
    const c = configOr400(r.dbName);
    if (!allowed(c.allowedRoles, name)) throw badRequest(`"${name}" is not an allowed role`);
    const mount = ctx.config();
    const maxTtl = r.maxTtl || mount.maxLeaseTtl || SYSTEM_MAX_TTL;
    const ttl = Math.min(r.defaultTtl || mount.defaultLeaseTtl || SYSTEM_MAX_TTL, maxTtl);
    const username = generateUsername(req.token?.displayName ?? 'token', name, DEFAULTS[c.kind].username);
    const password = generatePassword();
    const statements = renderStatements(r.creation, {
      name: username,
      password,
      expiration: expirationText(Date.now() + ttl * 1000),
    });
    try {
      await exec(c.name, statements, [password]);
    } catch (e) {
      if (r.rollback.length > 0)
        await exec(c.name, renderStatements(r.rollback, { name: username }), [password]).catch(() => undefined);
      if (e instanceof VaultError) throw e;
      throw new VaultError(500, [`failed to create user: ${message(e)}`]);
    }
    return {
      data: { username, password },
      secret: { ttl: r.defaultTtl, maxTtl: r.maxTtl, renewable: true, internal: { db: c.name, role: name, username } },
    };
  }

  async function rotateRoot(req: BackendRequest, name: string): Promise<undefined> {
    if (!isWrite(req)) throw unsupportedOperation();
    const c = configOr400(name);
    if (c.username === '') throw badRequest('unable to rotate root credentials: no username in configuration');
    const password = generatePassword();
    const templates = c.rootRotationStatements.length > 0 ? c.rootRotationStatements : DEFAULTS[c.kind].rotation;
    await exec(name, renderStatements(templates, { name: c.username, password }), [password]).catch((e: unknown) => {
      throw new VaultError(500, [`failed to update user: ${message(e)}`]);
    });
    await c.conn?.close().catch(() => undefined);
    c.conn = undefined;
    c.password = password;
    return undefined;
  }

  const backend: Backend = {
    async handle(req) {
      const path = req.path.replace(/\/+$/, '');
      const slash = path.indexOf('/');
      const head = slash < 0 ? path : path.slice(0, slash);
      const name = slash < 0 ? '' : path.slice(slash + 1);
      switch (head) {
        case 'config':
          return config(req, name);
        case 'roles':
          return role(req, name);
        case 'creds':
          return creds(req, name);
        case 'static-roles':
          return statics.staticRole(req, name);
        case 'static-creds':
          return statics.staticCreds(req, name);
        case 'rotate-role':
          return statics.rotateRole(req, name);
        case 'rotate-root':
          return rotateRoot(req, name);
        case 'reset': {
          if (!isWrite(req)) throw unsupportedOperation();
          const c = configOr400(name);
          await c.conn?.close().catch(() => undefined);
          c.conn = undefined;
          return undefined;
        }
        default:
          throw unsupportedPath();
      }
    },
    async revokeLease({ internal }) {
      const db = String(internal.db);
      const username = String(internal.username);
      const r = roles.get(String(internal.role));
      const kind = configOr400(db).kind;
      const templates = r && r.revocation.length > 0 ? r.revocation : DEFAULTS[kind].revocation;
      await exec(db, renderStatements(templates, { name: username }), []);
    },
    async renewLease({ increment, internal }) {
      const db = String(internal.db);
      const r = roles.get(String(internal.role));
      const kind = configOr400(db).kind;
      const templates = r && r.renew.length > 0 ? r.renew : DEFAULTS[kind].renew;
      if (templates.length === 0) return;
      await exec(
        db,
        renderStatements(templates, {
          name: String(internal.username),
          expiration: expirationText(Date.now() + increment * 1000),
        }),
        [],
      );
    },
    async close() {
      statics.close();
      for (const c of configs.values()) await c.conn?.close().catch(() => undefined);
    },
  };
  return backend;
};
