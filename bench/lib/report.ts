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

export function markdownTable(report: BenchReport): string {
  const lines = [
    `### ${report.name}`,
    '',
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${new Date().toISOString()}`,
    '',
    '| metric | direct | broker | broker/direct | target | met |',
    '|---|---:|---:|---:|---:|:-:|',
    ...report.rows.map((r) => {
      const met = meetsTarget(r);
      const target = r.target === undefined ? '' : `${r.higherIsBetter ? '≥' : '≤'} ${r.target}`;
      return `| ${r.metric} | ${fmt(r.direct)} ${r.unit} | ${fmt(r.broker)} ${r.unit} | ${ratioOf(r).toFixed(3)} | ${target} | ${met === undefined ? '' : met ? 'yes' : 'no'} |`;
    }),
    ...(report.notes?.length ? ['', ...report.notes.map((n) => `- ${n}`)] : []),
  ];
  return lines.join('\n');
}

/** Write `<name>.json` and `<name>.md` to bench/results/ and print the table. */
export function writeReport(report: BenchReport): { json: string; markdown: string } {
  mkdirSync(resultsDir, { recursive: true });
  const slug = report.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  const json = path.join(resultsDir, `${slug}.json`);
  const markdown = path.join(resultsDir, `${slug}.md`);
  const rows = report.rows.map((r) => ({ ...r, ratio: ratioOf(r), met: meetsTarget(r) }));
  writeFileSync(json, `${JSON.stringify({ name: report.name, time: new Date().toISOString(), node: process.version, cpus: os.cpus().length, rows, notes: report.notes ?? [] }, null, 2)}\n`);
  const table = markdownTable(report);
  writeFileSync(markdown, `${table}\n`);
  console.log(`\n${table}\n\n(written to ${path.relative(process.cwd(), json)} and .md)`);
  return { json, markdown };
}
