// A private, headless OS keychain: a D-Bus session bus of our own with gnome-keyring-daemon
// (secrets component, unlocked with a random password) on it. Any process given `env` can use
// keytar / libsecret against it; the user's real keyring is never touched (HOME and the XDG
// dirs point into the temp dir).
import fs from 'node:fs';
import path from 'node:path';
import { onCleanup } from './cleanup';
import { randomPassword } from './password';
import {
  createTempDir,
  keepOnlyLogs,
  removeTempDir,
  runCommand,
  ServerStartError,
  startError,
  startProcess,
  type ManagedProcess,
} from './process';

export interface KeychainOptions {
  readonly startTimeoutMs?: number;
}

export interface Keychain {
  /** Give this to a process (merged into its environment) to use the keychain. */
  readonly env: { readonly DBUS_SESSION_BUS_ADDRESS: string };
  readonly logFile: string;
  /** Stop gnome-keyring-daemon and the bus, then remove every file. Idempotent. */
  stop(): Promise<void>;
}

const SECRETS_SERVICE = 'org.freedesktop.secrets';

export async function startKeychain(options: KeychainOptions = {}): Promise<Keychain> {
  if (!options || typeof options !== 'object') throw new TypeError('startKeychain: options must be an object');
  for (const binary of ['dbus-daemon', 'gnome-keyring-daemon', 'dbus-send']) {
    if (!onPath(binary))
      throw new Error(
        `startKeychain: ${binary} not found on PATH (install the Debian packages dbus and gnome-keyring)`,
      );
  }
  const password = randomPassword();
  const dir = createTempDir('keychain');
  const unregisterDir = onCleanup(() => removeTempDir(dir));
  const busLog = path.join(dir, 'dbus-daemon.log');
  const keyringLog = path.join(dir, 'gnome-keyring.log');
  const busSocket = path.join(dir, 'bus');
  const address = `unix:path=${busSocket}`;
  const xdg = {
    data: path.join(dir, 'data'),
    config: path.join(dir, 'config'),
    cache: path.join(dir, 'cache'),
    runtime: path.join(dir, 'run'),
  };
  for (const sub of Object.values(xdg)) fs.mkdirSync(sub, { mode: 0o700 });
  // The same private environment for the bus (and anything it activates) and the keyring.
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'C',
    HOME: dir,
    XDG_DATA_HOME: xdg.data,
    XDG_CONFIG_HOME: xdg.config,
    XDG_CACHE_HOME: xdg.cache,
    XDG_RUNTIME_DIR: xdg.runtime,
    DBUS_SESSION_BUS_ADDRESS: address,
  };
  const started: ManagedProcess[] = [];

  try {
    const bus = await startProcess({
      name: 'dbus-daemon',
      command: 'dbus-daemon',
      args: ['--session', '--nofork', '--nopidfile', `--address=${address}`],
      logFile: busLog,
      cwd: dir,
      env,
    });
    started.push(bus);
    await bus.waitUntilReady(() => fs.existsSync(busSocket), { timeoutMs: options.startTimeoutMs });

    const keyring = await startProcess({
      name: 'gnome-keyring-daemon',
      command: 'gnome-keyring-daemon',
      args: ['--foreground', '--unlock', '--components=secrets'],
      logFile: keyringLog,
      cwd: dir,
      env,
      stdin: password, // --unlock reads the login keyring's password from stdin
    });
    started.push(keyring);
    await keyring.waitUntilReady(() => secretsServiceOwned(env), {
      timeoutMs: options.startTimeoutMs,
      intervalMs: 100,
    });

    let stopping: Promise<void> | undefined;
    return {
      env: { DBUS_SESSION_BUS_ADDRESS: address },
      logFile: keyringLog,
      stop: () => {
        stopping ??= (async () => {
          await keyring.stop();
          await bus.stop();
          removeTempDir(dir);
          unregisterDir();
        })();
        return stopping;
      },
    };
  } catch (error) {
    for (const proc of started.reverse()) await proc.stop();
    keepOnlyLogs(dir);
    unregisterDir();
    if (error instanceof ServerStartError) throw error;
    throw startError('keychain', (error as Error).message, keyringLog, [password]);
  }
}

/** Whether gnome-keyring has claimed the Secret Service name on the bus. */
async function secretsServiceOwned(env: Record<string, string>): Promise<boolean> {
  const { stdout } = await runCommand(
    'dbus-send',
    [
      '--session',
      '--print-reply',
      '--dest=org.freedesktop.DBus',
      '/org/freedesktop/DBus',
      'org.freedesktop.DBus.NameHasOwner',
      `string:${SECRETS_SERVICE}`,
    ],
    { what: 'dbus-send NameHasOwner', env, timeoutMs: 5_000 },
  );
  return /boolean true/.test(stdout);
}

function onPath(binary: string): boolean {
  return (process.env.PATH ?? '/usr/bin:/bin')
    .split(path.delimiter)
    .some((dir) => dir && fs.existsSync(path.join(dir, binary)));
}
