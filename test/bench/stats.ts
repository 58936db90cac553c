/** What every benchmark shares: the median, tables of min/median/max per side, ratios of medians, running `main`. */

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Three significant digits at most, so that sub-millisecond and multi-second figures both read well. */
export function figure(value: number): string {
  if (!Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  return value.toFixed(abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3);
}

/** One side of a comparison: what ran, and one value per run. */
export interface Series {
  readonly label: string;
  readonly values: readonly number[];
}

/** `| heading | runs | min | median | max |`, one row per series, in `unit` (ms, MiB/s, …). */
export function printTable(heading: string, unit: string, series: readonly Series[]): void {
  console.log(`| ${heading} | runs | min ${unit} | median ${unit} | max ${unit} |`);
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const s of series) {
    if (s.values.length === 0) throw new Error(`no values for "${s.label}"`);
    console.log(`| ${s.label} | ${s.values.length} | ${figure(Math.min(...s.values))} | ${figure(median(s.values))} | ${figure(Math.max(...s.values))} |`);
  }
  console.log('');
}

/** `ratio extension / peer (medians): 0.49×`; for a rate (higher is better) say so. */
export function ratioLine(what: string, ours: readonly number[], theirs: readonly number[], higherIsBetter = false): string {
  return `ratio ${what} (medians): ${(median(ours) / median(theirs)).toFixed(2)}×${higherIsBetter ? ' (higher is better)' : ''}`;
}

/** Runs a benchmark's main; a failure prints and exits non-zero (run.ts counts it). */
export function runBenchmark(main: () => Promise<void>): void {
  main().then(() => process.exit(0), (error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
