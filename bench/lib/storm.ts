// Connect storms: N clients starting at the same instant, each connecting, running one query
// and closing, as N tools (psql-style startup + one query + close) opened at once would. A
// client's figure is its time to first result from the storm's start; a client that fails
// counts as a failure (with its error, for the report), not as a time.
import { performance } from 'node:perf_hooks';
import { percentile } from './rows';
import { rotated } from './sampler';

/** One client: connect, query, resolve `firstResult` once the answer is in, then close. */
export type StormClient = (firstResult: () => void) => Promise<void>;

export interface StormFigures {
  /** Per round: p50 and p99 of the time to first result (ms) over the round's clients. */
  p50: number[];
  p99: number[];
  failures: number;
  /** A few distinct failure messages. */
  errors: string[];
}

/** Starts `n` clients at once; their times to first result (ms) and the failures. */
export async function storm(n: number, client: StormClient): Promise<{ times: number[]; errors: string[] }> {
  const start = performance.now();
  const times: number[] = [];
  const errors: string[] = [];
  await Promise.all(
    Array.from({ length: n }, async () => {
      let first: number | undefined;
      try {
        await client(() => (first = performance.now() - start));
        if (first === undefined) throw new Error('closed without a result');
        times.push(first);
      } catch (error) {
        errors.push((error as Error).message);
      }
    }),
  );
  return { times, errors };
}

/**
 * `rounds` rounds of storms of `n` clients per path, paths rotating; small storms are repeated
 * until a round has at least `samples` clients per path, so its p99 means something. `between`
 * runs after each storm (let the server settle: backends exit, minted users are dropped).
 */
export async function stormRounds<P extends { readonly name: string }>(
  paths: readonly P[],
  n: number,
  options: { rounds: number; samples: number; between?: (path: P) => Promise<void> },
  clientFor: (path: P) => StormClient,
): Promise<Map<string, StormFigures>> {
  const figures = new Map(paths.map((p) => [p.name, { p50: [], p99: [], failures: 0, errors: [] } as StormFigures]));
  const repeats = Math.max(1, Math.ceil(options.samples / n));
  for (let round = 0; round < options.rounds; round++) {
    for (const path of rotated(paths, round)) {
      const times: number[] = [];
      const into = figures.get(path.name)!;
      for (let i = 0; i < repeats; i++) {
        const result = await storm(n, clientFor(path));
        times.push(...result.times);
        into.failures += result.errors.length;
        for (const message of result.errors)
          if (into.errors.length < 3 && !into.errors.includes(message)) into.errors.push(message);
        await options.between?.(path);
      }
      into.p50.push(percentile(times, 0.5));
      into.p99.push(percentile(times, 0.99));
    }
    const line = paths.map((p) => `${p.name} p50 ${figures.get(p.name)!.p50.at(-1)!.toFixed(1)} ms`).join(', ');
    console.log(`storm ×${n} round ${round + 1}: ${line}`);
  }
  return figures;
}
