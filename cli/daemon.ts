// `sesame daemon --config FILE`: the agent and every broker in FILE, no UI, JSON logs on
// stderr, clean stop on SIGTERM. Connections start at once (the daemon has nobody to toggle).
import { createAppHost } from '../app/host';
import { loadConfig } from '../app/config';
import { createLogger, jsonLineSink } from '../broker/log';
import { createNodePlatform } from './node-platform';
import { readVersion, untilSignal } from './lifecycle';

export async function runDaemon(options: { config?: string }): Promise<number> {
  const configPath = options.config ?? process.env.SESAME_CONFIG;
  if (!configPath) throw new Error('--config FILE is required (or set SESAME_CONFIG)');
  const log = createLogger('sesame', jsonLineSink);
  const config = await loadConfig(configPath);
  for (const connection of config.connections) connection.autoStart = true;
  const host = await createAppHost({ configPath, config, platform: await createNodePlatform(log), mode: 'daemon', log, version: await readVersion() });
  host.subscribe((e) => {
    if (e.event === 'activity') log.info(e.payload.message, { kind: e.payload.kind, connection: e.payload.connection, level: e.payload.level });
  });
  const connections = await host.call('connections.list', {});
  for (const c of connections) log.info(`connection ${c.name}: ${c.state}`, { connection: c.name, listen: c.listen, state: c.state, error: c.error });
  const signal = await untilSignal();
  log.info(`stopping on ${signal}`);
  await host.close();
  return 0;
}
