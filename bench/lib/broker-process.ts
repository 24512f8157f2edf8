// The broker under test runs in its own process, as it does in the app (Sesame's main process,
// the client elsewhere), so a Node client in the benchmark never shares an event loop with it.
// Run directly, this file is that process: it reads `{ protocol, target, values }` on stdin
// (credentials never go on a command line), serves the connector on 127.0.0.1 through the
// broker's own listener with the values as cached credentials, and prints `{ "port": N }`.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Connector, SessionMeter } from '../../broker/connector';
import { createLiteralFetcher } from '../../broker/credentials';
import { startListener } from '../../broker/listener';
import { createLogger, jsonLineSink } from '../../broker/log';
import { createMysqlConnector, type MysqlTarget } from '../../broker/mysql';
import { createPostgresConnector, type PostgresTarget } from '../../broker/postgres';
import { onCleanup } from '../../sandbox/servers';

export type BrokerSpec =
  | { protocol: 'postgres'; target: PostgresTarget; values: Record<string, string> }
  | { protocol: 'mysql'; target: MysqlTarget; values: Record<string, string> };

export interface BrokerProcess {
  readonly port: number;
  /** CPU time the broker process has used so far (user + system), in µs. */
  cpuMicros(): Promise<number>;
  /** Ends the process (writing its CPU profile, when asked for). */
  stop(): Promise<void>;
}

const self = fileURLToPath(import.meta.url);

/** Starts the broker process; `cpuProfDir` makes it write a V8 CPU profile there on stop. */
export async function startBrokerProcess(spec: BrokerSpec, options: { cpuProfDir?: string } = {}): Promise<BrokerProcess> {
  const profile = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...profile, '--import', 'tsx', self], { stdio: ['pipe', 'pipe', 'inherit'] });
  const unregister = onCleanup(() => void child.kill('SIGKILL'));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin!.end(JSON.stringify(spec));
  const lines = createInterface({ input: child.stdout! });
  const nextLine = () =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const onExit = (code: number | null, signal: string | null) => reject(new Error(`the broker process exited with ${code ?? signal}`));
      child.once('exit', onExit);
      lines.once('line', (line) => {
        child.off('exit', onExit);
        resolve(JSON.parse(line) as Record<string, unknown>);
      });
    });
  const started = await nextLine();
  if (typeof started.port !== 'number') throw new Error(`the broker process failed to start: ${String(started.error)}`);
  const port = started.port;
  return {
    port,
    async cpuMicros() {
      const answer = nextLine();
      child.kill('SIGUSR2');
      return Number((await answer).cpu);
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
      unregister();
    },
  };
}

async function serveFromStdin(): Promise<void> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  const spec = JSON.parse(text) as BrokerSpec;
  const connector: Connector = spec.protocol === 'postgres' ? createPostgresConnector(spec.target) : createMysqlConnector(spec.target);
  const credentials = createLiteralFetcher(spec.values);
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
  process.on('SIGUSR2', () => {
    const { user, system } = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ cpu: user + system })}\n`);
  });
  process.once('SIGTERM', () => {
    controller.abort();
    // process.exit lets --cpu-prof write its profile; a signal's default action would not.
    void listener.close().finally(() => process.exit(0));
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
