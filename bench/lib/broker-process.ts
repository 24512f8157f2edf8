// The broker under test runs in its own process, as it does in the app (Sesame's main process,
// the client elsewhere), so a Node client in the benchmark never shares an event loop with it.
// Run directly, this file is that process: it reads `{ protocol, target, values }` on stdin
// (credentials never go on a command line), serves the connector on 127.0.0.1 through the
// broker's own listener with the values as cached credentials (or, with `vault`, a
// vault-dynamic source that mints a database user per client connection and revokes it when
// the client leaves), and prints `{ "port": N }`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Connector, SessionMeter } from '../../broker/connector';
import { createLiteralFetcher, createVaultDynamicFetcher } from '../../broker/credentials';
import { startListener } from '../../broker/listener';
import { createLogger, jsonLineSink } from '../../broker/log';
import { createMysqlConnector, type MysqlTarget } from '../../broker/mysql';
import { createPostgresConnector, type PostgresTarget } from '../../broker/postgres';
import { createVaultClient } from '../../broker/vault';
import { answerCpuOnSignal, startServingProcess, type ServingProcess } from './serving-process';

/** A vault-dynamic source, `lease: per-connection`: each client connection gets a fresh user. */
export interface DynamicSource {
  address: string;
  token: string;
  /** `database/creds/<role>`. */
  path: string;
}

export type BrokerSpec = (
  { protocol: 'postgres'; target: PostgresTarget } | { protocol: 'mysql'; target: MysqlTarget }
) & { values: Record<string, string>; vault?: DynamicSource };

/** Stopping it writes its CPU profile, when asked for. */
export type BrokerProcess = ServingProcess;

const self = fileURLToPath(import.meta.url);

export interface BrokerProcessOptions {
  /** Write a V8 CPU profile here on stop. */
  cpuProfDir?: string;
  /**
   * Run the broker of another checkout of this repository (with node_modules), e.g. the last
   * commit exported with `git archive`, to compare before/after a change in the same run.
   */
  checkout?: string;
}

export async function startBrokerProcess(spec: BrokerSpec, options: BrokerProcessOptions = {}): Promise<BrokerProcess> {
  const profile = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [];
  const script = options.checkout ? path.resolve(options.checkout, 'bench', 'lib', 'broker-process.ts') : self;
  return startServingProcess('broker process', [...profile, '--import', 'tsx', script], JSON.stringify(spec));
}

async function serveFromStdin(): Promise<void> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  const spec = JSON.parse(text) as BrokerSpec;
  const connector: Connector =
    spec.protocol === 'postgres' ? createPostgresConnector(spec.target) : createMysqlConnector(spec.target);
  const credentials = spec.vault
    ? createVaultDynamicFetcher(
        createVaultClient({ address: spec.vault.address }),
        { token: async () => spec.vault!.token },
        { path: spec.vault.path, lease: 'per-connection' },
      )
    : createLiteralFetcher(spec.values);
  const log = createLogger(`bench.${spec.protocol}`, jsonLineSink, 'warn');
  const bytes = { toTarget: 0, toClient: 0 };
  const meter: SessionMeter = { toTarget: (n) => (bytes.toTarget += n), toClient: (n) => (bytes.toClient += n) };
  const controller = new AbortController();
  const listener = await startListener('127.0.0.1:0', (socket) => {
    connector
      .serve(socket, { connectionName: 'bench', credentials, log, meter, signal: controller.signal })
      .catch((err: unknown) => log.error('serve failed', { error: (err as Error).message }));
  });
  // Signal handlers first: the parent may signal as soon as it has read the port.
  answerCpuOnSignal();
  process.once('SIGTERM', () => {
    controller.abort();
    // process.exit lets --cpu-prof write its profile; a signal's default action would not.
    // A dynamic source revokes the users it minted.
    void Promise.allSettled([listener.close(), credentials.close?.()]).finally(() => process.exit(0));
  });
  const { address } = listener;
  process.stdout.write(`${JSON.stringify({ port: address.kind === 'tcp' ? address.port : 0 })}\n`);
}

if (process.argv[1] === self) {
  serveFromStdin().catch((err: unknown) => {
    process.stdout.write(`${JSON.stringify({ error: (err as Error).message })}\n`);
    process.exit(1);
  });
}
