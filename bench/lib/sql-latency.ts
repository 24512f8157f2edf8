// The latency rows every database bench reports, for any SQL client library: a new connection
// (connect + SELECT 1 + end) and SELECT 1 on one open connection, sampled alternately per path
// in ROUNDS rounds (each round's percentile is one point of the row's spread).
import { ROUNDS } from './config';
import { floorTarget, median, rowFromRounds, type BenchRow } from './rows';
import { percentilesOf, sampleRounds } from './sampler';

export interface SqlConnection {
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
}

interface Path {
  readonly name: string;
}

/** The ratio that "at most `ms` more than direct" allows, given direct's figure. */
export const overheadTarget = (direct: number, ms: number): number => Number(((direct + ms) / direct).toFixed(3));

/**
 * `iterations` × connect + SELECT 1 + end per path, in blocks of 10: the p50 row (target: at
 * most `overheadMs` more than direct) and the p99 row. `label` marks the set (", 1 ms away").
 */
export async function newConnectionRows<P extends Path>(
  paths: readonly P[],
  iterations: number,
  open: (path: P) => Promise<SqlConnection>,
  options: { label?: string; overheadMs?: number } = {},
): Promise<BenchRow[]> {
  const { label = '', overheadMs = 1 } = options;
  const rounds = await sampleRounds(paths, { rounds: ROUNDS, iterations, block: 10 }, async (p) => {
    const connection = await open(p);
    await connection.query('select 1');
    await connection.end();
  });
  const p50 = percentilesOf(rounds, 0.5);
  return [
    rowFromRounds(p50, {
      metric: `new connection p50 (connect + SELECT 1 + end)${label}`,
      unit: 'ms',
      higherIsBetter: false,
      target: overheadTarget(median(p50.get('direct')!), overheadMs),
    }),
    rowFromRounds(percentilesOf(rounds, 0.99), {
      metric: `new connection p99${label}`,
      unit: 'ms',
      higherIsBetter: false,
    }),
  ];
}

/**
 * `iterations` SELECT 1 round trips on one open connection per path, in blocks of 500: the p50
 * and p99 rows, data-phase rows with the hop floor. `targetP50` bounds broker/direct at p50.
 */
export async function selectOneRows<P extends Path>(
  paths: readonly P[],
  iterations: number,
  open: (path: P) => Promise<SqlConnection>,
  options: { label?: string; targetP50?: number } = {},
): Promise<BenchRow[]> {
  const { label = '', targetP50 = 1.15 } = options;
  const connections = new Map<string, SqlConnection>();
  for (const p of paths) {
    const connection = await open(p);
    await connection.query('select 1'); // warm up
    connections.set(p.name, connection);
  }
  const rounds = await sampleRounds(paths, { rounds: ROUNDS, iterations, block: 500 }, (p) =>
    connections.get(p.name)!.query('select 1'),
  );
  await Promise.all([...connections.values()].map((c) => c.end()));
  const floor = floorTarget(false);
  return [
    rowFromRounds(percentilesOf(rounds, 0.5), {
      metric: `one-connection SELECT 1 p50${label}`,
      unit: 'ms',
      higherIsBetter: false,
      target: targetP50,
      floorTarget: floor,
    }),
    rowFromRounds(percentilesOf(rounds, 0.99), {
      metric: `one-connection SELECT 1 p99${label}`,
      unit: 'ms',
      higherIsBetter: false,
      floorTarget: floor,
    }),
  ];
}
