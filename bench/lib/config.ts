// Every bench's knobs in one place: `BENCH_<NAME>` in the environment overrides a default, and
// `BENCH_TINY=1` (bench/benches.integration.test.ts) shrinks every default so each bench runs
// in seconds: it proves the bench still works, not how fast anything is.

export const TINY = process.env.BENCH_TINY === '1';

/** `BENCH_<name>` as a number, else `full` (or `tiny` under BENCH_TINY=1). */
export function knob(name: string, full: number, tiny: number): number {
  const text = process.env[`BENCH_${name}`];
  if (text === undefined || text === '') return TINY ? tiny : full;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new Error(`BENCH_${name}=${text}: expected a number ≥ 0`);
  return value;
}

/** `BENCH_<name>` as a comma-separated list of numbers, e.g. BENCH_CLIENTS=1,8,32. */
export function knobList(name: string, full: readonly number[], tiny: readonly number[]): number[] {
  const text = process.env[`BENCH_${name}`];
  if (text === undefined || text === '') return [...(TINY ? tiny : full)];
  const values = text.split(',').map(Number);
  if (values.some((v) => !Number.isFinite(v) || v <= 0)) throw new Error(`BENCH_${name}=${text}: expected e.g. 1,8,32`);
  return values;
}

/** `BENCH_<name>=0` turns a part off; on by default (off under BENCH_TINY=1 when `tinyDefault` is false). */
export function flag(name: string, tinyDefault = true): boolean {
  const text = process.env[`BENCH_${name}`];
  if (text === undefined || text === '') return TINY ? tinyDefault : true;
  return text !== '0';
}

/** Rounds every compared figure is measured in (paths alternate within each); the report shows their spread. */
export const ROUNDS = Math.max(1, knob('ROUNDS', 3, 2));
