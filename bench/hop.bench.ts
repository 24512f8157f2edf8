// The hop floor without a database: an echo server (its own process) reached directly, through
// socat, through a minimal Node relay (stream.pipe) and through the broker's data phase alone
// (broker/connector-kit's relay, no protocol: lib/hop-process.ts), in ROUNDS rounds, paths
// rotating. 64-byte ping-pong on one connection: round-trip p50/p99 and each hop's CPU per
// round trip; and a bulk stream echoed back: MB/s. This is where the data phase's cost per
// chunk shows without a server's noise: the database rows' broker/socat gap is this gap.
//   npx tsx bench/hop.bench.ts        BENCH_ROUND_TRIPS=50000 BENCH_BULK_MB=512 npx tsx bench/hop.bench.ts
import net from 'node:net';
import os from 'node:os';
import { knob, ROUNDS } from './lib/config';
import { startDataPhase, startEcho } from './lib/hop-process';
import { startRelays, stopRelays } from './lib/relays';
import { floorTarget, median, percentile, rowFromRounds, writeReport, type BenchRow } from './lib/report';
import { rotated } from './lib/sampler';

const ROUND_TRIPS = knob('ROUND_TRIPS', 20_000, 300);
const BULK_MB = knob('BULK_MB', 256, 4);

interface Hop {
  name: string;
  port: number;
  cpuMicros?: () => Promise<number>;
}

/** One connection, `count` sequential 64-byte round trips; each one's time in µs. */
function pingPong(port: number, count: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    const message = Buffer.alloc(64, 7);
    const times: number[] = [];
    let sent = 0;
    let got = 0;
    const send = () => {
      sent = performance.now();
      socket.write(message);
    };
    socket.once('connect', send);
    socket.on('data', (chunk: Buffer) => {
      got += chunk.length;
      if (got < message.length) return;
      got -= message.length;
      times.push((performance.now() - sent) * 1000);
      if (times.length === count) socket.end(() => resolve(times));
      else send();
    });
    socket.once('error', reject);
  });
}

/** Streams `mb` MB through `port` to the echo server and reads it all back; MB/s. */
function bulk(port: number, mb: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunk = Buffer.alloc(64 * 1024, 3);
    const total = mb * 1e6;
    let written = 0;
    let read = 0;
    const start = performance.now();
    const pump = () => {
      while (written < total) {
        written += chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
    };
    socket.once('connect', pump);
    socket.on('data', (data: Buffer) => {
      read += data.length;
      if (read >= written && written >= total) {
        socket.destroy();
        resolve(mb / ((performance.now() - start) / 1000));
      }
    });
    socket.once('error', reject);
  });
}

const echo = await startEcho();
const relays = await startRelays(echo.port, true);
const dataPhase = await startDataPhase(echo.port);
// BENCH_BASELINE=DIR: also the data phase of another checkout (its relay.ts), for a before/after.
const checkout = process.env.BENCH_BASELINE;
const baseline = checkout ? await startDataPhase(echo.port, `${checkout}/broker/connector-kit/relay.ts`) : undefined;
try {
  const hops: Hop[] = [
    { name: 'direct', port: echo.port },
    ...relays.map((r) => ({ name: r.name, port: r.port, cpuMicros: () => r.cpuMicros() })),
    { name: 'broker', port: dataPhase.port, cpuMicros: () => dataPhase.cpuMicros() },
    ...(baseline ? [{ name: 'baseline', port: baseline.port, cpuMicros: () => baseline.cpuMicros() }] : []),
  ];
  await Promise.all(hops.map((h) => pingPong(h.port, 200))); // warm up
  const p50 = new Map(hops.map((h) => [h.name, [] as number[]]));
  const p99 = new Map(hops.map((h) => [h.name, [] as number[]]));
  const cpu = new Map(hops.filter((h) => h.cpuMicros).map((h) => [h.name, [] as number[]]));
  const mbps = new Map(hops.map((h) => [h.name, [] as number[]]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const hop of rotated(hops, round)) {
      const before = await hop.cpuMicros?.();
      const times = await pingPong(hop.port, ROUND_TRIPS);
      if (before !== undefined) cpu.get(hop.name)!.push(((await hop.cpuMicros!()) - before) / ROUND_TRIPS);
      p50.get(hop.name)!.push(percentile(times, 0.5));
      p99.get(hop.name)!.push(percentile(times, 0.99));
      mbps.get(hop.name)!.push(await bulk(hop.port, BULK_MB));
    }
    console.log(
      `round ${round + 1}: ${hops.map((h) => `${h.name} ${p50.get(h.name)!.at(-1)!.toFixed(0)} µs`).join(', ')}`,
    );
  }
  const rows: BenchRow[] = [
    rowFromRounds(p50, {
      metric: '64-byte round trip p50',
      unit: 'µs',
      higherIsBetter: false,
      floorTarget: floorTarget(false),
    }),
    rowFromRounds(p99, {
      metric: '64-byte round trip p99',
      unit: 'µs',
      higherIsBetter: false,
      floorTarget: floorTarget(false),
    }),
    rowFromRounds(mbps, {
      metric: `${BULK_MB} MB echoed through (MB/s)`,
      unit: 'MB/s',
      higherIsBetter: true,
      floorTarget: floorTarget(true),
    }),
    ...[...cpu].map(([name, xs]) => ({
      metric: `${name === 'broker' ? "the broker's data phase" : name === 'baseline' ? `the data phase of ${checkout}` : name}: CPU per round trip`,
      broker: median(xs),
      unit: 'µs',
      higherIsBetter: false,
      ...(name === 'broker' && { target: Number((median(cpu.get('socat') ?? [NaN]) / 0.95).toFixed(1)) }),
    })),
  ];
  writeReport({
    name: 'Hop floor',
    rows,
    notes: [
      `direct = the echo server; socat (fork, nodelay); relay = a Node process piping both ways (stream.pipe); broker = broker/connector-kit's relay alone (reused read buffers), each hop in its own process. ${ROUND_TRIPS} round trips per path per round, ${ROUNDS} rounds.`,
      'CPU per round trip: user + system of the hop process (socat: its per-connection process); the broker target: at most socat / 0.95.',
      `1-minute load average at the end: ${os.loadavg()[0]!.toFixed(1)} (${os.cpus().length} cores, shared).`,
    ],
  });
} finally {
  await stopRelays(relays);
  await dataPhase.stop();
  await baseline?.stop();
  await echo.stop();
}
