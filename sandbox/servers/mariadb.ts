// An ephemeral MariaDB server: mariadb-install-db into a temp dir, mariadbd on a free loopback
// port and a socket, root's password set to a random one right after start, optional TLS.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomPassword } from './password';
import { isPortOpen } from './ports';
import { runCommand } from './process';
import { startInServerHome } from './server-home';
import { createLocalhostCertificate, type TlsFiles } from './tls';
import { isRoot } from './users';

export interface MariaDbOptions {
  /** require nothing, but offer TLS with a certificate for localhost and 127.0.0.1 from a fresh CA. */
  readonly tls?: boolean;
  readonly startTimeoutMs?: number;
}

export interface MariaDbServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The unix socket path. */
  readonly socket: string;
  readonly dataDir: string;
  readonly adminUser: 'root';
  readonly adminPassword: string;
  readonly tls?: TlsFiles;
  readonly logFile: string;
  /** mariadbd's pid (a new one after restart()). */
  readonly pid: number;
  /** SIGKILL to mariadbd (its whole process group), as a crash would; the data stays. */
  crash(): Promise<void>;
  /** Starts it again on the same port and data (InnoDB crash recovery after crash()); resolves when ready. */
  restart(): Promise<void>;
  /** Normal shutdown, then remove every file. Idempotent. */
  stop(): Promise<void>;
}

export async function startMariaDb(options: MariaDbOptions = {}): Promise<MariaDbServer> {
  if (!options || typeof options !== 'object') throw new TypeError('startMariaDb: options must be an object');
  const adminPassword = randomPassword();
  const userArgs = isRoot() ? ['--user=root'] : [];

  return startInServerHome(
    {
      name: 'mariadbd',
      label: 'mariadb',
      logName: 'mariadbd.log',
      secrets: [adminPassword],
      startTimeoutMs: options.startTimeoutMs,
    },
    async ({ dir, logFile, launch }) => {
      const dataDir = path.join(dir, 'data');
      const socket = path.join(dir, 'mariadbd.sock');
      // A private tmpdir: parallel servers sharing /tmp have collided on temp table files.
      const tmpDir = path.join(dir, 'tmp');
      fs.mkdirSync(tmpDir, { mode: 0o700 });
      const env = {
        PATH: process.env.PATH ?? '/usr/bin:/usr/sbin:/bin',
        HOME: dir,
        LANG: 'C',
        TZ: 'UTC',
        TMPDIR: tmpDir,
      };
      await runCommand(
        'mariadb-install-db',
        [
          '--no-defaults',
          `--datadir=${dataDir}`,
          `--tmpdir=${tmpDir}`,
          '--auth-root-authentication-method=normal',
          '--skip-test-db',
          ...userArgs,
        ],
        { what: 'mariadb-install-db', cwd: dir, env, logFile },
      );
      const tls = options.tls ? await createLocalhostCertificate(dir) : undefined;

      const running = await launch((port) => ({
        process: {
          name: 'mariadbd',
          command: 'mariadbd',
          args: [
            '--no-defaults',
            `--datadir=${dataDir}`,
            `--tmpdir=${tmpDir}`,
            `--socket=${socket}`,
            `--port=${port}`,
            '--bind-address=127.0.0.1',
            `--pid-file=${path.join(dir, 'mariadbd.pid')}`,
            ...userArgs,
            '--skip-name-resolve', // loopback only; no DNS lookups, 127.0.0.1 stays 127.0.0.1
            '--max-connections=300',
            '--character-set-server=utf8mb4',
            '--collation-server=utf8mb4_general_ci',
            // Throwaway data: durability only costs start-up and benchmark time.
            '--innodb-buffer-pool-size=64M',
            '--innodb-flush-log-at-trx-commit=0',
            '--innodb-doublewrite=0',
            '--innodb-buffer-pool-dump-at-shutdown=0',
            '--innodb-buffer-pool-load-at-startup=0',
            ...(tls ? [`--ssl-cert=${tls.certFile}`, `--ssl-key=${tls.keyFile}`, `--ssl-ca=${tls.caFile}`] : []),
          ],
          logFile,
          cwd: dir,
          env,
          stopGraceMs: 15_000,
        },
        ready: async () => fs.existsSync(socket) && (await isPortOpen(port)),
      }));
      await setRootPassword(socket, adminPassword, { dir, env, logFile });

      return {
        host: '127.0.0.1',
        port: running.port,
        socket,
        dataDir,
        adminUser: 'root',
        adminPassword,
        ...(tls ? { tls } : {}),
        logFile,
        get pid() {
          return running.pid();
        },
        crash: running.crash,
        restart: running.restart,
        stop: running.stop,
      };
    },
  );
}

/**
 * mariadb-install-db leaves the root accounts without a password; give every loopback one the
 * random password (SQL on stdin, never on a command line) and drop the host-name account.
 */
async function setRootPassword(
  socket: string,
  password: string,
  o: { dir: string; env: Record<string, string>; logFile: string },
): Promise<void> {
  const hostname = os.hostname();
  const loopback = ['localhost', '127.0.0.1', '::1'];
  const sql = [
    ...loopback.map((host) => `ALTER USER IF EXISTS 'root'@'${host}' IDENTIFIED BY '${password}';`),
    // Without an account for 127.0.0.1 a TCP login as root would not match under skip-name-resolve.
    `CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '${password}';`,
    `GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;`,
    ...(/^[A-Za-z0-9.-]+$/.test(hostname) && !loopback.includes(hostname)
      ? [`DROP USER IF EXISTS 'root'@'${hostname}';`]
      : []),
    'FLUSH PRIVILEGES;',
    '',
  ].join('\n');
  await runCommand('mariadb', ['--no-defaults', '--protocol=socket', `--socket=${socket}`, '--user=root', '--batch'], {
    what: 'mariadb (set root password)',
    cwd: o.dir,
    env: o.env,
    stdin: sql,
    logFile: o.logFile,
    secrets: [password],
  });
}
