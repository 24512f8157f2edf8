// An ephemeral PostgreSQL 15 server: initdb into a temp dir, postmaster on a free loopback port,
// an `admin` superuser with a random password, optional TLS from a fresh CA. As root it runs
// as the `postgres` OS user (PostgreSQL refuses root); otherwise as the current user.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { randomPassword } from './password';
import { isPortOpen } from './ports';
import { runCommand, type RunAs } from './process';
import { startInServerHome } from './server-home';
import { createLocalhostCertificate, type TlsFiles } from './tls';
import { chownAll, isRoot, lookupUser } from './users';

export type PostgresAuthMethod = 'scram-sha-256' | 'md5' | 'password';
const AUTH_METHODS: readonly PostgresAuthMethod[] = ['scram-sha-256', 'md5', 'password'];

export const DEFAULT_POSTGRES_BIN_DIR = '/usr/lib/postgresql/15/bin';

export interface PostgresOptions {
  /** ssl=on with a certificate for localhost and 127.0.0.1 from a fresh CA. */
  readonly tls?: boolean;
  /** How host (127.0.0.1) and local socket connections authenticate. Default scram-sha-256. */
  readonly authMethod?: PostgresAuthMethod;
  /** Where initdb/postgres live. Default /usr/lib/postgresql/15/bin. */
  readonly binDir?: string;
  readonly startTimeoutMs?: number;
}

export interface PostgresServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** Where the unix socket `.s.PGSQL.<port>` is. */
  readonly socketDir: string;
  readonly dataDir: string;
  readonly adminUser: 'admin';
  readonly adminPassword: string;
  readonly database: 'postgres';
  readonly authMethod: PostgresAuthMethod;
  readonly tls?: TlsFiles;
  readonly logFile: string;
  /** The postmaster's pid (a new one after restart()). */
  readonly pid: number;
  /** PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE (+ PGSSLMODE=verify-full, PGSSLROOTCERT with TLS). */
  env(): Record<string, string>;
  /** SIGKILL to the postmaster's group and every descendant, as a crash would; the data stays. */
  crash(): Promise<void>;
  /** Starts it again on the same port and data (crash recovery after crash()); resolves when ready. */
  restart(): Promise<void>;
  /** Fast shutdown, then remove every file. Idempotent. */
  stop(): Promise<void>;
}

const ADMIN = 'admin';

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  if (!options || typeof options !== 'object') throw new TypeError('startPostgres: options must be an object');
  const authMethod = options.authMethod ?? 'scram-sha-256';
  if (!AUTH_METHODS.includes(authMethod)) {
    throw new TypeError(
      `startPostgres: authMethod must be one of ${AUTH_METHODS.join(', ')}, got ${JSON.stringify(authMethod)}`,
    );
  }
  const binDir = options.binDir ?? DEFAULT_POSTGRES_BIN_DIR;
  if (!fs.existsSync(path.join(binDir, 'postgres'))) {
    throw new Error(
      `startPostgres: no PostgreSQL server binaries in ${binDir} (install the Debian package postgresql-15)`,
    );
  }
  const runAs = isRoot() ? lookupUser('postgres') : undefined;
  const adminPassword = randomPassword();

  return startInServerHome(
    {
      name: 'postgres',
      label: 'postgres',
      logName: 'postgres.log',
      secrets: [adminPassword],
      startTimeoutMs: options.startTimeoutMs,
    },
    async ({ dir, logFile, launch }) => {
      const dataDir = path.join(dir, 'data');
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, LANG: 'C', LC_ALL: 'C', TZ: 'UTC' };
      chownAll(runAs, dir, logFile);
      await initCluster({ binDir, dir, dataDir, logFile, env, runAs, authMethod, adminPassword });
      const tls = options.tls ? await createServerCertificate(dir, runAs) : undefined;
      writeConfig(dataDir, { socketDir: dir, authMethod, tls });

      const running = await launch((port) => ({
        process: {
          name: 'postgres',
          command: path.join(binDir, 'postgres'),
          args: ['-D', dataDir, '-p', String(port)],
          logFile,
          cwd: dir,
          env,
          runAs,
          stopSignal: 'SIGINT', // fast shutdown: disconnect clients, do not wait for them
          stopGraceMs: 10_000,
        },
        ready: async () => isReady(dataDir, port) && (await isPortOpen(port)),
      }));
      const { port } = running;
      return {
        host: '127.0.0.1',
        port,
        socketDir: dir,
        dataDir,
        adminUser: ADMIN,
        adminPassword,
        database: 'postgres',
        authMethod,
        ...(tls ? { tls } : {}),
        logFile,
        get pid() {
          return running.pid();
        },
        env: () => ({
          PGHOST: '127.0.0.1',
          PGPORT: String(port),
          PGUSER: ADMIN,
          PGPASSWORD: adminPassword,
          PGDATABASE: 'postgres',
          ...(tls ? { PGSSLMODE: 'verify-full', PGSSLROOTCERT: tls.caFile } : {}),
        }),
        crash: running.crash,
        restart: running.restart,
        stop: running.stop,
      };
    },
  );
}

interface InitOptions {
  readonly binDir: string;
  readonly dir: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly env: Record<string, string>;
  readonly runAs: RunAs | undefined;
  readonly authMethod: PostgresAuthMethod;
  readonly adminPassword: string;
}

async function initCluster(o: InitOptions): Promise<void> {
  const pwFile = path.join(o.dir, 'admin.pw');
  // For md5 the password is stored as an md5 hash (initdb passes a pre-hashed value through
  // unchanged), so the server really speaks md5 rather than upgrading to SCRAM.
  const stored =
    o.authMethod === 'md5'
      ? `md5${createHash('md5')
          .update(o.adminPassword + ADMIN)
          .digest('hex')}`
      : o.adminPassword;
  fs.writeFileSync(pwFile, stored, { mode: 0o600 });
  chownAll(o.runAs, pwFile);
  try {
    await runCommand(
      path.join(o.binDir, 'initdb'),
      [
        '-D',
        o.dataDir,
        '-U',
        ADMIN,
        `--pwfile=${pwFile}`,
        `--auth=${o.authMethod}`,
        '-E',
        'UTF8',
        '--locale=C',
        '--no-sync',
        '--no-instructions',
      ],
      {
        what: 'initdb',
        cwd: o.dir,
        env: o.env,
        runAs: o.runAs,
        logFile: o.logFile,
        secrets: [o.adminPassword, stored],
      },
    );
  } finally {
    fs.rmSync(pwFile, { force: true });
  }
}

async function createServerCertificate(dir: string, runAs: RunAs | undefined): Promise<TlsFiles> {
  const tls = await createLocalhostCertificate(dir);
  // PostgreSQL insists its key is owned by its own user with mode 0600.
  chownAll(runAs, path.dirname(tls.keyFile), tls.certFile, tls.keyFile, tls.caFile);
  return tls;
}

function writeConfig(
  dataDir: string,
  o: { socketDir: string; authMethod: PostgresAuthMethod; tls: TlsFiles | undefined },
): void {
  const quote = (value: string): string => `'${value.replace(/'/g, "''")}'`;
  const settings: Record<string, string> = {
    listen_addresses: quote('127.0.0.1'),
    unix_socket_directories: quote(o.socketDir),
    max_connections: '300', // pgbench and load tests open many sessions
    shared_buffers: quote('64MB'),
    password_encryption: quote(o.authMethod === 'md5' ? 'md5' : 'scram-sha-256'),
    // Throwaway data: durability only costs start-up and benchmark time.
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    ...(o.tls
      ? {
          ssl: 'on',
          ssl_cert_file: quote(o.tls.certFile),
          ssl_key_file: quote(o.tls.keyFile),
          ssl_ca_file: quote(o.tls.caFile),
        }
      : {}),
  };
  const lines = Object.entries(settings).map(([key, value]) => `${key} = ${value}`);
  fs.appendFileSync(path.join(dataDir, 'postgresql.conf'), `\n# sesame sandbox\n${lines.join('\n')}\n`);
  fs.writeFileSync(
    path.join(dataDir, 'pg_hba.conf'),
    [
      '# sesame sandbox: every connection authenticates with the chosen method',
      `local all all ${o.authMethod}`,
      `host all all 127.0.0.1/32 ${o.authMethod}`,
      '',
    ].join('\n'),
  );
}

/** postmaster.pid's 8th line says "ready" once connections are accepted (what pg_ctl -w checks). */
function isReady(dataDir: string, port: number): boolean {
  try {
    const lines = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
    return lines[3]?.trim() === String(port) && lines[7]?.trim() === 'ready';
  } catch {
    return false;
  }
}
