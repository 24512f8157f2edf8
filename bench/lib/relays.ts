// Floors for a brokered path: the cheapest userland hops between the same client and server, in
// the same run. `relay` is a minimal Node TCP relay in its own process (no protocol parsing: two
// sockets piped both ways with TCP_NODELAY); `socat` (when installed) is an independent one in C.
// broker/relay then says how much of the broker's cost over direct is our code, and relay/direct
// what any userland hop costs on this machine.
//
// Run directly, this file is the Node relay: `node --import tsx relays.ts PORT` relays
// 127.0.0.1:<new port> to 127.0.0.1:PORT and prints `{ "port": N }`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { freePort, isPortOpen, onCleanup } from '../../sandbox/servers';
import { answerCpuOnSignal, startServingProcess } from './serving-process';

export interface Relay {
  readonly name: 'relay' | 'socat';
  readonly port: number;
  /** The Node relay's CPU time so far (µs); socat's per-connection processes are not counted. */
  cpuMicros?(): Promise<number>;
  stop(): Promise<void>;
}

const self = fileURLToPath(import.meta.url);

/** The floors for `targetPort`: the Node relay, and socat when it is installed. */
export async function startRelays(targetPort: number): Promise<Relay[]> {
  const relays = [await startNodeRelay(targetPort)];
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
  return { name: 'socat', port, stop };
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
