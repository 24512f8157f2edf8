// The wake watch: a suspend stops the clock Node's timers follow while the wall clock (and a
// token's expiry) moves on. Simulated with fake timers: the wall clock jumps, timers do not.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { watchForWake } from './timing';

afterEach(() => void vi.useRealTimers());

describe('watchForWake', () => {
  it('reports a wall-clock jump at its next tick, with how late it was', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const wakes: number[] = [];
    const watch = watchForWake((late) => wakes.push(late), { intervalMs: 2_000, toleranceMs: 3_000 });
    vi.advanceTimersByTime(10_000); // awake: ticks on time
    expect(wakes).toEqual([]);
    vi.setSystemTime(Date.now() + 60 * 60_000); // an hour asleep: no timer ran meanwhile
    vi.advanceTimersByTime(2_000);
    expect(wakes).toHaveLength(1);
    expect(wakes[0]).toBeGreaterThanOrEqual(60 * 60_000);
    vi.advanceTimersByTime(10_000);
    expect(wakes).toHaveLength(1); // once per wake
    watch.stop();
  });

  it('ignores jitter below the tolerance', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const wakes: number[] = [];
    const watch = watchForWake((late) => wakes.push(late), { intervalMs: 2_000, toleranceMs: 3_000 });
    vi.setSystemTime(Date.now() + 2_500);
    vi.advanceTimersByTime(2_000);
    expect(wakes).toEqual([]);
    watch.stop();
  });
});
