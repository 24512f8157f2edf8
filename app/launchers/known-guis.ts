// Database GUIs Sesame can start by name, with the command line each takes on each OS. Programs
// are started directly (argv, no shell). Where a GUI cannot be told the address on its command
// line, it is started and the user gets a hint with the address instead.
import type { KnownGui } from '../api';
import { databaseUrl, LaunchError, localAddress, PLACEHOLDER_USER, type LaunchTarget } from './target';

export type OsName = 'linux' | 'darwin' | 'win32';

export interface GuiCommand {
  argv: string[];
  hint?: string;
}

interface GuiDefinition {
  label: string;
  protocols: readonly LaunchTarget['protocol'][];
  command(target: LaunchTarget, os: OsName): GuiCommand;
}

/** The TCP address, or an error: these GUIs cannot reach a unix socket by a command line. */
function tcp(target: LaunchTarget, label: string) {
  const address = localAddress(target.listen);
  if (address.kind !== 'tcp')
    throw new LaunchError(`${label} needs a TCP address; ${target.name} listens on ${target.listen}`);
  return address;
}

/**
 * The program itself on Linux and Windows; on macOS `open -na App --args …` (options for the
 * app), or `open -a App URL` when the argument is a URL the app opens (`asDocument`).
 */
function byOs(os: OsName, names: Record<OsName, string>, args: string[], asDocument = false): string[] {
  if (os !== 'darwin') return [names[os], ...args];
  if (asDocument) return ['open', '-a', names.darwin, ...args];
  return ['open', '-na', names.darwin, ...(args.length > 0 ? ['--args', ...args] : [])];
}

const addressHint = (target: LaunchTarget, label: string) => {
  const address = tcp(target, label);
  return `${label} cannot be given a server on its command line: add one with host ${address.host}, port ${address.port}${target.database ? `, database ${target.database}` : ''}, any user name and no password — Sesame logs in for you`;
};

export const KNOWN_GUIS: Record<KnownGui, GuiDefinition> = {
  dbeaver: {
    label: 'DBeaver',
    protocols: ['postgres', 'mysql'],
    command(target, os) {
      const address = tcp(target, 'DBeaver');
      // DBeaver's -con takes `key=value|key=value`: a | or = inside a value would change the spec.
      for (const [what, value] of [['database', target.database ?? '']] as const) {
        if (/[|=]/.test(value))
          throw new LaunchError(`DBeaver cannot take a ${what} containing | or = ('${value}'); use a command template`);
      }
      const spec = [
        `driver=${target.protocol === 'postgres' ? 'postgresql' : 'mysql'}`,
        `host=${address.host}`,
        `port=${address.port}`,
        ...(target.database ? [`database=${target.database}`] : []),
        `user=${PLACEHOLDER_USER}`,
        `name=Sesame ${target.name}`,
        'save=false',
        'connect=true',
      ].join('|');
      return { argv: byOs(os, { linux: 'dbeaver', darwin: 'DBeaver', win32: 'dbeaver.exe' }, ['-con', spec]) };
    },
  },
  pgadmin4: {
    label: 'pgAdmin 4',
    protocols: ['postgres'],
    command: (target, os) => ({
      argv: byOs(os, { linux: 'pgadmin4', darwin: 'pgAdmin 4', win32: 'pgAdmin4.exe' }, []),
      hint: addressHint(target, 'pgAdmin 4'),
    }),
  },
  datagrip: {
    label: 'DataGrip',
    protocols: ['postgres', 'mysql'],
    command: (target, os) => ({
      argv: byOs(os, { linux: 'datagrip', darwin: 'DataGrip', win32: 'datagrip64.exe' }, []),
      hint: addressHint(target, 'DataGrip'),
    }),
  },
  tableplus: {
    label: 'TablePlus',
    protocols: ['postgres', 'mysql'],
    command: (target, os) => {
      tcp(target, 'TablePlus');
      // TablePlus registers postgresql:// and mysql:// and takes the URL as its argument.
      return {
        argv: byOs(
          os,
          { linux: 'tableplus', darwin: 'TablePlus', win32: 'TablePlus.exe' },
          [databaseUrl(target, true)],
          true,
        ),
      };
    },
  },
  'mysql-workbench': {
    label: 'MySQL Workbench',
    protocols: ['mysql'],
    command(target, os) {
      const address = tcp(target, 'MySQL Workbench');
      return {
        argv: byOs(os, { linux: 'mysql-workbench', darwin: 'MySQLWorkbench', win32: 'MySQLWorkbench.exe' }, [
          '--query',
          `${PLACEHOLDER_USER}@${address.host}:${address.port}`,
        ]),
      };
    },
  },
  'beekeeper-studio': {
    label: 'Beekeeper Studio',
    protocols: ['postgres', 'mysql'],
    command: (target, os) => {
      tcp(target, 'Beekeeper Studio');
      return {
        argv: byOs(
          os,
          { linux: 'beekeeper-studio', darwin: 'Beekeeper Studio', win32: 'Beekeeper Studio.exe' },
          [databaseUrl(target, true)],
          true,
        ),
      };
    },
  },
};

/** The known GUIs that speak a protocol, with their names (pgAdmin 4 is PostgreSQL only, MySQL Workbench MySQL only). */
export function guiChoicesFor(protocol: string): { id: KnownGui; label: string }[] {
  return (Object.keys(KNOWN_GUIS) as KnownGui[])
    .filter((id) => (KNOWN_GUIS[id].protocols as readonly string[]).includes(protocol))
    .map((id) => ({ id, label: KNOWN_GUIS[id].label }));
}

export function isKnownGui(name: string): name is KnownGui {
  return Object.prototype.hasOwnProperty.call(KNOWN_GUIS, name);
}
