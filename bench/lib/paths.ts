// The paths a database benchmark compares, all to the same server in the same run: direct, the
// floors (lib/relays.ts: socat and a raw Node relay), the broker, and optionally a baseline
// broker from another checkout (BENCH_BASELINE=DIR), so a change to the data phase is measured
// before/after side by side. Every figure is taken in ROUNDS rounds, paths alternating.
import { startBrokerProcess, type BrokerProcess, type BrokerProcessOptions, type BrokerSpec } from './broker-process';
import { ROUNDS } from './config';
import { startRelays, stopRelays } from './relays';
import { rowFromRounds, type BenchRow } from './rows';
import { rotated } from './sampler';

export type PathName = 'direct' | 'relay' | 'socat' | 'broker' | 'baseline';

/** Paths that log in themselves with the password, vs paths where the broker logs in. */
export const usesPassword = (name: PathName): boolean => name === 'direct' || name === 'relay' || name === 'socat';

export interface ComparedPaths {
  /** Ports by path, in the order they are measured in round 0. */
  readonly ports: ReadonlyMap<PathName, number>;
  /** The hop processes on the paths, whose CPU time can be read: `relay`, `socat`, `broker`, `baseline`. */
  readonly processes: ReadonlyMap<PathName, { cpuMicros(): Promise<number> }>;
  stop(): Promise<void>;
}

export async function startComparedPaths(
  targetPort: number,
  spec: BrokerSpec,
  options: Pick<BrokerProcessOptions, 'cpuProfDir'> & { nodeRelay?: boolean } = {},
): Promise<ComparedPaths> {
  const relays = await startRelays(targetPort, options.nodeRelay);
  const brokers: BrokerProcess[] = [];
  try {
    brokers.push(await startBrokerProcess(spec, { cpuProfDir: options.cpuProfDir }));
    const checkout = process.env.BENCH_BASELINE;
    if (checkout) brokers.push(await startBrokerProcess(spec, { checkout }));
  } catch (err) {
    await Promise.all([stopRelays(relays), ...brokers.map((b) => b.stop())]);
    throw err;
  }
  const [broker, baseline] = brokers;
  const ports = new Map<PathName, number>([
    ['direct', targetPort],
    ...relays.map((r) => [r.name, r.port] as const),
    ['broker', broker!.port],
  ]);
  if (baseline) ports.set('baseline', baseline.port);
  return {
    ports,
    processes: new Map<PathName, { cpuMicros(): Promise<number> }>([
      ...relays.map((r) => [r.name, r] as const),
      ['broker', broker!],
      ...(baseline ? [['baseline', baseline] as const] : []),
    ]),
    stop: async () => {
      await Promise.all([stopRelays(relays), ...brokers.map((b) => b.stop())]);
    },
  };
}

export type RowShape = Omit<BenchRow, 'direct' | 'broker' | 'references' | 'rounds'>;

/**
 * A throughput row: ROUNDS rounds, each path once per round in the round's rotated order. `run`
 * returns the path's figure and how many units of work (transactions, queries, MB) it did; the
 * hop processes' CPU per unit goes to `cpuNotes` as `METRIC: relay 27.1, broker 27.5 µs/UNIT`.
 */
export async function throughputRow<E extends { readonly name: string }>(
  endpoints: readonly E[],
  paths: ComparedPaths,
  shape: RowShape & { readonly unitOfWork: string },
  cpuNotes: string[],
  run: (endpoint: E) => Promise<{ value: number; units: number }>,
): Promise<BenchRow> {
  const { unitOfWork, ...rowShape } = shape;
  const cpu = new Map<string, { micros: number; units: number }>();
  const rounds = new Map(endpoints.map((e) => [e.name, [] as number[]]));
  for (let round = 0; round < ROUNDS; round++) {
    const values = await measureEach(endpoints, round, shape.metric, async (e) => {
      const { result, cpuMicros } = await withHopCpu(paths, e.name, () => run(e));
      if (cpuMicros !== undefined) {
        const sum = cpu.get(e.name) ?? { micros: 0, units: 0 };
        cpu.set(e.name, { micros: sum.micros + cpuMicros, units: sum.units + result.units });
      }
      return result.value;
    });
    for (const [name, value] of values) rounds.get(name)!.push(value);
  }
  const perUnit = [...cpu].sort().map(([name, c]) => `${name} ${(c.micros / c.units).toFixed(1)}`);
  cpuNotes.push(`${shape.metric}: ${perUnit.join(', ')} µs/${unitOfWork}`);
  return rowFromRounds(rounds, rowShape);
}

/** Measures each path once, in `round`'s rotated order; prints the values under `label`. */
export async function measureEach<E extends { readonly name: string }>(
  endpoints: readonly E[],
  round: number,
  label: string,
  measure: (endpoint: E) => Promise<number>,
): Promise<Map<string, number>> {
  const values = new Map<string, number>();
  for (const e of rotated(endpoints, round)) values.set(e.name, await measure(e));
  console.log(`${label}: ${endpoints.map((e) => `${e.name} ${values.get(e.name)!.toFixed(0)}`).join(', ')}`);
  return values;
}

/**
 * Runs `work` through `path` and returns its result with the CPU time (user + system, µs) the
 * path's hop process spent meanwhile: steadier than throughput on a busy machine, and what a
 * data-phase change should lower.
 */
export async function withHopCpu<T>(
  paths: ComparedPaths,
  path: string,
  work: () => Promise<T>,
): Promise<{ result: T; cpuMicros?: number }> {
  const hop = paths.processes.get(path as PathName);
  if (!hop) return { result: await work() };
  const before = await hop.cpuMicros();
  const result = await work();
  return { result, cpuMicros: (await hop.cpuMicros()) - before };
}
