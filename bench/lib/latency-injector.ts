// A remote server on loopback: a relay in its own process that holds every chunk for a set time
// before passing it on, both ways, so a server 127.0.0.1 away behaves as if it were `delayMs`
// away each way (this kernel has no netem). Put in front of the server, it is on every compared
// path alike. Chunks keep their order and the delay is not a bandwidth limit: chunks read while
// others wait are in flight together. Node's timers have millisecond granularity, so a chunk is
// sent on the first timer tick within HALF_TICK_MS of its due time: it waits delayMs ± ~0.5 ms
// (more on a busy machine). It measures what it really did and reports it (`delays()`), so a
// report says the delay that was applied, not the one that was asked for.
//
// Run directly, this file is the injector: `node --import tsx latency-injector.ts PORT MS`
// relays 127.0.0.1:<new port> to 127.0.0.1:PORT and prints `{ "port": N }`.
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { answerCpuOnSignal, startServingProcess } from './serving-process';

const self = fileURLToPath(import.meta.url);
/** Chunks due within this much of a timer tick go with it. */
const HALF_TICK_MS = 0.5;
/** A direction with this many bytes waiting stops reading until they are sent. */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;
/** Delays remembered for the report (the last ones). */
const KEPT_DELAYS = 20_000;

export interface LatencyInjector {
  readonly port: number;
  /** What the injector did since the last call: per-chunk delay percentiles in ms. */
  delays(): Promise<{ chunks: number; p50: number; p99: number; max: number }>;
  stop(): Promise<void>;
}

export async function startLatencyInjector(targetPort: number, delayMs: number): Promise<LatencyInjector> {
  const child = await startServingProcess('latency injector', [
    '--import',
    'tsx',
    self,
    String(targetPort),
    String(delayMs),
  ]);
  return {
    port: child.port,
    delays: async () => (await child.ask()).delays as Awaited<ReturnType<LatencyInjector['delays']>>,
    stop: () => child.stop(),
  };
}

const applied: number[] = [];
let chunks = 0;

function record(delay: number): void {
  chunks++;
  if (applied.length === KEPT_DELAYS) applied.shift();
  applied.push(delay);
}

/** Sends what `from` reads to `to` `delayMs` later, in order; a long queue or a full `to` pauses `from`. */
function delayed(from: net.Socket, to: net.Socket, delayMs: number): void {
  const queue: { due: number; read: number; chunk: Buffer }[] = [];
  let queued = 0;
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  const flush = () => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && queue[0]!.due <= now + HALF_TICK_MS) {
      const { read, chunk } = queue.shift()!;
      queued -= chunk.length;
      record(now - read);
      to.write(chunk);
    }
    if (queue.length > 0) arm();
    else if (ended) to.end();
    if (queued < MAX_QUEUED_BYTES && !to.writableNeedDrain) from.resume();
  };
  const arm = () => {
    timer ??= setTimeout(flush, Math.max(1, Math.round(queue[0]!.due - performance.now())));
  };
  from.on('data', (chunk: Buffer) => {
    const now = performance.now();
    queue.push({ due: now + delayMs, read: now, chunk });
    queued += chunk.length;
    if (queued >= MAX_QUEUED_BYTES || to.writableNeedDrain) from.pause();
    arm();
  });
  to.on('drain', () => {
    if (queued < MAX_QUEUED_BYTES) from.resume();
  });
  from.on('end', () => {
    ended = true;
    if (queue.length === 0) to.end();
  });
}

function inject(targetPort: number, delayMs: number): void {
  const server = net.createServer({ noDelay: true }, (client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort, noDelay: true });
    const destroyBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    // A side that closes still gets its last chunks delivered (a Terminate, a COM_QUIT): the
    // other side is ended by `delayed` once they are out, and destroyed after a grace period.
    for (const socket of [client, upstream])
      socket.on('error', destroyBoth).on('close', () => setTimeout(destroyBoth, 2_000).unref());
    delayed(client, upstream, delayMs);
    delayed(upstream, client, delayMs);
  });
  answerCpuOnSignal(() => {
    const sorted = applied.splice(0).sort((a, b) => a - b);
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
    const delays = { chunks, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? NaN };
    chunks = 0;
    return { delays };
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: (server.address() as net.AddressInfo).port })}\n`);
  });
  process.once('SIGTERM', () => process.exit(0));
}

if (process.argv[1] === self) inject(Number(process.argv[2]), Number(process.argv[3]));
