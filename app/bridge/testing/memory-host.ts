// A small in-memory AppApi for the bridge tests and the UI screenshots: a Vault login that
// accepts one token (or one user), connections that open a real TCP listener on loopback when
// turned on (on their configured port, or a free one), a lease registry (memory-leases.ts),
// and launches that are recorded rather than run. It follows the contract's rules (typed
// errors, events for every change) so the bridge and the renderer are exercised as the real
// host will use them.
import { createServer, isIP, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  ApiError,
  type ActivityEvent,
  type AppApi,
  type AppEvent,
  type CommandInput,
  type CommandName,
  type CommandOutput,
  type ConnectionView,
  type LaunchResult,
  type LeaseView,
  type LoginInput,
  type Protocol,
  type SessionView,
  type SettingsView,
} from '../../api';
import { createMemoryLeases } from './memory-leases';
import { guiChoicesFor } from '../../launchers';

export interface MemoryHostOptions {
  vaultAddress?: string;
  /** The one token `session.login` accepts. */
  token: string;
  /** A userpass login that is accepted, if any. */
  user?: { username: string; password: string };
  /** The URL an OIDC login waits on. */
  oidcUrl?: string;
  connections: {
    name: string;
    protocol: Protocol;
    target: string;
    credentialPath?: string;
    listen?: string;
    connectionString?: string;
  }[];
  /** Start authenticated (the token agent already holds a token). */
  authenticated?: boolean;
  /** What the lease registry holds at the start. */
  leases?: readonly LeaseView[];
  /** How long ended leases stay listed before `lease.removed` (default 60 s). */
  retainEndedMs?: number;
  /** What `settings.get` answers (omit: a plausible default). */
  settings?: SettingsView;
  /** Connections whose opener fails, with what it said (as xdg-open exiting 3). */
  launchFailures?: Record<string, string>;
}

/** A launch the UI asked for; the memory host records it instead of starting a program. */
export interface RecordedLaunch {
  connection: string;
  how: 'gui' | 'terminal';
}

export interface MemoryHost extends AppApi {
  /** Push any event, as the host would, to every subscriber. */
  emit(event: AppEvent): void;
  /** Launches asked for so far, oldest first. */
  readonly launches: readonly RecordedLaunch[];
  /** Stop every listener the host opened. */
  close(): Promise<void>;
}

const CONFIG_PATH = '/tmp/sesame/config.yaml';

export function createMemoryHost(options: MemoryHostOptions): MemoryHost {
  const listeners = new Set<(event: AppEvent) => void>();
  const servers = new Map<string, Server>();
  const activity: ActivityEvent[] = [];
  let activityId = 0;
  const anonymous: SessionView = {
    state: 'logged-out',
    vaultAddress: options.vaultAddress ?? 'http://127.0.0.1:8200',
    policies: [],
  };
  let session: SessionView = options.authenticated ? authenticated('token', 'token') : anonymous;
  const connections = new Map<string, ConnectionView>(
    options.connections.map((c) => [
      c.name,
      {
        ...c,
        state: 'off',
        listen: c.listen ?? '127.0.0.1:0',
        stats: { activeClients: 0, sessionsServed: 0, bytesToTarget: 0, bytesToClient: 0 },
      },
    ]),
  );

  const launches: RecordedLaunch[] = [];
  let settings: SettingsView = options.settings ?? defaultSettings();
  const leases = createMemoryLeases({
    leases: options.leases,
    retainEndedMs: options.retainEndedMs,
    emit,
    note: (level, kind, message) => note(level, kind, message),
  });

  function authenticated(method: SessionView['method'], displayName: string): SessionView {
    return {
      ...anonymous,
      state: 'authenticated',
      method,
      displayName,
      policies: ['default', 'developer'],
      accessor: 'accessor-7f3a',
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      renewable: true,
    };
  }

  function emit(event: AppEvent): void {
    for (const listener of listeners) listener(event);
  }

  function note(level: ActivityEvent['level'], kind: string, message: string, connection?: string): void {
    const event: ActivityEvent = {
      id: String(++activityId),
      time: new Date().toISOString(),
      level,
      kind,
      message,
      ...(connection ? { connection } : {}),
    };
    activity.push(event);
    emit({ event: 'activity', payload: event });
  }

  function setSession(next: SessionView): SessionView {
    session = next;
    emit({ event: 'session.changed', payload: session });
    return session;
  }

  function setConnection(next: ConnectionView): ConnectionView {
    connections.set(next.name, next);
    emit({ event: 'connection.changed', payload: next });
    return next;
  }

  function login(input: LoginInput): SessionView {
    if (input.method === 'token' && input.token === options.token) {
      note('info', 'login', 'Logged in to Vault with a token.');
      return setSession(authenticated('token', 'token'));
    }
    const user = options.user;
    if (input.method === 'userpass' && input.username === user?.username && input.password === user.password) {
      note('info', 'login', `Logged in to Vault as ${input.username}.`);
      return setSession(authenticated('userpass', input.username));
    }
    if (input.method === 'oidc' && options.oidcUrl) {
      return setSession({ ...anonymous, state: 'logging-in', method: 'oidc', pendingAuthUrl: options.oidcUrl });
    }
    note('warn', 'login', 'Vault refused a login: permission denied.');
    throw new ApiError('permission-denied', 'Vault refused these credentials (permission denied).');
  }

  async function setEnabled(name: string, enabled: boolean): Promise<ConnectionView> {
    const current = connections.get(name);
    if (!current) throw new ApiError('not-found', `There is no connection named '${name}'.`, 'name');
    if (!enabled) {
      const server = servers.get(name);
      servers.delete(name);
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      if (current.state !== 'off') note('info', 'connection.stop', `${name} turned off.`, name);
      return setConnection({ ...current, state: 'off', error: undefined });
    }
    if (session.state !== 'authenticated') {
      throw new ApiError('unauthenticated', `Log in to Vault before turning on ${name}.`);
    }
    if (servers.has(name)) return current;
    setConnection({ ...current, state: 'starting', error: undefined });
    try {
      const server = await bind(current.listen);
      servers.set(name, server);
      const listen = listenOf(server, current.listen);
      note('info', 'connection.start', `${name} is listening on ${listen}.`, name);
      return setConnection({ ...current, state: 'ready', listen, error: undefined });
    } catch (error) {
      const reason = bindRefusal(current.listen, error).message;
      note('error', 'connection.error', reason, name);
      return setConnection({ ...current, state: 'error', error: reason });
    }
  }

  /** Move a connection: the new address must be loopback and free; a running one moves at once. */
  async function setListen(name: string, listen: string): Promise<ConnectionView> {
    const current = connections.get(name);
    if (!current) throw new ApiError('not-found', `There is no connection named '${name}'.`, 'name');
    if (!listen.startsWith('unix:')) {
      const { host, port } = splitListen(listen);
      if (port > 65535)
        throw new ApiError('invalid-input', `Port ${port} does not exist; ports go from 1 to 65535.`, 'listen');
      if (!isLoopback(host))
        throw new ApiError(
          'invalid-input',
          `${host} is not a loopback address: Sesame listens only on this machine (127.0.0.1, ::1, localhost).`,
          'listen',
        );
    }
    const server = await bind(listen).catch((error: unknown) => {
      throw bindRefusal(listen, error);
    });
    const running = servers.get(name);
    if (running) {
      servers.set(name, server);
      await new Promise<void>((resolve) => running.close(() => resolve()));
    } else {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const shown = running ? listenOf(server, listen) : listen;
    note('info', 'connection.listen', `${name} now listens on ${shown}.`, name);
    return setConnection({ ...current, listen: shown });
  }

  function launch(name: string, how: 'gui' | 'terminal'): LaunchResult {
    const current = connections.get(name);
    if (!current) throw new ApiError('not-found', `There is no connection named '${name}'.`, 'name');
    if (how === 'gui' && current.protocol !== 'postgres' && current.protocol !== 'mysql') {
      throw new ApiError('invalid-input', `${name} is not a database; there is no GUI to open it in.`, 'name');
    }
    // As the real host: nothing opens a connection that is not running.
    if (current.state !== 'ready')
      throw new ApiError('conflict', `'${name}' is ${current.state}: turn it on first`, 'name');
    const scheme = current.protocol === 'mysql' ? 'mysql' : 'postgresql';
    const failure = options.launchFailures?.[name];
    if (failure) throw new ApiError('internal', `Could not open the handler for ${scheme}:// URLs: ${failure}`);
    launches.push({ connection: name, how });
    return how === 'gui'
      ? {
          connection: name,
          how: 'url',
          opened: `the handler for ${scheme}:// URLs`,
          url: `${scheme}://${current.listen}/`,
        }
      : { connection: name, how: 'terminal', opened: 'ssh in a terminal' };
  }

  async function call<C extends CommandName>(command: C, input: CommandInput<C>): Promise<CommandOutput<C>> {
    const run = async (): Promise<unknown> => {
      switch (command) {
        case 'app.info':
          return { version: '0.1.0', mode: 'browser', configPath: CONFIG_PATH, sandbox: true };
        case 'session.get':
          return session;
        case 'session.login':
          return login(input as LoginInput);
        case 'session.logout':
          note('info', 'logout', 'Logged out of Vault.');
          return setSession(anonymous);
        case 'connections.list':
          return [...connections.values()];
        case 'connections.setEnabled': {
          const { name, enabled } = input as CommandInput<'connections.setEnabled'>;
          return setEnabled(name, enabled);
        }
        case 'activity.list':
          return [...activity];
        case 'connections.setListen': {
          const { name, listen } = input as CommandInput<'connections.setListen'>;
          return setListen(name, listen);
        }
        case 'connections.openGui':
          return launch((input as CommandInput<'connections.openGui'>).name, 'gui');
        case 'connections.openTerminal':
          return launch((input as CommandInput<'connections.openTerminal'>).name, 'terminal');
        case 'config.reload':
          return { added: [], removed: [], changed: [], unchanged: [...connections.keys()], restartNeeded: [] };
        case 'session.renew':
          if (session.state !== 'authenticated')
            throw new ApiError('unauthenticated', 'Log in to Vault first; there is no token to renew.');
          note('info', 'session.renew', 'Renewed the Vault token.');
          return setSession({ ...session, expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
        case 'leases.list':
          return leases.list();
        case 'leases.renew':
          return leases.renew((input as CommandInput<'leases.renew'>).id);
        case 'leases.revoke':
          return leases.revoke((input as CommandInput<'leases.revoke'>).id);
        case 'leases.evict':
          return leases.evict((input as CommandInput<'leases.evict'>).id);
        case 'leases.clear':
          return leases.clear();
        case 'settings.get':
          return settings;
        case 'settings.update':
          return updateSettings(input as CommandInput<'settings.update'>);
        case 'vault.health':
          return {
            address: session.vaultAddress,
            status: 'ok',
            version: '1.17.0',
            message: 'Vault 1.17.0 is up and unsealed.',
            checkedAt: new Date().toISOString(),
          };
        case 'vault.check': {
          // Port 1 stands for "nothing listens there"; anything else answers like Vault.
          const { address } = input as CommandInput<'vault.check'>;
          const checkedAt = new Date().toISOString();
          return /:1\/?$/.test(address)
            ? {
                address,
                status: 'unreachable',
                message: `Vault at ${address} cannot be reached: nothing is listening there (ECONNREFUSED).`,
                checkedAt,
              }
            : { address, status: 'ok', version: '1.17.0', message: 'Vault 1.17.0 is up and unsealed.', checkedAt };
        }
        default:
          throw new ApiError('unknown-command', `Unknown command '${String(command)}'.`);
      }
    };
    return (await run()) as CommandOutput<C>;
  }

  /** The host's rules in small: port 1 is "in use"; reports-db's GUI choice cannot be saved. */
  function updateSettings(input: CommandInput<'settings.update'>): CommandOutput<'settings.update'> {
    const { agent, gui, vault } = input;
    if (agent?.listen?.endsWith(':1'))
      throw new ApiError(
        'conflict',
        `${agent.listen} is already in use by another program; choose another address (nothing was changed)`,
        'agent.listen',
      );
    if (gui?.connection === 'reports-db')
      throw new ApiError('conflict', 'the config file of reports-db cannot be written right now', 'gui');
    settings = {
      ...settings,
      ...(vault ? { vault: { ...settings.vault, address: vault.address } } : {}),
      ...(agent
        ? {
            agent: {
              ...(agent.listen ? { listen: agent.listen } : {}),
              ...(agent.tokenSink ? { tokenSink: agent.tokenSink } : {}),
              requireRequestHeader: agent.requireRequestHeader ?? settings.agent.requireRequestHeader,
              cache: {
                ...settings.agent.cache,
                ...(agent.cache?.staticSecrets !== undefined ? { staticSecrets: agent.cache.staticSecrets } : {}),
                ...(agent.cache?.persist !== undefined ? { persist: agent.cache.persist } : {}),
              },
            },
          }
        : {}),
      guis: settings.guis.map((g) =>
        gui && g.connection === gui.connection
          ? { connection: g.connection, choices: g.choices, ...(gui.gui ? { gui: gui.gui } : {}) }
          : g,
      ),
    };
    const restarted = Boolean(vault || agent);
    if (restarted) emit({ event: 'app.reset', payload: { reason: 'settings changed' } });
    return { settings, restarted, message: restarted ? 'Saved; Sesame restarted to apply it.' : 'Saved.' };
  }

  function defaultSettings(): SettingsView {
    return {
      configPath: CONFIG_PATH,
      configFile: { watched: true },
      vault: { address: anonymous.vaultAddress, authMethod: 'oidc', authMount: 'oidc', authRole: 'developer' },
      agent: {
        listen: '127.0.0.1:8100',
        tokenSink: '~/.vault-token',
        requireRequestHeader: true,
        cache: { staticSecrets: true, staticSecretRefreshSeconds: 30, persist: false },
      },
      secrets: { store: 'keychain' },
      guis: [...connections.values()]
        .filter((c) => c.protocol === 'postgres' || c.protocol === 'mysql')
        .map((c) => ({ connection: c.name, choices: guiChoicesFor(c.protocol) })),
    };
  }

  return {
    call,
    launches,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    // As the real host: an activity line is kept, so a window that subscribes a moment later
    // still lists it.
    emit(event) {
      if (event.event === 'activity' && !activity.some((a) => a.id === event.payload.id)) activity.push(event.payload);
      emit(event);
    },
    async close() {
      leases.close();
      await Promise.all([...servers.values()].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      servers.clear();
    },
  };
}

function splitListen(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(':');
  return { host: listen.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(listen.slice(at + 1)) };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** Listen on a HOST:PORT (port 0: any free one) or unix:/path. */
function bind(listen: string): Promise<Server> {
  const server = createServer((socket) => socket.end());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const ready = () => {
      server.off('error', reject);
      resolve(server);
    };
    if (listen.startsWith('unix:')) server.listen(listen.slice('unix:'.length), ready);
    else {
      const { host, port } = splitListen(listen);
      server.listen(port, host, ready);
    }
  });
}

function listenOf(server: Server, listen: string): string {
  if (listen.startsWith('unix:')) return listen;
  const address = server.address() as AddressInfo;
  return `${splitListen(listen).host.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;
}

/** Why a listener could not start, in the words the real host uses. */
function bindRefusal(listen: string, error: unknown): ApiError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    return new ApiError('conflict', `${listen} is already in use by another program; choose another port.`, 'listen');
  if (code === 'EACCES')
    return new ApiError(
      'permission-denied',
      `Sesame may not listen on ${listen} (ports below 1024 need privileges).`,
      'listen',
    );
  return new ApiError('invalid-input', `Sesame cannot listen on ${listen} (${code ?? 'unknown error'}).`, 'listen');
}
