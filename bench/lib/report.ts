// Benchmark reporting: every benchmark measures the broker and the direct path in the same run
// and reports ratios, as JSON (for machines), a markdown table (for people) and an SVG chart
// (lib/chart.ts, for a glance), written to bench/results/ (not committed; BENCH_RESULTS moves
// it) and printed. What a row is and how its ratios are computed: lib/rows.ts.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderChart } from './chart';
import { meetsFloor, meetsTarget, ratioSpread, type BenchReport, type Spread } from './rows';

export {
  FLOOR,
  floorTarget,
  median,
  meetsFloor,
  meetsTarget,
  percentile,
  ratioSpread,
  rowFromRounds,
  type BenchReport,
  type BenchRow,
  type Spread,
} from './rows';

export const resultsDir = path.resolve(process.env.BENCH_RESULTS ?? path.join(import.meta.dirname, '..', 'results'));

const fmt = (n: number) =>
  !Number.isFinite(n) || Number.isInteger(n)
    ? String(n)
    : Math.abs(n) >= 100
      ? n.toFixed(0)
      : Math.abs(n) >= 1
        ? n.toFixed(2)
        : n.toFixed(3);
const spreadText = (s: Spread | undefined) =>
  !s ? '' : s.min === s.max ? s.median.toFixed(3) : `${s.median.toFixed(3)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
const goal = (higherIsBetter: boolean, value: number | undefined) =>
  value === undefined ? '' : `${higherIsBetter ? '≥' : '≤'} ${value}`;
const yesNo = (met: boolean | undefined) => (met === undefined ? '' : met ? 'yes' : '**no**');

export function machineLine(): string {
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`;
}

export function markdownTable(report: BenchReport): string {
  const compared = report.rows.filter((r) => r.direct !== undefined);
  const alone = report.rows.filter((r) => r.direct === undefined);
  const others = [...new Set(compared.flatMap((r) => Object.keys(r.references ?? {})))].sort();
  const hasFloor = others.includes('socat');
  const rounds = Math.max(0, ...report.rows.map((r) => r.rounds?.broker?.length ?? 1));
  const lines = [
    `### ${report.name}`,
    '',
    `Machine: ${machineLine()}, ${new Date().toISOString()}. Ratios: median of ${rounds} round(s) (min–max).`,
  ];
  if (compared.length > 0) {
    const head = ['metric', 'direct', ...others, 'broker', 'broker/direct', 'target', 'met'];
    if (hasFloor) head.push('broker/socat', 'floor', 'met');
    head.push(...others.filter((o) => o !== 'socat').map((o) => `broker/${o}`));
    lines.push(
      '',
      `| ${head.join(' | ')} |`,
      `|---|${head
        .slice(1)
        .map(() => '---:|')
        .join('')}`,
    );
    for (const r of compared) {
      const cells = [
        r.metric,
        `${fmt(r.direct!)} ${r.unit}`,
        ...others.map((o) => (r.references?.[o] === undefined ? '' : `${fmt(r.references[o])} ${r.unit}`)),
        `${fmt(r.broker)} ${r.unit}`,
        spreadText(ratioSpread(r, 'direct')),
        goal(r.higherIsBetter, r.target),
        yesNo(meetsTarget(r)),
      ];
      if (hasFloor)
        cells.push(spreadText(ratioSpread(r, 'socat')), goal(r.higherIsBetter, r.floorTarget), yesNo(meetsFloor(r)));
      cells.push(...others.filter((o) => o !== 'socat').map((o) => spreadText(ratioSpread(r, o))));
      lines.push(`| ${cells.join(' | ')} |`);
    }
  }
  if (alone.length > 0) {
    lines.push('', '| metric | broker | target | met |', '|---|---:|---:|:-:|');
    for (const r of alone)
      lines.push(
        `| ${r.metric} | ${fmt(r.broker)} ${r.unit} | ${goal(r.higherIsBetter, r.target)} | ${yesNo(meetsTarget(r))} |`,
      );
  }
  if (report.notes?.length) lines.push('', ...report.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}

/** Write `<name>.json`, `<name>.md` and `<name>.svg` to the results folder and print the table. */
export function writeReport(report: BenchReport): { json: string; markdown: string; svg: string } {
  mkdirSync(resultsDir, { recursive: true });
  const slug = report.name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  const file = (ext: string) => path.join(resultsDir, `${slug}.${ext}`);
  const rows = report.rows.map((r) => ({
    ...r,
    ratio: r.direct === undefined ? undefined : ratioSpread(r, 'direct'),
    floorRatio: ratioSpread(r, 'socat'),
    met: meetsTarget(r),
    metFloor: meetsFloor(r),
  }));
  const meta = { time: new Date().toISOString(), machine: machineLine(), load: os.loadavg() };
  writeFileSync(
    file('json'),
    `${JSON.stringify({ name: report.name, ...meta, rows, notes: report.notes ?? [] }, null, 2)}\n`,
  );
  const table = markdownTable(report);
  writeFileSync(file('md'), `${table}\n`);
  writeFileSync(file('svg'), renderChart([report], { title: report.name, subtitle: machineLine() }));
  console.log(`\n${table}\n\n(written to ${path.relative(process.cwd(), file('json'))}, .md and .svg)`);
  return { json: file('json'), markdown: file('md'), svg: file('svg') };
}

/** The notes every database bench ends with: the machine's load, the new-connection loop, hop CPU. */
export function runNotes(options: {
  loadAtStart: number;
  connectClient: string;
  connectIterations: number;
  hopCpu: readonly string[];
}): string[] {
  return [
    `Paths rotate which runs first. Client, hops, broker and server share the machine's ${os.cpus().length} cores; 1-minute load average ${options.loadAtStart.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end (other work on the machine counts).`,
    `New connection: ${options.connectIterations} × ${options.connectClient} connect + SELECT 1 + end per path; target ≤ direct + 1 ms at p50.`,
    `CPU (user + system) of the hop processes (socat: its per-connection processes): ${options.hopCpu.join('; ')}.`,
    ...(process.env.BENCH_BASELINE ? [`baseline = the broker of ${process.env.BENCH_BASELINE}, in the same run.`] : []),
  ];
}
