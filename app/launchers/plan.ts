// Deciding what "Open in …" and "Open terminal" run for a connection. The result is a URL for
// the OS (scheme allowlisted, no password) or an argv (no shell). Nothing here starts anything:
// the host hands the plan to the shell's Platform.
import type { KnownGui } from '../api';
import { isKnownGui, KNOWN_GUIS, type OsName } from './known-guis';
import { databaseUrl, LaunchError, localAddress, PLACEHOLDER_USER, type LaunchTarget } from './target';
import { commandFromTemplate } from './template';

export type LaunchPlan =
  | { how: 'url'; url: string; opened: string }
  | { how: 'command'; argv: string[]; opened: string; hint?: string }
  | { how: 'terminal'; argv: string[]; opened: string };

export function currentOs(platform: NodeJS.Platform = process.platform): OsName {
  return platform === 'darwin' || platform === 'win32' ? platform : 'linux';
}

/**
 * "Open in …": `choice` (a known GUI the user picked) wins over `configured` (the connection's
 * `gui` setting: a known name or a command template); with neither, the URL goes to the OS.
 */
export function planGuiLaunch(
  target: LaunchTarget,
  options: { choice?: KnownGui; configured?: string; os?: OsName } = {},
): LaunchPlan {
  if (target.protocol === 'ssh') throw new LaunchError(`${target.name} is an SSH connection: use Open terminal`);
  if (target.protocol === 'ssh-agent')
    throw new LaunchError(`${target.name} is an ssh-agent: set SSH_AUTH_SOCK=${localPath(target)} instead`);
  if (target.protocol !== 'postgres' && target.protocol !== 'mysql')
    throw new LaunchError(`${target.name} is ${target.protocol}: no database GUI opens it`);
  const os = options.os ?? currentOs();
  const gui = options.choice ?? options.configured;
  if (!gui)
    return {
      how: 'url',
      url: databaseUrl(target),
      opened: `the application registered for ${target.protocol === 'postgres' ? 'postgresql' : 'mysql'}:// URLs`,
    };
  if (isKnownGui(gui)) {
    const known = KNOWN_GUIS[gui];
    if (!known.protocols.includes(target.protocol))
      throw new LaunchError(`${known.label} does not open ${target.protocol} connections`);
    const { argv, hint } = known.command(target, os);
    return { how: 'command', argv, opened: known.label, ...(hint ? { hint } : {}) };
  }
  const argv = commandFromTemplate(gui, placeholderValues(target));
  return { how: 'command', argv, opened: argv[0]! };
}

/** The values a command template may use; {user} is the placeholder user (the broker ignores it). */
export function placeholderValues(target: LaunchTarget) {
  const address = localAddress(target.listen);
  return {
    // A mysql:// URL cannot name a unix socket: {url} is empty then, {host} is the socket's directory.
    url: target.protocol === 'mysql' && address.kind === 'unix' ? '' : databaseUrl(target),
    host: address.kind === 'tcp' ? address.host : address.path.replace(/\/[^/]*$/, '') || '/',
    port: address.kind === 'tcp' ? address.port : (/\.s\.PGSQL\.(\d+)$/.exec(address.path)?.[1] ?? ''),
    user: PLACEHOLDER_USER,
    database: target.database ?? '',
  };
}

function localPath(target: LaunchTarget): string {
  const address = localAddress(target.listen);
  return address.kind === 'unix' ? address.path : target.listen;
}

/** "Open terminal": ssh to the broker, or the database's own CLI (psql, mysql). */
export function planTerminal(target: LaunchTarget): Extract<LaunchPlan, { how: 'terminal' }> {
  const address = localAddress(target.listen);
  switch (target.protocol) {
    case 'ssh': {
      if (address.kind !== 'tcp')
        throw new LaunchError(`${target.name} listens on a unix socket; ssh needs a TCP address`);
      return {
        how: 'terminal',
        argv: ['ssh', '-p', address.port, target.user ? `${target.user}@${address.host}` : address.host],
        opened: 'ssh in a terminal',
      };
    }
    case 'postgres':
      return { how: 'terminal', argv: ['psql', databaseUrl(target)], opened: 'psql in a terminal' };
    case 'mysql':
      return {
        how: 'terminal',
        argv: [
          'mysql',
          ...(address.kind === 'tcp'
            ? ['-h', address.host, '-P', address.port, '--protocol=TCP']
            : ['-S', address.path]),
          '-u',
          PLACEHOLDER_USER,
          ...(target.database ? ['-D', target.database] : []),
        ],
        opened: 'mysql in a terminal',
      };
    default:
      throw new LaunchError(`${target.name} is ${target.protocol}: there is no terminal client to open`);
  }
}
