// The arithmetic every report rests on: ratios over rounds with their spread, goals met or
// not in either direction, and a chart that names every row.
import { describe, expect, it } from 'vitest';
import { renderChart } from './chart';
import { floorTarget, median, meetsFloor, meetsTarget, ratioSpread, rowFromRounds } from './rows';

const rounds = (entries: Record<string, number[]>) => new Map(Object.entries(entries));

describe('rows', () => {
  it('takes the median of per-round ratios and their range', () => {
    const row = rowFromRounds(rounds({ direct: [100, 200, 100], broker: [90, 220, 80], socat: [100, 200, 100] }), {
      metric: 'tps',
      unit: 'tps',
      higherIsBetter: true,
      target: 0.95,
      floorTarget: floorTarget(true),
    });
    expect(row.direct).toBe(100);
    expect(row.broker).toBe(90);
    expect(ratioSpread(row, 'direct')).toEqual({ median: 0.9, min: 0.8, max: 1.1 });
    expect(meetsTarget(row)).toBe(false);
    expect(meetsFloor(row)).toBe(false);
  });

  it('reads a latency goal as "at most" and the floor as 1/0.95', () => {
    const row = rowFromRounds(rounds({ direct: [1, 1], broker: [1.04, 1.02], socat: [1, 1] }), {
      metric: 'p50',
      unit: 'ms',
      higherIsBetter: false,
      target: 1.05,
      floorTarget: floorTarget(false),
    });
    expect(floorTarget(false)).toBe(1.053);
    expect(meetsTarget(row)).toBe(true);
    expect(meetsFloor(row)).toBe(true);
  });

  it('bounds a figure of the broker alone by its target', () => {
    expect(meetsTarget({ metric: 'failures', broker: 0, unit: 'n', higherIsBetter: false, target: 0 })).toBe(true);
    expect(meetsTarget({ metric: 'failures', broker: 2, unit: 'n', higherIsBetter: false, target: 0 })).toBe(false);
    expect(median([3, 1, 2, 4])).toBe(2.5);
  });

  it('draws every row in the chart, latencies inverted', () => {
    const latency = rowFromRounds(rounds({ direct: [1], broker: [2], socat: [1] }), {
      metric: 'SELECT 1 <p50>',
      unit: 'ms',
      higherIsBetter: false,
    });
    const alone = { metric: 'RSS per connection', broker: 12, unit: 'KiB', higherIsBetter: false, target: 16 };
    const svg = renderChart([{ name: 'R', rows: [latency, alone] }], { title: 'T', subtitle: 'S' });
    expect(svg).toContain('SELECT 1 &lt;p50&gt;');
    expect(svg).toContain('vs direct 0.50');
    expect(svg).toContain('RSS per connection');
    expect(svg).toContain('✓');
  });
});
