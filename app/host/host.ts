// The host core: implements the AppApi over the broker and one config. app-host.ts wraps it
// (restarts, first-run setup); shells create that and hand it a Platform, never the reverse.
// The commands live in commands/, the connections in connection-set.ts, reloads in
// config-state.ts; this file wires them together and runs the start-up.
import { EventEmitter } from 'node:events';
import path from 'node:path';
import type { Logger } from '../../broker/log';
import { createAuditLog } from '../../broker/audit';
import { createConnectionSupervisor } from '../../broker/supervisor';
import { createVaultClient } from '../../broker/vault';
import type {
  ActivityEvent,
  AppApi,
  AppEvent,
  AppInfo,
  ConnectionView,
  CommandInput,
  CommandName,
  CommandOutput,
  ReloadResult,
} from '../api';
import { vaultAnswers } from '../api';
import { loadConfig, type SesameConfig } from '../config';
import type { Platform } from '../platform';
import { createActivityLog } from './activity';
import { createHostSession, DEFAULT_HOLD_MS, reportSessionEvents, startTokenAgent } from './token-agent';
import { resolveConfigPath } from './credential-sources';
import { mirrorDynamicLeases } from './lease-mirror';
import { prepareLocalTls } from './local-tls';
import { createKeyStore, keyFolder } from './key-store';
import { createSshHostKeys } from './ssh';
import { configHandlers } from './commands/config';
import { connectionHandlers } from './commands/connections';
import { launchHandlers } from './commands/launch';
import { leaseHandlers } from './commands/leases';
import { sessionHandlers } from './commands/session';
import { checkVaultFrom, settingsHandlers } from './commands/settings';
import { terminalCommands } from './commands/terminal';
import { createConfigState } from './config-state';
import { createConnectionSet } from './connection-set';
import { reportWaitingClients } from './waiting-clients';
import { createKeyApprovals } from './key-approvals';
import { connectionSpecFor } from './connection-specs';
import type { Handlers, HostContext, RestartRequest } from './context';
import { toApiError } from './errors';
import { watchVaultHealth } from './vault-health';
import { readinessOf, type Readiness } from './readiness';
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
  /** The sandbox's demo logins (only with `sandbox`), for the login form. */
  sandboxLogins?: AppInfo['sandboxLogins'];
  version?: string;
  /** Between Vault health checks while Vault is up (default 5 s). */
  vaultHealthIntervalMs?: number;
  /** Apply the config file's edits as they are saved (the shells: every mode); tests reload by hand. */
  watchConfig?: boolean;
}

/** What the core may ask of the wrapper around it (app-host.ts), and what a restart carries over. */
export interface CoreHooks {
  requestRestart(request: RestartRequest): void;
  /** The Activity history of the core this one replaces: a restart does not erase it. */
  activityHistory?: readonly ActivityEvent[];
  /** Connections that were on in the core this one replaces: they are turned on again. */
  switchedOn?: readonly string[];
}

export interface AppHost extends AppApi {
  /** Graceful stop: listeners closed, sessions ended, timers cleared. The token is kept. */
  close(): Promise<void>;
  /** Apply a validated config: unchanged connections keep their sessions, changed ones restart. */
  reload(config: SesameConfig): Promise<ReloadResult>;
  /** Read the config file and apply it; an invalid file throws its ConfigError and changes nothing. */
  reloadFromFile(): Promise<ReloadResult>;
  /** A save of the file was seen: apply it when it changed what runs; an invalid file is reported, not thrown. */
  reloadIfChanged(): Promise<void>;
  /** The config the host runs now. */
  currentConfig(): SesameConfig;
  /** Logged in (when Vault is needed) and every connection ready, with the detail. */
  readiness(): Readiness;
}

export async function createHostCore(options: AppHostOptions, hooks: CoreHooks): Promise<AppHost> {
  const { log, platform } = options;
  const initial = options.config ?? (await loadConfig(options.configPath));
  const baseDir = path.dirname(path.resolve(options.configPath));
  const events = new EventEmitter();
  const emit = (event: AppEvent) => events.emit('event', event);

  const vault = createVaultClient({
    address: initial.vault.address,
    ...(initial.vault.namespace ? { namespace: initial.vault.namespace } : {}),
    ...(initial.vault.caCert ? { caCertFile: resolveConfigPath(initial.vault.caCert, baseDir) } : {}),
  });
  const session = createHostSession(vault, initial, baseDir, platform, log.child('session'), options.mode !== 'daemon');
  // Every client session ends as one line of <config dir>/audit/audit.jsonl (broker/audit).
  const audit = createAuditLog({
    dir: path.join(baseDir, 'audit'),
    onError: (error) => log.warn('a session was not written to the audit file', { error }),
  });
  const supervisor = createConnectionSupervisor(log.child('broker'), {
    onSessionEnded: (record) => audit.write(record),
  });
  const activity = createActivityLog(1000, (payload) => emit({ event: 'activity', payload }), hooks.activityHistory);
  const agent = await startTokenAgent(session, initial, baseDir, emit, log, platform.secrets, activity);
  const onLease = mirrorDynamicLeases(agent.registry, vault, () => session.token({ waitMs: 0 }));
  // While Vault answers, what a connection would do without it is not news: shown only when it cannot.
  let vaultDown = false;
  const decorate = (view: ConnectionView): ConnectionView => {
    const fingerprint = view.protocol === 'ssh' ? sshHostKeys.get(view.name)?.fingerprint : undefined;
    const { offline, ...rest } = view;
    return {
      ...rest,
      ...(fingerprint ? { hostKeyFingerprint: fingerprint } : {}),
      ...(offline && vaultDown && view.state !== 'off' ? { offline } : {}),
    };
  };
  const keyApprovals = createKeyApprovals({
    activity,
    platform,
    changed: (open) => emit({ event: 'keys.requests', payload: open }),
  });
  // "Allow for this session" ends with the Vault session.
  session.onChange((snapshot) => void (snapshot.state === 'logged-out' && keyApprovals.forgetGrants()));
  const keys = createKeyStore(platform.secrets, keyFolder(options.configPath));
  const sshHostKeys = createSshHostKeys(keys, log.child('ssh'));
  const localTls = await prepareLocalTls({ secrets: keys, dir: baseDir, log: log.child('tls'), activity });
  const connections = createConnectionSet({
    supervisor,
    buildSpec: (config) =>
      connectionSpecFor(config, {
        vault,
        session,
        baseDir,
        onLease,
        sshHostKeys,
        log: log.child('connection'),
        localTls: localTls.identity,
        ...(options.mode === 'daemon' ? {} : { approveKeyUse: keyApprovals.ask }),
      }),
    ...(localTls.caFile ? { tlsCaFile: localTls.caFile } : {}),
    prepare: (configs) => sshHostKeys.prepare(configs),
    emit,
    decorate,
    activity,
    log,
  });
  const state = createConfigState({
    initial,
    configPath: options.configPath,
    mode: options.mode,
    connections,
    activity,
    applyAgent: (next) => agent.reconfigure(next),
    watched: options.watchConfig ?? false,
    emit,
    log,
  });

  let starting = true;
  let restored = false;
  reportSessionEvents(session, activity, platform, () => starting);
  const noticeRestore = session.onEvent((event) => void (event.type === 'restored' && (restored = true)));
  const health = watchVaultHealth(vault, {
    activity,
    onChange: (payload) => {
      emit({ event: 'vault.health', payload });
      const down = !vaultAnswers(payload.status);
      if (down === vaultDown) return;
      vaultDown = down;
      // Each connection says whether it keeps working from cache (or stops saying so).
      for (const view of connections.list()) emit({ event: 'connection.changed', payload: view });
    },
    notify: (title, body) => platform.notify(title, body),
    ...(options.vaultHealthIntervalMs ? { intervalMs: options.vaultHealthIntervalMs } : {}),
  });

  const currentSession = () =>
    sessionView(
      session.snapshot(),
      vault.address,
      initial.vault.namespace,
      supervisor.waitingClients(),
      initial.vault.holdClientsFor ?? DEFAULT_HOLD_MS,
    );
  session.onChange(() => emit({ event: 'session.changed', payload: currentSession() }));
  reportWaitingClients(supervisor, platform, () => emit({ event: 'session.changed', payload: currentSession() }));
  supervisor.onChange((status) =>
    emit({
      event: 'connection.changed',
      payload: decorate(connectionView(status, connections.config(status.name), localTls.caFile)),
    }),
  );
  supervisor.onEvent((e) =>
    activity.add({
      level: e.kind === 'credential-error' ? 'error' : e.kind === 'client-waiting' ? 'warn' : 'info',
      kind: e.kind,
      message: e.message,
      connection: e.connection,
      ...(e.address ? { client: e.address } : {}),
      ...(e.process
        ? { process: { pid: e.process.pid, name: e.process.name, ...(e.process.exe ? { exe: e.process.exe } : {}) } }
        : {}),
    }),
  );

  const ctx: HostContext = {
    configPath: options.configPath,
    mode: options.mode,
    version: options.version ?? '0.0.0',
    sandbox: options.sandbox ?? false,
    ...(options.sandbox && options.sandboxLogins ? { sandboxLogins: options.sandboxLogins } : {}),
    log,
    platform,
    vault,
    session,
    agent,
    connections,
    activity,
    emit,
    currentSession,
    config: state.config,
    applyConfig: state.applyConfig,
    reloadFromFile: state.reloadFromFile,
    configFile: state.fileStatus,
    requestRestart: hooks.requestRestart,
  };
  const terminals = terminalCommands(ctx, sshHostKeys);
  // Total: a command added to the contract without a handler does not compile.
  const handlers: Handlers = {
    ...sessionHandlers(ctx),
    ...connectionHandlers(ctx),
    ...launchHandlers(ctx),
    ...configHandlers(ctx),
    ...leaseHandlers(ctx),
    ...settingsHandlers(ctx),
    ...terminals.handlers,
    'keys.requests': async () => keyApprovals.open(),
    'keys.answer': async ({ id, decision }) => (keyApprovals.answer(id, decision), {}),
    'vault.health': async () => health.current(),
    'vault.check': async ({ address, caCert }) => checkVaultFrom(baseDir, address, caCert),
  };

  // The session from the keychain, else the config's non-interactive login (Vault Agent's
  // auto-auth); then the connections (those marked autoStart — every one in daemon mode).
  const started = await session.start().catch((error: Error) => {
    log.warn('start-up login failed', { error });
    activity.add({ level: 'error', kind: 'login-failed', message: `start-up login failed: ${error.message}` });
    return undefined;
  });
  starting = false;
  noticeRestore();
  // The caching proxy after the login: its persistent cache belongs to the session token.
  await agent.start().catch(async (error: unknown) => {
    keyApprovals.close();
    await terminals.close();
    await agent.close();
    await health.close();
    await audit.close();
    session.close();
    throw error;
  });
  // A session restored from the keychain has said so already.
  if (started?.state === 'authenticated' && !restored) {
    activity.add({
      level: 'info',
      kind: 'login',
      message: `logged in to ${vault.address} with ${started.method} (policies: ${started.policies.join(', ')})`,
    });
  }
  await connections.apply(state.config().connections);
  // After a restart, what the user had switched on is on again.
  for (const name of hooks.switchedOn ?? []) {
    if (connections.config(name)) await connections.setEnabled(name, true).catch(() => {});
  }

  return {
    async call<C extends CommandName>(command: C, input: CommandInput<C>): Promise<CommandOutput<C>> {
      const handler = handlers[command] as (input: CommandInput<C>) => Promise<CommandOutput<C>>;
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
    reload: (config) => state.applyConfig(config, 'the config was reloaded'),
    reloadFromFile: state.reloadFromFile,
    reloadIfChanged: state.reloadIfChanged,
    currentConfig: state.config,
    readiness: () => readinessOf(state.config(), currentSession(), connections.list()),
    async close() {
      keyApprovals.close();
      await terminals.close();
      await connections.close();
      await agent.close();
      await health.close();
      await audit.close();
      session.close();
      events.removeAllListeners();
    },
  };
}
