// A benchmark's rows and what they say: the figures per path, the ratios broker/direct and
// broker/socat (the hop floor) with their spread over rounds, and whether each goal was met.
// A row measured in rounds carries each round's figures; its ratios are the median of the
// per-round ratios with their min–max, so the spread says how far to trust it.

export interface BenchRow {
  /** What was measured, e.g. `pgbench -S -c 8 (TPS)`. */
  metric: string;
  /** The broker's figure (the median of `rounds.broker` when measured in rounds). */
  broker: number;
  /**
   * The direct path's figure. Absent for a figure of the broker alone (memory per connection,
   * failures, time to turn off): `target` is then a bound on `broker` itself.
   */
  direct?: number;
  /** Unit of the figures, e.g. `tps`, `ms`, `MB/s`. */
  unit: string;
  /** True when a larger number is better (throughput); false for latencies, memory, failures. */
  higherIsBetter: boolean;
  /** The goal: the ratio broker/direct (≥ for throughput, ≤ otherwise), or the broker's own bound without `direct`. */
  target?: number;
  /** The hop floor's goal as the ratio broker/socat (≥ for throughput, ≤ otherwise; floorTarget()). */
  floorTarget?: number;
  /**
   * The same measurement through other paths to the same server, by name: the floors (`socat`,
   * `relay`: minimal userland hops, lib/relays.ts) and, when asked for, a `baseline` broker from
   * another checkout (lib/broker-process.ts).
   */
  references?: Readonly<Record<string, number>>;
  /** Each round's figure by path (`direct`, `broker`, references); index i is round i for all. */
  rounds?: Readonly<Record<string, readonly number[]>>;
}

export interface BenchReport {
  name: string;
  rows: BenchRow[];
  notes?: string[];
}

/** The hop floor: the broker does at least 95 % as well as socat on every data-phase row. */
export const FLOOR = 0.95;

/** `FLOOR` as the bound on broker/socat for a row: ≥ 0.95 for throughput, ≤ 1/0.95 for latency. */
export const floorTarget = (higherIsBetter: boolean): number =>
  higherIsBetter ? FLOOR : Number((1 / FLOOR).toFixed(3));

/** `percentile([..], 0.99)` over unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** A path's figure in a row: `direct`, `broker` or a reference. */
function figure(row: BenchRow, name: string): number | undefined {
  if (name === 'broker') return row.broker;
  if (name === 'direct') return row.direct;
  return row.references?.[name];
}

/** broker/`over` (direct, socat, relay…): the median of the per-round ratios and their range. */
export function ratioSpread(row: BenchRow, over: string): Spread | undefined {
  const top = row.rounds?.broker;
  const bottom = row.rounds?.[over];
  if (top && bottom && top.length === bottom.length && top.length > 0) {
    const ratios = top.map((value, i) => value / bottom[i]!);
    return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
  }
  const base = figure(row, over);
  if (base === undefined) return undefined;
  const ratio = row.broker / base;
  return { median: ratio, min: ratio, max: ratio };
}

/** Met the goal? undefined when the row has none. */
export function meetsTarget(row: BenchRow): boolean | undefined {
  if (row.target === undefined) return undefined;
  const value = row.direct === undefined ? row.broker : ratioSpread(row, 'direct')!.median;
  return row.higherIsBetter ? value >= row.target : value <= row.target;
}

/** Met the hop floor (broker/socat)? undefined without a floor goal or a socat figure. */
export function meetsFloor(row: BenchRow): boolean | undefined {
  const spread = ratioSpread(row, 'socat');
  if (row.floorTarget === undefined || !spread) return undefined;
  return row.higherIsBetter ? spread.median >= row.floorTarget : spread.median <= row.floorTarget;
}

/** A row from each round's figure per path: medians as the figures, the rounds kept for the spread. */
export function rowFromRounds(
  rounds: ReadonlyMap<string, readonly number[]>,
  shape: Omit<BenchRow, 'broker' | 'direct' | 'references' | 'rounds'>,
): BenchRow {
  const medians = new Map([...rounds].map(([name, values]) => [name, median(values)]));
  const references = Object.fromEntries([...medians].filter(([name]) => name !== 'direct' && name !== 'broker'));
  return {
    ...shape,
    broker: medians.get('broker')!,
    ...(medians.has('direct') && { direct: medians.get('direct') }),
    ...(Object.keys(references).length > 0 && { references }),
    rounds: Object.fromEntries(rounds),
  };
}
