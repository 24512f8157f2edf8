// `npm run bench [name…]`: runs every bench/*.bench.ts (or the named ones) one after another,
// each a script that measures broker vs direct in the same run and calls writeReport(); then
// writes the run's summary beside them: summary.md (every table, the machine, its load before
// and after) and summary.svg (every report in one chart; bench/README.md shows a committed copy).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderChart } from './lib/chart';
import { machineLine, markdownTable, resultsDir } from './lib/report';
import type { BenchReport } from './lib/rows';

const dir = import.meta.dirname;
/** `--summary`: run nothing, summarize every report in the results folder (e.g. after re-running one bench). */
const summaryOnly = process.argv.includes('--summary');
const wanted = summaryOnly ? [] : process.argv.slice(2);
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)));
if (benches.length === 0) {
  console.error(`no benchmark matches ${wanted.join(', ') || '*'} in bench/`);
  process.exit(1);
}
const started = summaryOnly ? new Date(0) : new Date();
const loadBefore = os.loadavg();
let failed = 0;
for (const file of summaryOnly ? [] : benches) {
  console.log(`\n▶ ${file}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(dir, file)], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`✗ ${file} failed (${result.status ?? result.signal})`);
    failed++;
  }
}

// The reports this run wrote (a bench that failed left its previous report, which is not this run's).
const reports = readdirSync(resultsDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(path.join(resultsDir, f), 'utf8')) as BenchReport & { time: string })
  .filter((r) => new Date(r.time) >= started)
  .sort((a, b) => a.time.localeCompare(b.time));
if (reports.length > 0) {
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(', ');
  const loads = summaryOnly
    ? `load average (1 min) when each report was written: ${reports.map((r) => `${r.name} ${(r as { load?: number[] }).load?.[0]?.toFixed(1) ?? '?'}`).join(', ')}`
    : `load average (1, 5, 15 min) ${load(loadBefore)} before, ${load(os.loadavg())} after`;
  const machine = `${machineLine()}; ${loads}`;
  const first = new Date(reports[0]!.time);
  const title = `Sesame brokers at the limit, ${first.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  writeFileSync(path.join(resultsDir, 'summary.svg'), renderChart(reports, { title, subtitle: machine }));
  const tables = reports.map((r) => markdownTable(r)).join('\n\n');
  writeFileSync(path.join(resultsDir, 'summary.md'), `# ${title}\n\n${machine}\n\n${tables}\n`);
  console.log(`\nsummary: ${path.join(resultsDir, 'summary.md')} and summary.svg (${machine})`);
}
process.exit(failed ? 1 : 0);
