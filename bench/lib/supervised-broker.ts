// A brokered connection as the app runs it: the connection supervisor (broker/supervisor) with
// one connection, in a process of its own with its open-file limit raised (a child shell's
// `ulimit -n`), for the idle-scale bench. It reads its spec as the first line on stdin
// (credentials never go on a command line), turns the connection on, prints `{ "port": N }`,
// then answers lines on stdin:
//   stats → { rss, heapUsed, external, active, openFiles } after a full GC
//   off   → { offMs, offCpuMs }: how long turning the connection off took (every client
//           closed), and the CPU time the broker spent meanwhile (the rest is waiting for a core)
//   heap FILE → { file }: a V8 heap snapshot written to FILE (what holds an idle connection's memory)
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { writeHeapSnapshot } from 'node:v8';
import type { Connector } from '../../broker/connector';
import { createLiteralFetcher } from '../../broker/credentials';
import { createLogger, jsonLineSink } from '../../broker/log';
import { createPostgresConnector, type PostgresTarget } from '../../broker/postgres';
import { createSshConnector, createSshHostKey, type SshTarget } from '../../broker/ssh';
import { createConnectionSupervisor } from '../../broker/supervisor';
import { onCleanup } from '../../sandbox/servers';

export type SupervisedSpec =
  | { protocol: 'postgres'; target: PostgresTarget; values: Record<string, string> }
  | { protocol: 'ssh'; target: SshTarget; values: Record<string, string> };

export interface BrokerStats {
  rss: number;
  heapUsed: number;
  /** The V8 heap's committed size: what the heap really takes, beside heapUsed. */
  heapTotal: number;
  external: number;
  active: number;
  openFiles: number;
}

export interface SupervisedBroker {
  readonly port: number;
  readonly pid: number;
  stats(): Promise<BrokerStats>;
  /** Writes a V8 heap snapshot of the broker to `file`. */
  heapSnapshot(file: string): Promise<string>;
  /** Turns the connection off; resolves with how long the supervisor took and the broker's CPU time meanwhile. */
  off(): Promise<{ offMs: number; offCpuMs: number }>;
  stop(): Promise<void>;
}

const self = fileURLToPath(import.meta.url);
const NAME = 'bench';

export async function startSupervisedBroker(spec: SupervisedSpec, openFiles: number): Promise<SupervisedBroker> {
  const dir = process.env.BENCH_PROFILE;
  const profile = dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
  // The shell raises the limit for itself and what it execs; a hard limit above ours needs root.
  const child: ChildProcess = spawn(
    '/bin/sh',
    [
      '-c',
      `ulimit -n ${openFiles} && exec "$@"`,
      'sh',
      process.execPath,
      ...profile,
      '--expose-gc',
      '--import',
      'tsx',
      self,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const unregister = onCleanup(() => void child.kill('SIGKILL'));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout! });
  const next = () =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the supervised broker exited (${code})`));
      child.once('exit', onExit);
      lines.once('line', (line) => {
        child.off('exit', onExit);
        resolve(JSON.parse(line) as Record<string, unknown>);
      });
    });
  const ask = (command: string) => {
    const answer = next();
    child.stdin!.write(`${command}\n`);
    return answer;
  };
  const started = next();
  child.stdin!.write(`${JSON.stringify(spec)}\n`);
  const { port, error } = await started;
  if (typeof port !== 'number') {
    child.kill('SIGKILL');
    throw new Error(`the supervised broker failed to start: ${String(error)}`);
  }
  return {
    port,
    pid: child.pid!,
    stats: async () => (await ask('stats')) as unknown as BrokerStats,
    heapSnapshot: async (file) => String((await ask(`heap ${file}`)).file),
    off: async () => (await ask('off')) as unknown as { offMs: number; offCpuMs: number },
    async stop() {
      child.stdin!.end();
      await exited;
      unregister();
    },
  };
}

function connectorFor(spec: SupervisedSpec): Connector {
  if (spec.protocol === 'postgres') return createPostgresConnector(spec.target);
  return createSshConnector({ target: spec.target, hostKey: createSshHostKey().privateKey });
}

async function serve(): Promise<void> {
  const input = createInterface({ input: process.stdin });
  const lines = input[Symbol.asyncIterator]();
  const spec = JSON.parse(String((await lines.next()).value)) as SupervisedSpec;
  const log = createLogger('bench', jsonLineSink, 'error');
  const supervisor = createConnectionSupervisor(log);
  supervisor.define({
    name: NAME,
    protocol: spec.protocol,
    listen: '127.0.0.1:0',
    target: `${spec.target.host}:${spec.target.port}`,
    connector: connectorFor(spec),
    credentials: createLiteralFetcher(spec.values),
  });
  const status = await supervisor.start(NAME);
  if (status.state !== 'ready') throw new Error(status.error ?? `the connection is ${status.state}`);
  process.stdout.write(`${JSON.stringify({ port: Number(status.listen.split(':').at(-1)) })}\n`);
  for await (const line of { [Symbol.asyncIterator]: () => lines }) {
    if (line === 'stats') {
      (globalThis as { gc?: () => void }).gc?.();
      const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
      const active = supervisor.status(NAME).stats.activeClients;
      const openFiles = readdirSync('/proc/self/fd').length;
      process.stdout.write(`${JSON.stringify({ rss, heapUsed, heapTotal, external, active, openFiles })}\n`);
    } else if (line.startsWith('heap ')) {
      process.stdout.write(`${JSON.stringify({ file: writeHeapSnapshot(line.slice(5)) })}\n`);
    } else if (line === 'off') {
      const start = performance.now();
      const cpu = process.cpuUsage();
      await supervisor.stop(NAME);
      const { user, system } = process.cpuUsage(cpu);
      process.stdout.write(
        `${JSON.stringify({ offMs: performance.now() - start, offCpuMs: (user + system) / 1000 })}\n`,
      );
    }
  }
  await supervisor.stopAll();
  process.exit(0);
}

if (process.argv[1] === self) {
  serve().catch((err: unknown) => {
    process.stdout.write(`${JSON.stringify({ error: (err as Error).message })}\n`);
    process.exit(1);
  });
}
