// The config the host runs and moving to a new one. A new config's connections are applied by
// diff (unchanged ones keep their sessions); the token agent's settings are applied in place
// (the proxy and the sink move; nothing else restarts); `vault` settings need a restart and are
// reported, not applied. A file that fails validation changes nothing: the error is logged and
// becomes an activity event the UI shows.
import type { Logger } from '../../broker/log';
import type { AppEvent, ConfigFileStatus, ReloadResult } from '../api';
import { ConfigError, loadConfig, type SesameConfig } from '../config';
import type { ActivityLog } from './activity';
import type { ConnectionSet } from './connection-set';
import { agentChanged, canonicalJson, settingsNeedingRestart, startingEverything } from './reload';

export interface ConfigState {
  config(): SesameConfig;
  applyConfig(next: SesameConfig, why: string): Promise<ReloadResult>;
  /** Read the config file and apply it; an invalid file throws its ConfigError and changes nothing. */
  reloadFromFile(): Promise<ReloadResult>;
  /**
   * A save the watcher saw: as reloadFromFile, but a file that says what already runs (Sesame's
   * own Settings save) changes nothing and says nothing; an invalid file does not throw.
   */
  reloadIfChanged(): Promise<void>;
  /** Whether the file on disk is what runs. */
  fileStatus(): ConfigFileStatus;
}

export interface ConfigStateOptions {
  initial: SesameConfig;
  configPath: string;
  mode: 'electron' | 'browser' | 'daemon';
  connections: ConnectionSet;
  activity: ActivityLog;
  /** Move the token agent to new settings (throws, changing nothing, when it cannot). */
  applyAgent(agent: SesameConfig['agent']): Promise<void>;
  /** Whether the shell watches the file (edits applied as saved). */
  watched: boolean;
  emit(event: AppEvent): void;
  log: Logger;
}

const list = (names: string[]) => (names.length > 0 ? ` (${names.join(', ')})` : '');

function agentSummary(agent: SesameConfig['agent']): string {
  const proxy = agent?.listen ? `the token agent's proxy listens on ${agent.listen}` : "the token agent's proxy is off";
  const parts = [proxy, agent?.tokenSink ? `the token sink is ${agent.tokenSink}` : 'no token sink'];
  // The opt-in (or opt-out) cache settings, only when they differ from the defaults.
  if (agent?.cache?.persist) parts.push('its cache is kept across restarts');
  if (agent?.cache?.staticSecrets === false) parts.push('KV secrets are not cached');
  if (agent?.requireRequestHeader === false) parts.push('requests without X-Vault-Request are accepted');
  return parts.join('; ');
}

export function createConfigState(options: ConfigStateOptions): ConfigState {
  const { connections, activity, log } = options;
  // Daemon mode has nobody to toggle a switch: every connection starts with the host.
  const prepare = (config: SesameConfig) => (options.mode === 'daemon' ? startingEverything(config) : config);
  let current = prepare(options.initial);
  let queue: Promise<unknown> = Promise.resolve();
  let problem: string | undefined;
  const fileStatus = (): ConfigFileStatus => ({ watched: options.watched, ...(problem ? { problem } : {}) });
  // Said after every read of the file: mirrors reload the settings it may have changed.
  const announce = () => options.emit({ event: 'config.file', payload: fileStatus() });

  async function apply(nextRaw: SesameConfig, why: string): Promise<ReloadResult> {
    const next = prepare(nextRaw);
    const restartNeeded = settingsNeedingRestart(current, next);
    if (agentChanged(current, next)) {
      await options.applyAgent(next.agent);
      activity.add({ level: 'info', kind: 'agent-changed', message: agentSummary(next.agent) });
    }
    const diff = await connections.apply(next.connections);
    // The running Vault client stays as it is until a restart.
    current = { ...next, vault: current.vault };
    const result: ReloadResult = {
      added: diff.added.map((c) => c.name),
      removed: diff.removed,
      changed: diff.changed.map((c) => c.name),
      unchanged: diff.unchanged,
      restartNeeded,
    };
    const summary =
      result.added.length + result.removed.length + result.changed.length === 0
        ? 'no connection changed'
        : `${result.changed.length} restarted${list(result.changed)}, ${result.added.length} added${list(result.added)}, ${result.removed.length} removed${list(result.removed)}`;
    activity.add({
      level: 'info',
      kind: 'config-applied',
      message: `${why}: ${summary}; ${result.unchanged.length} kept running${list(result.unchanged)}`,
    });
    log.info('config applied', { why, ...result });
    if (restartNeeded.length > 0) {
      activity.add({
        level: 'warn',
        kind: 'restart-needed',
        message: `the ${restartNeeded.join(' and ')} settings changed: they take effect when Sesame restarts`,
      });
    }
    return result;
  }

  const serialised = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => {});
    return run;
  };

  return {
    config: () => current,
    applyConfig: (next, why) => serialised(() => apply(next, why)),
    fileStatus,
    reloadFromFile: () => serialised(() => readAndApply(false)) as Promise<ReloadResult>,
    reloadIfChanged: () =>
      serialised(() => readAndApply(true)).then(
        () => undefined,
        (error: unknown) => {
          if (!(error instanceof ConfigError)) log.error('applying the changed config file failed', { error });
        },
      ),
  };

  async function readAndApply(ifChanged: boolean): Promise<ReloadResult | null> {
    let loaded: SesameConfig;
    try {
      loaded = await loadConfig(options.configPath);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      log.error('the changed config file is invalid; the running config stays', {
        file: options.configPath,
        problems: error.problems,
      });
      const said = `${error.message}\nThe running config stays until the file is fixed.`;
      // A watcher sees every save; the same problem is said once.
      if (said !== problem) activity.add({ level: 'error', kind: 'config-invalid', message: said });
      problem = said;
      announce();
      throw error;
    }
    const wasBroken = problem !== undefined;
    problem = undefined;
    try {
      if (ifChanged && canonicalJson(prepare(loaded)) === canonicalJson(current)) {
        if (wasBroken)
          activity.add({
            level: 'info',
            kind: 'config-fixed',
            message: 'the config file is valid again; nothing changed',
          });
        return null;
      }
      return await apply(loaded, wasBroken ? 'the config file was fixed' : 'the config file changed');
    } finally {
      announce();
    }
  }
}
