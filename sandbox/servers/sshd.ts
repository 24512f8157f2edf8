// An ephemeral OpenSSH server on a free loopback port with a fresh ed25519 host key. It lets the
// current OS user (root as root) in with a certificate from a trusted user CA and/or a listed
// public key; never with a password.
import fs from 'node:fs';
import path from 'node:path';
import { logGains, startInServerHome } from './server-home';
import { assertPublicKeyLine, createSshKeyPair } from './ssh-keys';
import { currentUserName, isRoot } from './users';

export {
  createSshKeyPair,
  createSshUserCa,
  signUserKey,
  type SshKeyPair,
  type SshUserCa,
  type SignedUserKey,
  type SignOptions,
} from './ssh-keys';

export const SSHD_BINARY = '/usr/sbin/sshd';

export interface SshdOptions {
  /** CA public key lines (`ssh-ed25519 AAAA…`) whose user certificates are accepted. */
  readonly trustedUserCaKeys?: readonly string[];
  /** authorized_keys lines accepted for the user; when absent, plain keys are not accepted. */
  readonly authorizedKeys?: readonly string[];
  readonly startTimeoutMs?: number;
}

export interface SshdServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The OS user sshd lets log in: the current user (root as root). */
  readonly user: string;
  readonly hostKeyFile: string;
  /** `ssh-ed25519 AAAA…` */
  readonly hostPublicKey: string;
  /** `[127.0.0.1]:PORT ssh-ed25519 AAAA…`, for a known_hosts file. */
  readonly knownHostsLine: string;
  readonly logFile: string;
  readonly configFile: string;
  /** The listening sshd's pid (a new one after restart()). */
  readonly pid: number;
  /** SIGKILL to sshd and every session it started (they leave its group), as a host crash would. */
  crash(): Promise<void>;
  /** Starts sshd again on the same port with the same host key and config; resolves when it listens. */
  restart(): Promise<void>;
  /** Stop sshd and every session it started, then remove every file. Idempotent. */
  stop(): Promise<void>;
}

export async function startSshd(options: SshdOptions = {}): Promise<SshdServer> {
  if (!options || typeof options !== 'object') throw new TypeError('startSshd: options must be an object');
  const caKeys = validateKeyLines(options.trustedUserCaKeys, 'trustedUserCaKeys');
  const authorizedKeys = validateKeyLines(options.authorizedKeys, 'authorizedKeys');
  if (!fs.existsSync(SSHD_BINARY))
    throw new Error(`startSshd: ${SSHD_BINARY} not found (install the Debian package openssh-server)`);
  // sshd's privilege separation needs this empty root-owned dir when it runs as root.
  if (isRoot()) fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  return startInServerHome(
    { name: 'sshd', label: 'sshd', logName: 'sshd.log', startTimeoutMs: options.startTimeoutMs },
    async ({ dir, logFile, launch }) => {
      const configFile = path.join(dir, 'sshd_config');
      const hostKey = await createSshKeyPair(dir, { name: 'host_ed25519', comment: 'sesame-sandbox-host' });
      const hostPublicKey = hostKey.publicKey.split(' ').slice(0, 2).join(' ');
      const caFile = caKeys ? path.join(dir, 'trusted_user_ca_keys') : undefined;
      if (caFile && caKeys) fs.writeFileSync(caFile, `${caKeys.join('\n')}\n`, { mode: 0o644 });
      const authorizedKeysFile = authorizedKeys ? path.join(dir, 'authorized_keys') : undefined;
      if (authorizedKeysFile && authorizedKeys)
        fs.writeFileSync(authorizedKeysFile, `${authorizedKeys.join('\n')}\n`, { mode: 0o600 });

      const running = await launch((port) => {
        fs.writeFileSync(
          configFile,
          sshdConfig({ port, dir, hostKeyFile: hostKey.privateKeyFile, caFile, authorizedKeysFile }),
        );
        return {
          process: {
            name: 'sshd',
            command: SSHD_BINARY,
            args: ['-D', '-f', configFile, '-E', logFile],
            logFile,
            cwd: dir,
            env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' },
            stopGraceMs: 5_000,
          },
          // Only what this start writes: after a restart the log already has the first start's line.
          ready: logGains(logFile, `Server listening on 127.0.0.1 port ${port}.`),
        };
      });
      const { port } = running;
      return {
        host: '127.0.0.1',
        port,
        user: currentUserName(),
        hostKeyFile: hostKey.privateKeyFile,
        hostPublicKey,
        knownHostsLine: `[127.0.0.1]:${port} ${hostPublicKey}`,
        logFile,
        configFile,
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

interface ConfigInput {
  readonly port: number;
  readonly dir: string;
  readonly hostKeyFile: string;
  readonly caFile: string | undefined;
  readonly authorizedKeysFile: string | undefined;
}

function sshdConfig(c: ConfigInput): string {
  return [
    '# sesame sandbox sshd',
    `Port ${c.port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${c.hostKeyFile}`,
    `PidFile ${path.join(c.dir, 'sshd.pid')}`,
    ...(c.caFile ? [`TrustedUserCAKeys ${c.caFile}`] : []),
    `AuthorizedKeysFile ${c.authorizedKeysFile ?? 'none'}`,
    // A certificate's principals must name the OS user; no principals file narrows that.
    'AuthorizedPrincipalsFile none',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'PermitRootLogin yes',
    'StrictModes no',
    'AllowTcpForwarding yes',
    'Subsystem sftp internal-sftp',
    'PrintMotd no',
    // Benchmarks open many connections at once.
    'MaxStartups 100:30:200',
    'MaxSessions 50',
    'LogLevel VERBOSE',
    '',
  ].join('\n');
}

function validateKeyLines(lines: readonly string[] | undefined, what: string): string[] | undefined {
  if (lines === undefined) return undefined;
  if (!Array.isArray(lines)) throw new TypeError(`startSshd: ${what} must be an array of public key lines`);
  return lines.map((line, index) => assertPublicKeyLine(line, `startSshd: ${what}[${index}]`));
}
