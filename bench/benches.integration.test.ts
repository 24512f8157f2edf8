// Benchmarks that do not rot: every bench/*.bench.ts runs in its tiny mode (BENCH_TINY=1: a
// handful of iterations, the real servers, seconds each) and must finish and write a report
// whose figures are numbers, with its chart. Nothing here looks at how fast anything was: timing
// on a shared CI machine says nothing, and `npm run bench` is where figures come from.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchRow } from './lib/rows';

const dir = import.meta.dirname;
const benches = readdirSync(dir).filter((f) => f.endsWith('.bench.ts'));
/** Two at a time: most of a tiny run is waiting for servers to start and answer. */
const LANES = 2;
/** The longest first, so the lanes end together. */
const SLOWEST = ['postgres', 'mysql', 'storm', 'remote', 'idle'];
const weight = (file: string) => {
  const at = SLOWEST.findIndex((name) => file.startsWith(name));
  return at < 0 ? SLOWEST.length : at;
};

interface Outcome {
  code: number | null;
  output: string;
  results: string;
}

const outcomes = new Map<string, Outcome>();
const root = mkdtempSync(path.join(os.tmpdir(), 'bench-tiny-'));

function runTiny(file: string): Promise<Outcome> {
  const results = path.join(root, file.replace('.bench.ts', ''));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(dir, file)], {
      env: { ...process.env, BENCH_TINY: '1', BENCH_RESULTS: results },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('close', (code) => resolve({ code, output, results }));
  });
}

beforeAll(async () => {
  const queue = [...benches].sort((a, b) => weight(a) - weight(b));
  await Promise.all(
    Array.from({ length: LANES }, async () => {
      for (let file = queue.shift(); file; file = queue.shift()) outcomes.set(file, await runTiny(file));
    }),
  );
}, 240_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('every bench in its tiny mode', () => {
  it('finds the benches', () => {
    expect(benches.length).toBeGreaterThanOrEqual(8);
  });

  it.each(benches)('%s finishes and reports numbers with a chart', (file) => {
    const outcome = outcomes.get(file)!;
    expect(outcome.code, outcome.output).toBe(0);
    const written = readdirSync(outcome.results);
    const json = written.filter((f) => f.endsWith('.json'));
    expect(json.length).toBeGreaterThan(0);
    for (const report of json) {
      const { rows } = JSON.parse(readFileSync(path.join(outcome.results, report), 'utf8')) as { rows: BenchRow[] };
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        expect(Number.isFinite(row.broker), `${row.metric}: broker ${row.broker}`).toBe(true);
        if (row.direct !== undefined) expect(Number.isFinite(row.direct), `${row.metric}: direct`).toBe(true);
        for (const values of Object.values(row.rounds ?? {})) expect(values.length).toBe(row.rounds!.broker!.length);
      }
      const svg = readFileSync(path.join(outcome.results, report.replace(/\.json$/, '.svg')), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
      expect(readFileSync(path.join(outcome.results, report.replace(/\.json$/, '.md')), 'utf8')).toContain('|');
    }
  });
});
