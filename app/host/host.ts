// The host: implements the AppApi over the broker and the config. Shells (Electron, the
// browser-mode server, the daemon) create one and hand it a Platform; it never imports them.
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createVaultSession, type LoginRequest } from '../../broker/agent';
import type { Logger } from '../../broker/log';
import { createConnectionSupervisor, UnknownConnectionError } from '../../broker/supervisor';
import { createVaultClient, VaultError } from '../../broker/vault';
import { ApiError, type AppApi, type AppEvent, type CommandInput, type CommandName, type CommandOutput } from '../api';
import { loadConfig, type SesameConfig } from '../config';
import type { Platform } from '../platform';
import { createActivityLog } from './activity';
import { connectionSpecFor } from './connections';
import { connectionView, sessionView } from './views';

export interface AppHostOptions {
  configPath: string;
  /** An already validated config; read from `configPath` when absent. */
  config?: SesameConfig;
  platform: Platform;
  mode: 'electron' | 'browser' | 'daemon';
  log: Logger;
  /** True when the config is the embedded sandbox's. */
  sandbox?: boolean;
  version?: string;
}

export interface AppHost extends AppApi {
  /** Graceful stop: listeners closed, sessions ended, timers cleared. The token is kept. */
  close(): Promise<void>;
}

type Handlers = { [C in CommandName]: (input: CommandInput<C>) => Promise<CommandOutput<C>> };

export async function createAppHost(options: AppHostOptions): Promise<AppHost> {
  const { log } = options;
  const config = options.config ?? (await loadConfig(options.configPath));
  const baseDir = path.dirname(path.resolve(options.configPath));
  const events = new EventEmitter();
  const emit = (event: AppEvent) => events.emit('event', event);

  const vault = createVaultClient({
    address: config.vault.address,
    ...(config.vault.namespace ? { namespace: config.vault.namespace } : {}),
    ...(config.vault.caCert ? { caCertFile: path.resolve(baseDir, config.vault.caCert) } : {}),
  });
  const session = createVaultSession(vault, log.child('session'));
  const supervisor = createConnectionSupervisor(log.child('broker'));
  const activity = createActivityLog(1000, (payload) => emit({ event: 'activity', payload }));
  const databases = new Map(config.connections.map((c) => [c.name, c.target.database]));

  const currentSession = () => sessionView(session.snapshot(), vault.address, config.vault.namespace);
  session.onChange(() => emit({ event: 'session.changed', payload: currentSession() }));
  supervisor.onChange((status) => emit({ event: 'connection.changed', payload: connectionView(status, databases.get(status.name)) }));
  supervisor.onEvent((e) =>
    activity.add({ level: e.kind === 'credential-error' ? 'error' : 'info', kind: e.kind, message: e.message, connection: e.connection }),
  );

  for (const connection of config.connections) {
    supervisor.define(connectionSpecFor(connection, { vault, session, baseDir }));
  }

  async function login(request: LoginRequest) {
    try {
      const snapshot = await session.login(request);
      activity.add({ level: 'info', kind: 'login', message: `logged in to ${vault.address} with ${request.method} (policies: ${snapshot.policies.join(', ')})` });
    } catch (error) {
      activity.add({ level: 'error', kind: 'login-failed', message: `login with ${request.method} failed: ${(error as Error).message}` });
      throw toApiError(error);
    }
    return currentSession();
  }

  const handlers: Handlers = {
    'app.info': async () => ({
      version: options.version ?? '0.0.0',
      mode: options.mode,
      configPath: options.configPath,
      sandbox: options.sandbox ?? false,
    }),
    'session.get': async () => currentSession(),
    'session.login': async (input) => {
      if (input.method === 'oidc') throw new ApiError('invalid-input', 'OIDC login is not available in this build yet; use a token, userpass or AppRole', 'method');
      return login(input);
    },
    'session.logout': async () => {
      await session.logout({ revoke: true });
      activity.add({ level: 'info', kind: 'logout', message: 'logged out; the token was revoked' });
      return currentSession();
    },
    'connections.list': async () => supervisor.list().map((s) => connectionView(s, databases.get(s.name))),
    'connections.setEnabled': async ({ name, enabled }) => {
      if (!supervisor.has(name)) throw new ApiError('not-found', `There is no connection named '${name}'.`, 'name');
      const status = enabled ? await supervisor.start(name) : await supervisor.stop(name);
      activity.add({
        level: status.state === 'error' ? 'error' : 'info',
        kind: enabled ? 'connection-on' : 'connection-off',
        message: enabled ? (status.state === 'error' ? `could not start: ${status.error}` : `listening on ${status.listen}`) : 'turned off',
        connection: name,
      });
      return connectionView(status, databases.get(name));
    },
    'activity.list': async () => activity.list(),
  };

  // Non-interactive start-up login (Vault Agent's token_file), then connections marked autoStart.
  const auth = config.vault.auth;
  if (auth.method === 'token' && auth.tokenFile) {
    const token = (await readFile(path.resolve(baseDir, auth.tokenFile), 'utf8').catch(() => '')).trim();
    if (token) await login({ method: 'token', token }).catch((error) => log.warn('start-up login failed', { error }));
  }
  for (const connection of config.connections) {
    if (connection.autoStart) await supervisor.start(connection.name);
  }

  return {
    async call<C extends CommandName>(command: C, input: CommandInput<C>): Promise<CommandOutput<C>> {
      const handler = handlers[command] as ((input: CommandInput<C>) => Promise<CommandOutput<C>>) | undefined;
      if (!handler) throw new ApiError('unknown-command', `Unknown command '${String(command)}'.`);
      try {
        return await handler(input);
      } catch (error) {
        throw toApiError(error);
      }
    },
    subscribe(listener) {
      events.on('event', listener);
      return () => events.off('event', listener);
    },
    async close() {
      await supervisor.stopAll();
      session.close();
      events.removeAllListeners();
    },
  };
}

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof UnknownConnectionError) return new ApiError('not-found', error.message);
  if (error instanceof VaultError) {
    const code = ({ unreachable: 'vault-unreachable', timeout: 'vault-unreachable', sealed: 'vault-sealed', 'permission-denied': 'permission-denied' } as const)[
      error.kind as 'unreachable'
    ];
    return new ApiError(code ?? 'invalid-input', error.message);
  }
  return new ApiError('internal', (error as Error).message ?? String(error));
}
