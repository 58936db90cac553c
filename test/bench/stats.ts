/** What every benchmark shares: the median, a Markdown table row of timings, and running `main` as a process. */

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** `| label | runs | median | min | max |`, milliseconds without decimals. */
export function timingRow(label: string, values: readonly number[]): string {
  return `| ${label} | ${values.length} | ${median(values).toFixed(0)} | ${Math.min(...values).toFixed(0)} | ${Math.max(...values).toFixed(0)} |`;
}

/** Runs a benchmark's main; a failure prints and exits non-zero (run.ts counts it). */
export function runBenchmark(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
