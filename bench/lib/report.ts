// Benchmark reporting: every benchmark measures the broker and the direct path in the same run
// and reports ratios, as JSON (for machines) and a markdown table (for people), written to
// bench/results/ (not committed) and printed.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface BenchRow {
  /** What was measured, e.g. `pgbench -S -c 8 (TPS)`. */
  metric: string;
  direct: number;
  broker: number;
  /** Unit of direct/broker, e.g. `tps`, `ms`, `MB/s`. */
  unit: string;
  /** True when a larger number is better (throughput); false for latencies. */
  higherIsBetter: boolean;
  /** The goal as a ratio broker/direct (≥ for throughput, ≤ for latency), if any. */
  target?: number;
  /**
   * The same measurement through other paths to the same server, by name: the floors (`relay`,
   * `socat`: minimal userland relays, which show what any extra hop costs here; lib/relays.ts)
   * and, when asked for, a `baseline` broker from another checkout (lib/broker-process.ts).
   */
  references?: Readonly<Record<string, number>>;
}

export interface BenchReport {
  name: string;
  rows: BenchRow[];
  notes?: string[];
}

export const resultsDir = path.resolve(import.meta.dirname, '..', 'results');

/** `percentile([..], 0.99)` over unsorted samples. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toFixed(3));

export function ratioOf(row: BenchRow): number {
  return row.broker / row.direct;
}

export function meetsTarget(row: BenchRow): boolean | undefined {
  if (row.target === undefined) return undefined;
  const ratio = ratioOf(row);
  return row.higherIsBetter ? ratio >= row.target : ratio <= row.target;
}

/** Each reference's ratio to direct and the broker's to it, e.g. `{ 'relay/direct': 0.7, 'broker/relay': 0.9 }`. */
export function referenceRatios(row: BenchRow): Record<string, number> {
  const ratios: Record<string, number> = {};
  for (const [name, value] of Object.entries(row.references ?? {})) {
    ratios[`${name}/direct`] = value / row.direct;
    ratios[`broker/${name}`] = row.broker / value;
  }
  return ratios;
}

export function markdownTable(report: BenchReport): string {
  const others = [...new Set(report.rows.flatMap((r) => Object.keys(r.references ?? {})))];
  const cell = (value: number | undefined, suffix = '') => (value === undefined ? '' : `${fmt(value)}${suffix}`);
  const ratio = (value: number | undefined) => (value === undefined ? '' : value.toFixed(3));
  const lines = [
    `### ${report.name}`,
    '',
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${new Date().toISOString()}`,
    '',
    `| metric | direct | ${others.map((f) => `${f} | `).join('')}broker | broker/direct | ${others.map((f) => `${f}/direct | broker/${f} | `).join('')}target | met |`,
    `|---|---:|${others.map(() => '---:|').join('')}---:|---:|${others.map(() => '---:|---:|').join('')}---:|:-:|`,
    ...report.rows.map((r) => {
      const met = meetsTarget(r);
      const target = r.target === undefined ? '' : `${r.higherIsBetter ? '≥' : '≤'} ${r.target}`;
      const unit = ` ${r.unit}`;
      const ratios = referenceRatios(r);
      return [
        `| ${r.metric} | ${cell(r.direct, unit)} | `,
        others.map((f) => `${cell(r.references?.[f], unit)} | `).join(''),
        `${cell(r.broker, unit)} | ${ratio(ratioOf(r))} | `,
        others.map((f) => `${ratio(ratios[`${f}/direct`])} | ${ratio(ratios[`broker/${f}`])} | `).join(''),
        `${target} | ${met === undefined ? '' : met ? 'yes' : 'no'} |`,
      ].join('');
    }),
    ...(report.notes?.length ? ['', ...report.notes.map((n) => `- ${n}`)] : []),
  ];
  return lines.join('\n');
}

/** Write `<name>.json` and `<name>.md` to bench/results/ and print the table. */
export function writeReport(report: BenchReport): { json: string; markdown: string } {
  mkdirSync(resultsDir, { recursive: true });
  const slug = report.name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  const json = path.join(resultsDir, `${slug}.json`);
  const markdown = path.join(resultsDir, `${slug}.md`);
  const rows = report.rows.map((r) => ({
    ...r,
    ratio: ratioOf(r),
    ...(r.references && { referenceRatios: referenceRatios(r) }),
    met: meetsTarget(r),
  }));
  writeFileSync(
    json,
    `${JSON.stringify({ name: report.name, time: new Date().toISOString(), node: process.version, cpus: os.cpus().length, rows, notes: report.notes ?? [] }, null, 2)}\n`,
  );
  const table = markdownTable(report);
  writeFileSync(markdown, `${table}\n`);
  console.log(`\n${table}\n\n(written to ${path.relative(process.cwd(), json)} and .md)`);
  return { json, markdown };
}

/** The notes every database bench ends with: the machine's load, the new-connection loop, hop CPU. */
export function runNotes(options: {
  loadAtStart: number;
  connectClient: string;
  connectIterations: number;
  hopCpu: readonly string[];
}): string[] {
  return [
    `Paths rotate which runs first. Client, relays, broker and server share the machine's ${os.cpus().length} cores; 1-minute load average ${options.loadAtStart.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end (other work on the machine counts).`,
    `New connection: ${options.connectIterations} × ${options.connectClient} connect + SELECT 1 + end each way; target ≤ direct + 1 ms at p50.`,
    `CPU (user + system) of the hop processes: ${options.hopCpu.join('; ')}.`,
    ...(process.env.BENCH_BASELINE ? [`baseline = the broker of ${process.env.BENCH_BASELINE}, in the same run.`] : []),
  ];
}
