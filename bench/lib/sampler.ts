// Measuring several paths to the same server (direct, hops, broker) alternately, so drift on a
// shared machine hits them all alike, and in rounds, so the report can show the spread.
import { performance } from 'node:perf_hooks';
import { percentile } from './rows';

/** `items` starting at `round` (mod length): each round another one goes first. */
export function rotated<T>(items: readonly T[], round: number): T[] {
  const start = round % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}

/**
 * Times `once(endpoint)` `iterations` times per endpoint, in blocks of `block` calls, rotating
 * which endpoint goes first each block. Returns the samples in ms by endpoint name.
 */
export async function sampleAlternating<E extends { readonly name: string }>(
  endpoints: readonly E[],
  iterations: number,
  block: number,
  once: (endpoint: E) => Promise<unknown>,
): Promise<Map<string, number[]>> {
  const samples = new Map(endpoints.map((e) => [e.name, [] as number[]]));
  for (let round = 0; round * block < iterations; round++) {
    for (const e of rotated(endpoints, round)) {
      const into = samples.get(e.name)!;
      for (let i = 0; i < block; i++) {
        const start = performance.now();
        await once(e);
        into.push(performance.now() - start);
      }
    }
  }
  return samples;
}

/**
 * `sampleAlternating` in `rounds` rounds of `iterations / rounds` each, the first path rotating
 * per round. Returns each round's samples (ms) by endpoint name: [round][sample].
 */
export async function sampleRounds<E extends { readonly name: string }>(
  endpoints: readonly E[],
  options: { rounds: number; iterations: number; block: number },
  once: (endpoint: E) => Promise<unknown>,
): Promise<Map<string, number[][]>> {
  const perRound = Math.max(1, Math.ceil(options.iterations / options.rounds));
  const rounds = new Map(endpoints.map((e) => [e.name, [] as number[][]]));
  for (let round = 0; round < options.rounds; round++) {
    const block = Math.min(options.block, perRound);
    const samples = await sampleAlternating(rotated(endpoints, round), perRound, block, once);
    for (const [name, xs] of samples) rounds.get(name)!.push(xs);
  }
  return rounds;
}

/** Each round's `p` percentile by endpoint name, from `sampleRounds`. */
export function percentilesOf(rounds: ReadonlyMap<string, number[][]>, p: number): Map<string, number[]> {
  return new Map([...rounds].map(([name, perRound]) => [name, perRound.map((xs) => percentile(xs, p))]));
}
