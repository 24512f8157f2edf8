// Database plugins: a connection to the real server (node-postgres or mysql2) built from
// Vault's connection_url template, plus each plugin's default statements and username template.
import mysql from 'mysql2/promise';
import pg from 'pg';
import { badRequest } from '../../errors';
import { redact } from './statements';

export type PluginKind = 'postgresql' | 'mysql';

export const PLUGIN_NAMES: Record<string, PluginKind> = {
  'postgresql-database-plugin': 'postgresql',
  'mysql-database-plugin': 'mysql',
  'mysql-aurora-database-plugin': 'mysql',
  'mysql-rds-database-plugin': 'mysql',
  'mysql-legacy-database-plugin': 'mysql',
};

export interface PluginDefaults {
  revocation: string[];
  renew: string[];
  rotation: string[];
  /** Max username length and how many chars of display name / role name to keep. */
  username: { max: number; display: number; role: number };
}

export const DEFAULTS: Record<PluginKind, PluginDefaults> = {
  postgresql: {
    revocation: [
      'REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA public FROM "{{name}}";',
      'REVOKE ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA public FROM "{{name}}";',
      'REVOKE USAGE ON SCHEMA public FROM "{{name}}";',
      'DROP ROLE IF EXISTS "{{name}}";',
    ],
    renew: [`ALTER ROLE "{{name}}" VALID UNTIL '{{expiration}}';`],
    rotation: [`ALTER ROLE "{{name}}" WITH PASSWORD '{{password}}';`],
    username: { max: 63, display: 8, role: 8 },
  },
  mysql: {
    revocation: ["REVOKE ALL PRIVILEGES, GRANT OPTION FROM '{{name}}'@'%';", "DROP USER '{{name}}'@'%';"],
    renew: [],
    rotation: ["ALTER USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';"],
    username: { max: 32, display: 10, role: 10 },
  },
};

export interface DbConnection {
  /** Runs the statements in one transaction; `secrets` are kept out of any error text. */
  exec(statements: string[], secrets?: string[]): Promise<void>;
  close(): Promise<void>;
}

/** Fills {{username}}/{{password}} of the connection_url (URL-escaped inside URLs). */
function renderUrl(url: string, username: string, password: string, escape: boolean): string {
  const enc = (s: string): string => (escape ? encodeURIComponent(s) : s);
  return url.replaceAll('{{username}}', enc(username)).replaceAll('{{password}}', enc(password));
}

/** Go's mysql DSN `user:pass@tcp(host:port)/db?params` (or a mysql:// URL) as mysql2 options. */
export function parseMysqlDsn(dsn: string): mysql.PoolOptions {
  if (/^mysql:\/\//.test(dsn)) {
    const u = new URL(dsn);
    return {
      host: u.hostname,
      port: Number(u.port || 3306),
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
      database: u.pathname.slice(1) || undefined,
    };
  }
  const m = /^(?:([^:@]*)(?::(.*))?@)?(?:(\w+)\(([^)]*)\))?\/([^?]*)(?:\?(.*))?$/s.exec(dsn);
  if (!m) throw badRequest('error creating database object: invalid DSN: did you forget to escape a param value?');
  const [, user, password, net = 'tcp', addr = '127.0.0.1:3306', db, params] = m;
  const opts: mysql.PoolOptions = { user: user ?? '', password: password ?? '', ...(db ? { database: db } : {}) };
  if (net === 'unix') opts.socketPath = addr;
  else {
    const colon = addr.lastIndexOf(':');
    opts.host = colon > 0 ? addr.slice(0, colon) : addr;
    opts.port = colon > 0 ? Number(addr.slice(colon + 1)) : 3306;
  }
  const query = new URLSearchParams(params ?? '');
  const tls = query.get('tls');
  if (tls === 'true' || tls === 'skip-verify') opts.ssl = { rejectUnauthorized: tls === 'true' };
  return opts;
}

export interface ConnectOptions {
  kind: PluginKind;
  connectionUrl: string;
  username: string;
  password: string;
  /** PEM CA for TLS to the database (mysql tls_ca; postgres sslrootcert in the URL also works). */
  tlsCa?: string;
}

export async function connect(o: ConnectOptions): Promise<DbConnection> {
  const secrets = [o.password];
  if (o.kind === 'postgresql') {
    const url = renderUrl(o.connectionUrl, o.username, o.password, true);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw badRequest('error creating database object: connection_url is not a postgres:// URL');
    }
    const sslmode = parsed.searchParams.get('sslmode');
    parsed.searchParams.delete('sslmode');
    const ssl =
      sslmode === 'disable' || sslmode === null
        ? false
        : {
            rejectUnauthorized: sslmode === 'verify-full' || sslmode === 'verify-ca',
            ...(o.tlsCa ? { ca: o.tlsCa } : {}),
          };
    const pool = new pg.Pool({
      connectionString: parsed.toString(),
      ssl,
      max: 4,
      idleTimeoutMillis: 5_000,
      connectionTimeoutMillis: 10_000,
    });
    pool.on('error', () => undefined); // idle clients dropped by the server
    return {
      async exec(statements, extra = []) {
        const client = await pool.connect().catch((e: unknown) => {
          throw new Error(redact(e, secrets));
        });
        try {
          await client.query('BEGIN');
          for (const s of statements) await client.query(s);
          await client.query('COMMIT');
        } catch (e) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw new Error(redact(e, [...secrets, ...extra, ...statements]));
        } finally {
          client.release();
        }
      },
      close: () => pool.end(),
    };
  }
  const opts = parseMysqlDsn(renderUrl(o.connectionUrl, o.username, o.password, false));
  if (o.tlsCa) opts.ssl = { ca: o.tlsCa, rejectUnauthorized: true };
  const pool = mysql.createPool({ ...opts, connectionLimit: 4, multipleStatements: false, connectTimeout: 10_000 });
  return {
    async exec(statements, extra = []) {
      const conn = await pool.getConnection().catch((e: unknown) => {
        throw new Error(redact(e, secrets));
      });
      try {
        // MySQL commits DDL implicitly; the transaction still groups the DML.
        await conn.query('START TRANSACTION');
        for (const s of statements) await conn.query(s);
        await conn.query('COMMIT');
      } catch (e) {
        await conn.query('ROLLBACK').catch(() => undefined);
        throw new Error(redact(e, [...secrets, ...extra, ...statements]));
      } finally {
        conn.release();
      }
    },
    close: () => pool.end(),
  };
}
