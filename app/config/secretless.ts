// Import of a Secretless Broker `secretless.yml` (version 2) into a Sesame config: pg, mysql,
// ssh and ssh-agent services; vault, env, file and literal providers. Anything Sesame cannot
// express is an error naming the file, line, service and field — never silently dropped
// (unless the caller asks to skip unsupported services, which are then listed).
import { LineCounter, parseDocument, stringify, type Document } from 'yaml';
import { ConfigError, formatFieldPath, parseConfig, type ConfigProblem } from './load';
import type { SesameConfig } from './schema';
import {
  credentialSource,
  ImportProblems,
  literalSetting,
  readCredential,
  type ImportProblem,
  type SecretlessValue,
} from './secretless-credentials';

export interface SecretlessImportOptions {
  /** Vault address for the new config (default $VAULT_ADDR, as Secretless reads it, else 127.0.0.1:8200). */
  vaultAddress?: string;
  /** Import the services Sesame supports and list the others instead of failing. */
  skipUnsupported?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface SecretlessImport {
  config: SesameConfig;
  /** The config as YAML, with the notes as comments at the top. */
  text: string;
  /** Things the user should know: changed listen addresses, literal secrets, defaults taken. */
  notes: string[];
  /** Services left out (only with skipUnsupported), with the reason. */
  skipped: { service: string; reason: string }[];
}

const TITLE = 'cannot import this secretless.yml';
const CONNECTORS: Record<string, 'postgres' | 'mysql' | 'ssh' | 'ssh-agent'> = {
  pg: 'postgres',
  mysql: 'mysql',
  ssh: 'ssh',
  'ssh-agent': 'ssh-agent',
};
const SERVICE_KEYS = new Set(['connector', 'protocol', 'listenOn', 'credentials', 'config', 'debug']);
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Connector-specific credential names: which are settings (literal) and which are credentials. */
const KNOWN_CREDENTIALS: Record<string, string[]> = {
  postgres: [
    'host',
    'port',
    'address',
    'username',
    'password',
    'sslmode',
    'sslrootcert',
    'sslcert',
    'sslkey',
    'sslhost',
    'dbname',
    'database',
  ],
  mysql: [
    'host',
    'port',
    'username',
    'password',
    'sslmode',
    'sslrootcert',
    'sslcert',
    'sslkey',
    'sslhost',
    'dbname',
    'database',
  ],
  ssh: ['address', 'user', 'privateKey', 'hostKey'],
  'ssh-agent': ['rsa', 'ecdsa', 'comment', 'lifetime', 'confirm'],
};

export function importSecretless(text: string, file: string, options: SecretlessImportOptions = {}): SecretlessImport {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const fail = (problems: ImportProblem[]) =>
    new ConfigError(
      file,
      problems.map((p) => locate(doc, lineCounter, p)),
      TITLE,
    );
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({
        field: '',
        message: `YAML syntax: ${e.message.split('\n')[0]}`,
        ...(e.linePos?.[0] ? { line: e.linePos[0].line, column: e.linePos[0].col } : {}),
      })),
      TITLE,
    );
  }
  const root = doc.toJS() as Record<string, unknown> | null;
  if (!root || typeof root !== 'object' || Array.isArray(root))
    throw fail([{ path: [], message: 'expected a secretless.yml map with version: 2 and services' }]);
  if ('listeners' in root || 'handlers' in root) {
    throw fail([
      {
        path: ['listeners' in root ? 'listeners' : 'handlers'],
        message: 'this is a version 1 file (listeners and handlers); Sesame imports version 2 (services)',
      },
    ]);
  }
  if (String(root.version) !== '2')
    throw fail([{ path: ['version'], message: `expected version: 2 (found ${JSON.stringify(root.version ?? null)})` }]);
  const services = root.services;
  if (!services || typeof services !== 'object' || Array.isArray(services))
    throw fail([{ path: ['services'], message: 'expected a map of services' }]);

  const env = options.env ?? process.env;
  const notes: string[] = [];
  const skipped: SecretlessImport['skipped'] = [];
  const problems: ImportProblem[] = [];
  const connections: Record<string, unknown>[] = [];
  for (const [service, raw] of Object.entries(services as Record<string, unknown>)) {
    try {
      connections.push(importService(service, raw, notes));
    } catch (error) {
      if (!(error instanceof ImportProblems)) throw error;
      if (options.skipUnsupported && error instanceof UnsupportedService)
        skipped.push({ service, reason: error.message });
      else problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw fail(problems);
  if (connections.length === 0)
    throw fail([{ path: ['services'], message: 'no service Sesame can import (pg, mysql, ssh, ssh-agent)' }]);

  const vaultAddress = options.vaultAddress || env.VAULT_ADDR || 'http://127.0.0.1:8200';
  if (!options.vaultAddress && !env.VAULT_ADDR)
    notes.push('vault.address is http://127.0.0.1:8200 (no VAULT_ADDR was set): change it to your Vault');
  const raw = { vault: { address: vaultAddress, auth: { method: 'token' } }, connections };
  const header = [
    `# Imported by Sesame from ${file}.`,
    ...notes.map((n) => `# note: ${n}`),
    ...skipped.map((s) => `# skipped: ${s.service}: ${s.reason}`),
  ];
  const output = `${header.join('\n')}\n${stringify(raw)}`;
  return { config: parseConfig(output, `${file} (imported)`), text: output, notes, skipped };
}

class UnsupportedService extends ImportProblems {}

function importService(service: string, raw: unknown, notes: string[]): Record<string, unknown> {
  const at = (...rest: (string | number)[]) => ['services', service, ...rest];
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new ImportProblems([{ path: at(), message: 'expected a map with connector, listenOn and credentials' }]);
  const spec = raw as Record<string, unknown>;
  const unknownKeys = Object.keys(spec).filter((k) => !SERVICE_KEYS.has(k));
  if (unknownKeys.length > 0)
    throw new ImportProblems([
      {
        path: at(unknownKeys[0]!),
        message: `unknown key '${unknownKeys[0]}' (expected connector, listenOn, credentials, config)`,
      },
    ]);
  const connectorName =
    typeof spec.connector === 'string' && spec.connector
      ? spec.connector
      : typeof spec.protocol === 'string'
        ? spec.protocol
        : '';
  const protocol = CONNECTORS[connectorName];
  if (!protocol) {
    const field = typeof spec.connector === 'string' && spec.connector ? 'connector' : 'protocol';
    throw new UnsupportedService([
      {
        path: at(field),
        message: connectorName
          ? `the '${connectorName}' connector is not supported: Sesame imports pg, mysql, ssh and ssh-agent`
          : 'no connector given',
      },
    ]);
  }
  const name = NAME.test(service)
    ? service
    : service
        .replace(/[^A-Za-z0-9._-]/g, '-')
        .replace(/^[^A-Za-z0-9]+/, '')
        .slice(0, 63) || 'service';
  if (name !== service) notes.push(`service '${service}' is named '${name}' (Sesame names are letters, digits, . _ -)`);
  if (
    spec.config !== null &&
    spec.config !== undefined &&
    !(typeof spec.config === 'object' && Object.keys(spec.config).length === 0)
  ) {
    notes.push(`${name}: its 'config' section was ignored (the ${connectorName} connector takes none)`);
  }
  const listen = importListen(spec.listenOn, at('listenOn'), name, protocol, notes);

  const credentialsRaw = spec.credentials ?? {};
  if (typeof credentialsRaw !== 'object' || Array.isArray(credentialsRaw))
    throw new ImportProblems([{ path: at('credentials'), message: 'expected a map of credentials' }]);
  const values = new Map<string, SecretlessValue>();
  const problems: ImportProblem[] = [];
  for (const [key, value] of Object.entries(credentialsRaw as Record<string, unknown>)) {
    if (!KNOWN_CREDENTIALS[protocol]!.includes(key)) {
      problems.push({
        path: at('credentials', key),
        message: `unknown credential for the ${connectorName} connector (expected ${KNOWN_CREDENTIALS[protocol]!.join(', ')})`,
      });
      continue;
    }
    try {
      values.set(key, readCredential(value, at('credentials', key)));
    } catch (error) {
      if (error instanceof ImportProblems) problems.push(...error.problems);
      else throw error;
    }
  }
  if (problems.length > 0) throw new ImportProblems(problems);
  const cred = (key: string) => at('credentials', key);
  const ctx: ServiceContext = { name, values, cred, notes };
  const body =
    protocol === 'ssh'
      ? sshService(ctx)
      : protocol === 'ssh-agent'
        ? sshAgentService(ctx)
        : databaseService(ctx, protocol);
  return { name, protocol, listen, ...body };
}

interface ServiceContext {
  name: string;
  values: Map<string, SecretlessValue>;
  cred: (key: string) => (string | number)[];
  notes: string[];
}

/** `tcp://0.0.0.0:5432` → `127.0.0.1:5432` (a passwordless broker stays on this machine); `unix:///p` → `unix:/p`. */
function importListen(
  raw: unknown,
  path: (string | number)[],
  name: string,
  protocol: string,
  notes: string[],
): string {
  if (typeof raw !== 'string' || raw === '')
    throw new ImportProblems([{ path, message: 'expected tcp://HOST:PORT or unix:///absolute/path' }]);
  const unix = /^unix:\/\/(\/.+)$/.exec(raw);
  if (unix) return `unix:${unix[1]}`;
  if (protocol === 'ssh-agent')
    throw new ImportProblems([
      { path, message: 'an ssh-agent listens on a unix socket (unix:///path), since SSH_AUTH_SOCK is one' },
    ]);
  const tcp = /^tcp:\/\/(\[[0-9a-fA-F:]*\]|[^:/\s]*):(\d{1,5})$/.exec(raw);
  if (!tcp || Number(tcp[2]) > 65535)
    throw new ImportProblems([{ path, message: `'${raw}' is not tcp://HOST:PORT or unix:///absolute/path` }]);
  const [, host = '', port] = tcp;
  if (host === '' || host === '0.0.0.0' || host === '[::]' || host === '[]') {
    notes.push(
      `${name}: listens on 127.0.0.1:${port} instead of ${raw} — anyone who reaches a Sesame address is let in without a password, so it stays on this machine`,
    );
    return `127.0.0.1:${port}`;
  }
  return `${host}:${port}`;
}

function portOf(text: string | undefined, path: (string | number)[]): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new ImportProblems([{ path, message: `'${text}' is not a port (1-65535)` }]);
  return port;
}

/** `host[:port][/dbname]`, the deprecated `address` credential. */
function splitAddress(address: string, path: (string | number)[]): { host: string; port?: number; database?: string } {
  const match = /^(\[[^\]]+\]|[^:/]+)(?::(\d+))?(?:\/(.+))?$/.exec(address);
  if (!match) throw new ImportProblems([{ path, message: `'${address}' is not host[:port]` }]);
  return {
    host: match[1]!.replace(/^\[|\]$/g, ''),
    ...(match[2] ? { port: portOf(match[2], path) } : {}),
    ...(match[3] ? { database: match[3] } : {}),
  };
}

const PG_SSLMODES: Record<string, string> = {
  '': 'require',
  require: 'require',
  'verify-ca': 'verify-ca',
  'verify-full': 'verify-full',
  disable: 'disable',
};
const MYSQL_SSLMODES: Record<string, string> = {
  '': 'required',
  require: 'required',
  'verify-ca': 'verify-ca',
  'verify-full': 'verify-identity',
  disable: 'disable',
};

function databaseService(
  { name, values, cred, notes }: ServiceContext,
  protocol: 'postgres' | 'mysql',
): Record<string, unknown> {
  const setting = (key: string) => literalSetting(values.get(key), cred(key));
  for (const key of ['sslcert', 'sslkey', 'sslhost']) {
    const value = values.get(key);
    if (value && !(value.provider === 'literal' && value.value === ''))
      throw new ImportProblems([
        {
          path: cred(key),
          message: `${key} is not supported: Sesame logs in with the password and verifies the server by its host name`,
        },
      ]);
  }
  const address = setting('address');
  const fromAddress = address ? splitAddress(address, cred('address')) : undefined;
  const host = setting('host') ?? fromAddress?.host;
  if (!host)
    throw new ImportProblems([{ path: cred('host'), message: 'is required: the host of the database server' }]);
  const port = portOf(setting('port'), cred('port')) ?? fromAddress?.port;
  const database = setting('dbname') ?? setting('database') ?? fromAddress?.database;
  const modes = protocol === 'postgres' ? PG_SSLMODES : MYSQL_SSLMODES;
  const sslmodeText = values.get('sslmode') ? (setting('sslmode') ?? '') : '';
  const sslmode = modes[sslmodeText];
  if (!sslmode)
    throw new ImportProblems([
      {
        path: cred('sslmode'),
        message: `'${sslmodeText}' is not one of require (the default), verify-ca, verify-full, disable`,
      },
    ]);
  if (sslmodeText === '') notes.push(`${name}: sslmode is ${sslmode} (Secretless's default)`);
  const caCert = caCertFile(values.get('sslrootcert'), cred('sslrootcert'));
  const secrets = new Map<string, SecretlessValue>();
  const where = new Map<string, (string | number)[]>();
  for (const field of ['username', 'password']) {
    const value = values.get(field);
    if (!value || (value.provider === 'literal' && value.value === ''))
      throw new ImportProblems([{ path: cred(field), message: `is required: the ${field} Sesame logs in with` }]);
    secrets.set(field, value);
    where.set(field, cred(field));
  }
  return {
    target: {
      host,
      ...(port ? { port } : {}),
      ...(database ? { database } : {}),
      sslmode,
      ...(caCert ? { caCert } : {}),
    },
    credentials: credentialSource(secrets, where, notes, name),
  };
}

/** sslrootcert: Secretless reads the certificate text; Sesame takes the file's path. */
function caCertFile(value: SecretlessValue | undefined, path: (string | number)[]): string | undefined {
  if (!value || (value.provider === 'literal' && value.value === '')) return undefined;
  if (value.provider === 'file') return value.id;
  throw new ImportProblems([
    {
      path,
      message: `comes from ${value.provider}; Sesame takes the CA certificate as a file: use from: file with its path`,
    },
  ]);
}

function sshService({ name, values, cred, notes }: ServiceContext): Record<string, unknown> {
  const address = literalSetting(values.get('address'), cred('address'));
  if (!address)
    throw new ImportProblems([{ path: cred('address'), message: 'is required: host[:port] of the SSH server' }]);
  const { host, port } = splitAddress(address, cred('address'));
  const key = values.get('privateKey');
  if (!key || (key.provider === 'literal' && key.value === ''))
    throw new ImportProblems([
      { path: cred('privateKey'), message: 'is required: the private key Sesame logs in with' },
    ]);
  const secrets = new Map<string, SecretlessValue>([['private_key', key]]);
  const where = new Map<string, (string | number)[]>([['private_key', cred('privateKey')]]);
  const user = values.get('user');
  let targetUser: string | undefined;
  if (!user) {
    targetUser = 'root';
    notes.push(`${name}: logs in as root (Secretless's default user)`);
  } else if (user.provider === 'literal') {
    targetUser = user.value || 'root';
  } else {
    secrets.set('username', user);
    where.set('username', cred('user'));
  }
  const hostKey = literalSetting(values.get('hostKey'), cred('hostKey'));
  if (!hostKey)
    notes.push(
      `${name}: Secretless accepted any host key; Sesame checks ${host} against ~/.ssh/known_hosts — make sure it has a line for it, or set target.hostKey`,
    );
  return {
    target: {
      host,
      ...(port ? { port } : {}),
      ...(targetUser ? { user: targetUser } : {}),
      ...(hostKey ? { hostKey } : { knownHosts: '~/.ssh/known_hosts' }),
    },
    credentials: credentialSource(secrets, where, notes, name),
  };
}

function sshAgentService({ name, values, cred, notes }: ServiceContext): Record<string, unknown> {
  const which = values.has('rsa') ? 'rsa' : 'ecdsa';
  if (values.has('rsa') && values.has('ecdsa'))
    throw new ImportProblems([{ path: cred('ecdsa'), message: 'give one key: rsa or ecdsa' }]);
  const key = values.get(which);
  if (!key)
    throw new ImportProblems([
      { path: cred('rsa'), message: 'is required: the private key (rsa or ecdsa) the agent offers' },
    ]);
  const comment = literalSetting(values.get('comment'), cred('comment'));
  const lifetime = literalSetting(values.get('lifetime'), cred('lifetime'));
  const confirm = literalSetting(values.get('confirm'), cred('confirm'));
  if (lifetime !== undefined && !/^\d+$/.test(lifetime))
    throw new ImportProblems([{ path: cred('lifetime'), message: `'${lifetime}' is not a number of seconds` }]);
  if (confirm !== undefined && !/^(true|false)$/i.test(confirm))
    throw new ImportProblems([{ path: cred('confirm'), message: `'${confirm}' is not true or false` }]);
  const keyOptions = {
    ...(comment ? { comment } : {}),
    ...(lifetime && lifetime !== '0' ? { lifetime: Number(lifetime) } : {}),
    ...(confirm ? { confirm: confirm.toLowerCase() === 'true' } : {}),
  };
  return {
    ...(Object.keys(keyOptions).length > 0 ? { key: keyOptions } : {}),
    credentials: credentialSource(
      new Map([['private_key', key]]),
      new Map([['private_key', cred(which)]]),
      notes,
      name,
    ),
  };
}

/** A problem with the line and column of the YAML node at (or nearest above) its path. */
function locate(doc: Document, lineCounter: LineCounter, problem: ImportProblem): ConfigProblem {
  for (let n = problem.path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(problem.path.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) {
      const pos = lineCounter.linePos(range[0]);
      return { field: formatFieldPath(problem.path), message: problem.message, line: pos.line, column: pos.col };
    }
  }
  return { field: formatFieldPath(problem.path), message: problem.message };
}
