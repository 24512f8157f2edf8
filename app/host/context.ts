// What the command handlers share: the host's parts, the current config and how to move to a
// new one. One object, built once by createAppHost.
import type { VaultSession } from '../../broker/vault-session';
import type { Logger } from '../../broker/log';
import type { VaultClient } from '../../broker/vault';
import {
  ApiError,
  type AppEvent,
  type AppInfo,
  type ConfigFileStatus,
  type CommandInput,
  type CommandName,
  type CommandOutput,
  type ReloadResult,
  type SessionView,
} from '../api';
import type { SesameConfig } from '../config';
import type { Platform } from '../platform';
import type { ActivityLog } from './activity';
import type { TokenAgent } from './token-agent';
import type { ConnectionSet } from './connection-set';

/** A command asks the wrapper (app-host.ts) to start a fresh core from the file. */
export interface RestartRequest {
  /** In words, for the activity log and the `app.reset` event. */
  reason: string;
  /** Undo the config change when the host cannot start with it. */
  rollback(): Promise<void>;
}

export interface HostContext {
  configPath: string;
  mode: 'electron' | 'browser' | 'daemon';
  version: string;
  sandbox: boolean;
  sandboxLogins?: AppInfo['sandboxLogins'];
  log: Logger;
  platform: Platform;
  vault: VaultClient;
  session: VaultSession;
  /** The lease registry and, when configured, the caching proxy. */
  agent: TokenAgent;
  connections: ConnectionSet;
  activity: ActivityLog;
  emit(event: AppEvent): void;
  currentSession(): SessionView;
  /** The config the host runs now. */
  config(): SesameConfig;
  /** Move to `next` (diffing connections); `why` words the activity entry. */
  applyConfig(next: SesameConfig, why: string): Promise<ReloadResult>;
  /** Read the config file and apply it; a file that fails validation changes nothing and is reported. */
  reloadFromFile(): Promise<ReloadResult>;
  /** Whether the file on disk is what runs (a hand edit with a problem is not). */
  configFile(): ConfigFileStatus;
  /** Start the host again from the config file once the current command has answered. */
  requestRestart(request: RestartRequest): void;
}

export type Handler<C extends CommandName> = (input: CommandInput<C>) => Promise<CommandOutput<C>>;
export type Handlers = { [C in CommandName]: Handler<C> };

/** The connection named, or a not-found error naming it (no state is touched). */
export function requireConnection(ctx: HostContext, name: string) {
  const config = ctx.connections.config(name);
  if (!config) throw new ApiError('not-found', `There is no connection named '${name}'.`, 'name');
  return config;
}
