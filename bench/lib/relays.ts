// Floors for a brokered path: the cheapest userland hops between the same client and server, in
// the same run. `socat` (the hop floor) is an independent one in C, a process per
// connection; `relay` is a minimal Node TCP relay in its own process (no protocol parsing: two
// sockets piped both ways with TCP_NODELAY). broker/socat says how much of the broker's cost over
// direct is ours, broker/relay how much is our code rather than Node's, and socat/direct what any
// userland hop costs on this machine.
//
// Run directly, this file is the Node relay: `node --import tsx relays.ts PORT` relays
// 127.0.0.1:<new port> to 127.0.0.1:PORT and prints `{ "port": N }`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { freePort, isPortOpen, onCleanup } from '../../sandbox/servers';
import { flag } from './config';
import { childrenOf, cpuMicrosOf } from './proc';
import { answerCpuOnSignal, startServingProcess } from './serving-process';

export interface Relay {
  readonly name: 'relay' | 'socat';
  readonly port: number;
  /** CPU time so far (µs): the Node relay's; socat's and its per-connection processes' once they have ended. */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

const self = fileURLToPath(import.meta.url);

/** The floors for `targetPort`: socat when it is installed, and the Node relay unless BENCH_RELAY=0 or `nodeRelay` is false. */
export async function startRelays(targetPort: number, nodeRelay = flag('RELAY', false)): Promise<Relay[]> {
  const relays = nodeRelay ? [await startNodeRelay(targetPort)] : [];
  if (spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0) relays.push(await startSocat(targetPort));
  return relays;
}

export async function stopRelays(relays: readonly Relay[]): Promise<void> {
  await Promise.all(relays.map((r) => r.stop()));
}

async function startNodeRelay(targetPort: number): Promise<Relay> {
  const relay = await startServingProcess('relay process', ['--import', 'tsx', self, String(targetPort)]);
  return { name: 'relay', port: relay.port, cpuMicros: () => relay.cpuMicros(), stop: () => relay.stop() };
}

/** socat forks a process per connection, as a classic relay does. */
async function startSocat(targetPort: number): Promise<Relay> {
  const port = await freePort();
  const child = spawn(
    'socat',
    [`TCP4-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork,nodelay,backlog=128`, `TCP4:127.0.0.1:${targetPort},nodelay`],
    { stdio: 'ignore' },
  );
  const stop = stopper(child);
  for (let i = 0; !(await isPortOpen(port)); i++) {
    if (i === 50 || child.exitCode !== null) {
      await stop();
      throw new Error('socat did not start listening');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { name: 'socat', port, stop, cpuMicros: () => socatCpuMicros(child.pid!) };
}

/**
 * socat's CPU time with its finished connections': a child's time joins its parent's (cutime,
 * cstime) once reaped, so wait (up to 2 s) until the connections of the last run have ended.
 */
async function socatCpuMicros(pid: number): Promise<number> {
  for (let i = 0; i < 40 && childrenOf(pid).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
  return cpuMicrosOf(pid, true);
}

/** SIGTERM, then wait for the exit. */
function stopper(child: ChildProcess): () => Promise<void> {
  const unregister = onCleanup(() => void child.kill('SIGKILL'));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return async () => {
    child.kill('SIGTERM');
    await exited;
    unregister();
  };
}

/** The relay itself: what a broker's data phase would be with no broker in it. */
function relay(targetPort: number): void {
  const server = net.createServer({ noDelay: true }, (client) => {
    const backend = net.connect({ host: '127.0.0.1', port: targetPort, noDelay: true });
    const destroyBoth = () => {
      client.destroy();
      backend.destroy();
    };
    for (const socket of [client, backend]) socket.on('error', destroyBoth).on('close', destroyBoth);
    client.pipe(backend);
    backend.pipe(client);
  });
  answerCpuOnSignal();
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: (server.address() as net.AddressInfo).port })}\n`);
  });
  process.once('SIGTERM', () => process.exit(0));
}

if (process.argv[1] === self) relay(Number(process.argv[2]));
