// A small in-memory AppApi for the bridge tests and the UI screenshots: a Vault login that
// accepts one token (or one user), and connections that open a real TCP listener on a free
// loopback port when turned on. It follows the contract's rules (typed errors, events for
// every change) so the bridge and the renderer are exercised as the real host will use them.
import { createServer, type Server } from 'node:net';
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
  type LoginInput,
  type Protocol,
  type SessionView,
} from '../../api';

export interface MemoryHostOptions {
  vaultAddress?: string;
  /** The one token `session.login` accepts. */
  token: string;
  /** A userpass login that is accepted, if any. */
  user?: { username: string; password: string };
  /** The URL an OIDC login waits on. */
  oidcUrl?: string;
  connections: { name: string; protocol: Protocol; target: string; credentialPath?: string }[];
  /** Start authenticated (the token agent already holds a token). */
  authenticated?: boolean;
}

export interface MemoryHost extends AppApi {
  /** Push any event, as the host would, to every subscriber. */
  emit(event: AppEvent): void;
  /** Stop every listener the host opened. */
  close(): Promise<void>;
}

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
        listen: '127.0.0.1:0',
        stats: { activeClients: 0, sessionsServed: 0, bytesToTarget: 0, bytesToClient: 0 },
      },
    ]),
  );

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
    const server = createServer((socket) => socket.end());
    servers.set(name, server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const listen = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    note('info', 'connection.start', `${name} is listening on ${listen}.`, name);
    return setConnection({ ...current, state: 'ready', listen, error: undefined });
  }

  async function call<C extends CommandName>(command: C, input: CommandInput<C>): Promise<CommandOutput<C>> {
    const run = async (): Promise<unknown> => {
      switch (command) {
        case 'app.info':
          return { version: '0.1.0', mode: 'browser', configPath: '/tmp/sesame/config.yaml', sandbox: true };
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
        default:
          throw new ApiError('unknown-command', `Unknown command '${String(command)}'.`);
      }
    };
    return (await run()) as CommandOutput<C>;
  }

  return {
    call,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit,
    async close() {
      await Promise.all([...servers.values()].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      servers.clear();
    },
  };
}
