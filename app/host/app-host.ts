// The host the shells create. It holds one core (host.ts), or the first-run stand-in (setup.ts)
// while no config file exists, and can start a fresh core from the file when a command asks
// (a new Vault address, new agent settings, the first-run form saved). Subscribers and callers
// keep the same object across restarts; an `app.reset` event tells mirrors to read everything
// again. A core that cannot start with the new file gets the old file back and starts again.
// With `watchConfig`, saves of the file are applied as they happen, in every mode, and a file
// created by hand while the first-run form shows starts the host from it.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { ApiError, type AppEvent, type CommandInput, type CommandName, type CommandOutput } from '../api';
import type { RestartRequest } from './context';
import { createHostCore, type AppHost, type AppHostOptions, type CoreHooks } from './host';
import { watchConfigFile, type ConfigWatcher } from './config-watch';
import { createSetupHost } from './setup';

export async function createAppHost(options: AppHostOptions): Promise<AppHost> {
  const { log } = options;
  const events = new EventEmitter();
  events.setMaxListeners(0);
  let pending: RestartRequest | undefined;
  const requestRestart = (request: RestartRequest) => void (pending = request);
  let hooks: CoreHooks = { requestRestart };

  // The daemon has nobody to fill in a form: a missing file stays the error it is.
  let inSetup = false;
  const build = (fromFile: boolean): Promise<AppHost> | AppHost => {
    inSetup = false;
    if (options.config && !fromFile) return createHostCore(options, hooks);
    if (options.mode !== 'daemon' && !existsSync(options.configPath)) {
      inSetup = true;
      return createSetupHost(options, hooks);
    }
    return createHostCore({ ...options, config: undefined }, hooks);
  };

  let core: AppHost;
  let unsubscribe = () => {};
  const attach = (next: AppHost) => {
    core = next;
    unsubscribe = next.subscribe((event: AppEvent) => events.emit('event', event));
  };
  attach(await build(false));

  async function restart(request: RestartRequest): Promise<void> {
    log.info('restarting the host', { reason: request.reason });
    // What the user sees carries over: the Activity history and the connections they switched on.
    const [activityHistory, listed] = await Promise.all([
      core.call('activity.list', {}).catch(() => []),
      core.call('connections.list', {}).catch(() => []),
    ]);
    const switchedOn = listed.filter((c) => c.state !== 'off').map((c) => c.name);
    hooks = { requestRestart, activityHistory, switchedOn };
    // Closed before unsubscribing, so what closing says (terminals ended, connections off) is heard.
    await core.close();
    unsubscribe();
    try {
      attach(await build(true));
    } catch (error) {
      const why = (error as Error).message;
      log.error('the host could not start with the new settings; undoing them', { reason: request.reason, error: why });
      await request.rollback();
      attach(await build(true));
      events.emit('event', {
        event: 'app.reset',
        payload: { reason: `the new settings were undone: ${why}` },
      } satisfies AppEvent);
      throw new ApiError('conflict', `Sesame could not start with the new settings (${why}); they were undone.`);
    }
    events.emit('event', { event: 'app.reset', payload: { reason: request.reason } } satisfies AppEvent);
  }

  let restarting: Promise<void> | undefined;
  const settled = async () => {
    while (restarting) await restarting.catch(() => {});
  };

  async function fileSaved(): Promise<void> {
    await settled();
    if (!inSetup) return core.reloadIfChanged();
    if (!existsSync(options.configPath)) return;
    restarting = restart({ reason: `${options.configPath} was created`, rollback: async () => {} });
    await restarting.catch((error: Error) => log.error('could not start from the new config file', { error }));
    restarting = undefined;
  }
  const watcher: ConfigWatcher | undefined = options.watchConfig
    ? await watchConfigFile(options.configPath, () => void fileSaved()).catch((error: Error) => {
        log.warn('cannot watch the config file; edits apply on Reload', { file: options.configPath, error });
        return undefined;
      })
    : undefined;

  return {
    async call<C extends CommandName>(command: C, input: CommandInput<C>): Promise<CommandOutput<C>> {
      await settled();
      const output = await core.call(command, input);
      const request = pending;
      pending = undefined;
      if (!request) return output;
      restarting = restart(request);
      try {
        await restarting;
      } finally {
        restarting = undefined;
      }
      // What the settings are now is what the new core says (e.g. the proxy's bound address).
      if (command === 'settings.update') {
        const settings = await core.call('settings.get', {}).catch(() => undefined);
        return (settings ? { ...(output as CommandOutput<'settings.update'>), settings } : output) as CommandOutput<C>;
      }
      return output;
    },
    subscribe(listener) {
      events.on('event', listener);
      return () => events.off('event', listener);
    },
    reload: async (config) => (await settled(), core.reload(config)),
    reloadFromFile: async () => (await settled(), core.reloadFromFile()),
    reloadIfChanged: async () => (await settled(), core.reloadIfChanged()),
    currentConfig: () => core.currentConfig(),
    readiness: () => core.readiness(),
    async close() {
      watcher?.close();
      await settled();
      unsubscribe();
      await core.close();
      events.removeAllListeners();
    },
  };
}
