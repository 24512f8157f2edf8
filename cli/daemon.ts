// `sesame daemon --config FILE [--health ADDR]`: the agent and every broker in FILE, no UI.
// JSON logs on stderr (redacted by the logger), /live and /ready on a loopback address, reload
// on SIGHUP and when the file changes (connections whose settings did not change keep their
// sessions; an invalid file is logged and the running config stays), clean stop on SIGTERM.
import { ConfigError, loadConfig, type SesameConfig } from '../app/config';
import { createAppHost, type AppHost } from '../app/host';
import { createLogger, jsonLineSink, type Logger } from '../app/log';
import { parseHealthAddress, startHealthServer, type HealthServer } from './health';
import { readVersion, stopParts, untilSignal } from './lifecycle';
import { createNodePlatform } from './node-platform';

export interface DaemonOptions {
  config?: string;
  /** Overrides `daemon.health` in the config. */
  health?: string;
}

/** Activity the config state logs itself, with more detail; not logged twice. */
const LOGGED_BY_HOST = new Set(['config-applied', 'config-invalid']);

export async function runDaemon(options: DaemonOptions): Promise<number> {
  const configPath = options.config ?? process.env.SESAME_CONFIG;
  if (!configPath) throw new Error('--config FILE is required (or set SESAME_CONFIG)');
  if (options.health) parseHealthAddress(options.health);
  const log = createLogger('sesame', jsonLineSink);
  let config: SesameConfig;
  try {
    config = await loadConfig(configPath);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    log.error('the config file is invalid', { file: configPath, problems: error.problems });
    return 1;
  }
  const host = await createAppHost({
    configPath,
    config,
    platform: await createNodePlatform(log),
    mode: 'daemon',
    log,
    version: await readVersion(),
    watchConfig: true,
  });
  // The health endpoint may move with a reload (`daemon.health` changed and no --health pins it).
  let health: HealthServer | undefined;
  let healthWanted = options.health ?? config.daemon?.health;
  const healthLog = log.child('health');
  const followHealth = serialised(async () => {
    health = await moveHealth(host, options.health, healthWanted, health, healthLog);
    healthWanted = options.health ?? host.currentConfig().daemon?.health;
  });
  host.subscribe((e) => {
    if (e.event !== 'activity') return;
    if (e.payload.kind === 'config-applied') void followHealth();
    if (LOGGED_BY_HOST.has(e.payload.kind)) return;
    const fields = { kind: e.payload.kind, ...(e.payload.connection ? { connection: e.payload.connection } : {}) };
    log[e.payload.level](e.payload.message, fields);
  });
  for (const c of await host.call('connections.list', {})) {
    log.info(`connection ${c.name}: ${c.state}`, {
      connection: c.name,
      listen: c.listen,
      state: c.state,
      ...(c.error ? { error: c.error } : {}),
    });
  }

  if (healthWanted)
    health = await startHealthServer({ address: healthWanted, readiness: () => host.readiness(), log: healthLog });

  // Saves of the file are applied by the host's watcher; SIGHUP reloads it as it is now.
  const onHangup = () => {
    log.info('reloading the config (SIGHUP)', { file: configPath });
    host.reloadFromFile().catch((error: unknown) => {
      // An invalid file is logged by the host; the running config stays.
      if (!(error instanceof ConfigError)) log.error('reloading the config failed', { error });
    });
  };
  process.on('SIGHUP', onHangup);

  const signal = await untilSignal();
  log.info(`stopping on ${signal}`);
  process.off('SIGHUP', onHangup);
  await stopParts(
    [
      ['the health endpoints', async () => (await followHealth(), await health?.close())],
      ['the connections and the token agent', () => host.close()],
    ],
    (line) => log.warn(line),
  );
  log.info('stopped');
  return 0;
}

/** A reload may move the health endpoint (`daemon.health` changed and no --health pins it). */
async function moveHealth(
  host: AppHost,
  pinned: string | undefined,
  before: string | undefined,
  current: HealthServer | undefined,
  log: Logger,
) {
  const wanted = pinned ?? host.currentConfig().daemon?.health;
  if (wanted === before) return current;
  await current?.close();
  if (!wanted) return undefined;
  try {
    return await startHealthServer({ address: wanted, readiness: () => host.readiness(), log });
  } catch (error) {
    log.error('could not move the health endpoints', { address: wanted, error });
    return undefined;
  }
}

/** Runs one call at a time; a call made while one runs waits for it. */
function serialised<A extends unknown[]>(work: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  let queue = Promise.resolve();
  return (...args) => (queue = queue.then(() => work(...args)).catch(() => {}));
}
