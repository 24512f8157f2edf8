// The latency rows every database bench reports, for any SQL client library: a new connection
// (connect + SELECT 1 + end) and SELECT 1 on one open connection, sampled alternately per path.
import { rowFromPaths } from './paths';
import { percentile, type BenchRow } from './report';
import { sampleAlternating } from './sampler';

export interface SqlConnection {
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
}

interface Path {
  readonly name: string;
}

const at = (samples: Map<string, number[]>, p: number) =>
  new Map([...samples].map(([name, xs]) => [name, percentile(xs, p)]));

/** `iterations` × connect + SELECT 1 + end per path, in blocks of 10: the p50 row (target ≤ direct + 1 ms) and the p99 row. */
export async function newConnectionRows<P extends Path>(
  paths: readonly P[],
  iterations: number,
  open: (path: P) => Promise<SqlConnection>,
): Promise<BenchRow[]> {
  const samples = await sampleAlternating(paths, iterations, 10, async (p) => {
    const connection = await open(p);
    await connection.query('select 1');
    await connection.end();
  });
  const p50 = at(samples, 0.5);
  const d50 = p50.get('direct')!;
  return [
    // The target is "≤ 1 ms more than direct at p50", written as the ratio it allows.
    rowFromPaths(p50, {
      metric: 'new connection p50 (connect + SELECT 1 + end)',
      unit: 'ms',
      higherIsBetter: false,
      target: Number(((d50 + 1) / d50).toFixed(3)),
    }),
    rowFromPaths(at(samples, 0.99), { metric: 'new connection p99', unit: 'ms', higherIsBetter: false }),
  ];
}

/** `iterations` SELECT 1 round trips on one open connection per path, in blocks of 500: the p50 row (target ≤ 1.15 × direct). */
export async function selectOneRow<P extends Path>(
  paths: readonly P[],
  iterations: number,
  open: (path: P) => Promise<SqlConnection>,
  label = '',
): Promise<BenchRow> {
  const connections = new Map<string, SqlConnection>();
  for (const p of paths) {
    const connection = await open(p);
    await connection.query('select 1'); // warm up
    connections.set(p.name, connection);
  }
  const samples = await sampleAlternating(paths, iterations, 500, (p) => connections.get(p.name)!.query('select 1'));
  await Promise.all([...connections.values()].map((c) => c.end()));
  return rowFromPaths(at(samples, 0.5), {
    metric: `one-connection SELECT 1 p50${label}`,
    unit: 'ms',
    higherIsBetter: false,
    target: 1.15,
  });
}
