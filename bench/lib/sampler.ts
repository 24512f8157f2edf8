// Measuring several paths to the same server (direct, relays, broker) alternately, so drift on a
// shared machine hits them all alike.
import { performance } from 'node:perf_hooks';

/** `items` starting at `round` (mod length): each round another one goes first. */
export function rotated<T>(items: readonly T[], round: number): T[] {
  const start = round % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}

/**
 * Times `once(endpoint)` `iterations` times per endpoint, in blocks of `block` calls, rotating
 * which endpoint goes first each round. Returns the samples in ms by endpoint name.
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
