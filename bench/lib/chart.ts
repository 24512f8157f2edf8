// The reports as one SVG, readable at a glance: for every compared row, how the broker does
// relative to direct (blue) and to socat, the hop floor (orange), with the rounds' min–max as a
// bar, the median as a dot and each goal as a tick. Latencies are inverted (direct/broker) so
// that right is always better and 1 always means "as fast". Figures of the broker alone
// (memory, failures) are listed under their report with the goal and whether it was met.
// Plain SVG text: no charting dependency, and a diff of two charts stays readable.
import { meetsFloor, meetsTarget, ratioSpread, type BenchReport, type BenchRow, type Spread } from './rows';

const WIDTH = 1180;
const LABEL_W = 420;
const PLOT_X = LABEL_W + 10;
const PLOT_W = 420;
const TEXT_X = PLOT_X + PLOT_W + 16;
const ROW_H = 22;
const COLORS = { direct: '#1f6fb4', socat: '#e8760b', met: '#1a7f37', missed: '#c62828', grid: '#c8c8c8' };

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A ratio broker/path as relative speed: itself for throughput, inverted for latency. */
function speed(row: BenchRow, s: Spread): Spread {
  if (row.higherIsBetter) return s;
  return { median: 1 / s.median, min: 1 / s.max, max: 1 / s.min };
}

interface Series {
  name: 'direct' | 'socat';
  spread: Spread;
  target?: number;
  met?: boolean;
}

function seriesOf(row: BenchRow): Series[] {
  const out: Series[] = [];
  const vsDirect = ratioSpread(row, 'direct');
  if (vsDirect) {
    const target = row.target === undefined ? undefined : row.higherIsBetter ? row.target : 1 / row.target;
    out.push({ name: 'direct', spread: speed(row, vsDirect), target, met: meetsTarget(row) });
  }
  const vsSocat = ratioSpread(row, 'socat');
  if (vsSocat) {
    const floor = row.floorTarget;
    const target = floor === undefined ? undefined : row.higherIsBetter ? floor : 1 / floor;
    out.push({ name: 'socat', spread: speed(row, vsSocat), target, met: meetsFloor(row) });
  }
  return out;
}

const mark = (met: boolean | undefined) => (met === undefined ? '' : met ? ' ✓' : ' ✗');
const markColor = (met: boolean | undefined) => (met === undefined ? '#333' : met ? COLORS.met : COLORS.missed);

export function renderChart(reports: readonly BenchReport[], heading: { title: string; subtitle: string }): string {
  const compared = reports.flatMap((r) => r.rows.filter((row) => row.direct !== undefined));
  const highest = Math.max(1.2, ...compared.flatMap((row) => seriesOf(row).map((s) => s.spread.max)));
  const xMax = Math.min(3, Math.ceil(highest * 5) / 5);
  const x = (value: number) => PLOT_X + (Math.max(0, Math.min(value, xMax)) / xMax) * PLOT_W;
  const body: string[] = [];
  let y = 78;

  for (const report of reports) {
    body.push(`<text x="8" y="${y + 14}" class="h">${escape(report.name)}</text>`);
    y += ROW_H + 4;
    for (const row of report.rows.filter((r) => r.direct !== undefined)) {
      const series = seriesOf(row);
      body.push(`<text x="${LABEL_W}" y="${y + 15}" class="l" text-anchor="end">${escape(row.metric)}</text>`);
      const texts: string[] = [];
      series.forEach((s, i) => {
        const cy = y + 7 + i * 8;
        const color = COLORS[s.name];
        body.push(
          `<line x1="${x(s.spread.min)}" x2="${x(s.spread.max)}" y1="${cy}" y2="${cy}" stroke="${color}" stroke-width="3" opacity="0.45"/>`,
          `<circle cx="${x(s.spread.median)}" cy="${cy}" r="3.5" fill="${color}"/>`,
        );
        if (s.target !== undefined)
          body.push(
            `<line x1="${x(s.target)}" x2="${x(s.target)}" y1="${cy - 5}" y2="${cy + 5}" stroke="${color}" stroke-width="2"/>`,
          );
        if (s.spread.max > xMax)
          body.push(`<text x="${PLOT_X + PLOT_W + 2}" y="${cy + 4}" class="s" fill="${color}">›</text>`);
        const range = s.spread.min === s.spread.max ? '' : ` (${s.spread.min.toFixed(2)}–${s.spread.max.toFixed(2)})`;
        texts.push(
          `<tspan fill="${color}">${s.name === 'direct' ? 'vs direct' : 'vs socat'} ${s.spread.median.toFixed(2)}${range}</tspan><tspan fill="${markColor(s.met)}">${mark(s.met)}</tspan>`,
        );
      });
      body.push(`<text x="${TEXT_X}" y="${y + 15}" class="s">${texts.join('<tspan>  </tspan>')}</text>`);
      y += ROW_H;
    }
    for (const row of report.rows.filter((r) => r.direct === undefined)) {
      const met = meetsTarget(row);
      const goal =
        row.target === undefined ? '' : ` (goal ${row.higherIsBetter ? '≥' : '≤'} ${row.target} ${row.unit})`;
      const value =
        Number.isInteger(row.broker) || Math.abs(row.broker) >= 100 ? row.broker.toFixed(0) : row.broker.toFixed(2);
      body.push(
        `<text x="${LABEL_W}" y="${y + 15}" class="l" text-anchor="end">${escape(row.metric)}</text>`,
        `<text x="${PLOT_X}" y="${y + 15}" class="s">${escape(`${value} ${row.unit}${goal}`)}<tspan fill="${markColor(met)}">${mark(met)}</tspan></text>`,
      );
      y += ROW_H;
    }
    y += 8;
  }

  const height = y + 30;
  const ticks: string[] = [];
  for (let v = 0; v <= xMax + 1e-9; v += 0.2) {
    const at = x(v);
    const one = Math.abs(v - 1) < 1e-9;
    ticks.push(
      `<line x1="${at}" x2="${at}" y1="70" y2="${y}" stroke="${one ? '#555' : COLORS.grid}" stroke-width="${one ? 1.5 : 0.6}"${one ? '' : ' stroke-dasharray="2,3"'}/>`,
      `<text x="${at}" y="66" class="s" text-anchor="middle">${v.toFixed(1)}</text>`,
    );
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    '<style>.h{font-size:14px;font-weight:bold}.l{font-size:12px}.s{font-size:11px}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="8" y="20" class="h">${escape(heading.title)}</text>`,
    `<text x="8" y="36" class="s">${escape(heading.subtitle)}</text>`,
    `<text x="8" y="52" class="s">Broker's speed relative to <tspan fill="${COLORS.direct}">direct</tspan> and to <tspan fill="${COLORS.socat}">socat</tspan> (the hop floor): 1 = as fast, right is better (latencies inverted). Dot: median of the rounds; bar: min–max; tick: goal.</text>`,
    ...ticks,
    ...body,
    `<text x="8" y="${height - 10}" class="s">Generated by bench/lib/chart.ts from the run's JSON; figures in bench/results/*.md.</text>`,
    '</svg>',
    '',
  ].join('\n');
}
