/**
 * Verdicts across repeated runs of a benchmark: each `ratio … (medians): N×` line a bench prints (stats.ts
 * ratioLine), keyed by the table it follows, is compared with issue 16's target for that row; run.ts repeats a bench
 * until two consecutive runs agree on every verdict (or a cap), then prints min/median/max of each ratio and its
 * verdict, so that one noisy run does not decide.
 */
import { figure, median } from './stats';

export interface Target {
  /** Matches `heading :: what` (the table heading, then the ratio's own text). */
  readonly row: RegExp;
  readonly limit: number;
  /** The ratio must be at least `limit` (a rate); otherwise at most. */
  readonly atLeast: boolean;
}

/** Issue 16's targets; a ratio matching none is printed without a verdict. */
export const TARGETS: readonly Target[] = [
  { row: /readFile(Stream)? 64 MiB.* :: extension \/ raw exec cat/, limit: 1.10, atLeast: false },
  { row: /readDirectory of 10,000 entries, busybox.* :: extension \/ kubectl exec ls -la/, limit: 1.00, atLeast: false },
  { row: / :: throughput extension \/ kubectl/, limit: 1.10, atLeast: true },
  { row: / :: set-up extension \/ kubectl/, limit: 0.80, atLeast: false },
  { row: / :: extension \/ manual kubectl/, limit: 0.80, atLeast: false },
  { row: / :: extension \/ client-node as shipped, calls per second/, limit: 1.00, atLeast: true },
  { row: / :: extension \/ client-node as shipped, p50 latency/, limit: 1.00, atLeast: false },
];

/** `heading :: what` → ratio, from one run's output. */
export function ratiosOf(output: string): Map<string, number> {
  const ratios = new Map<string, number>();
  let heading = '';
  for (const line of output.split('\n')) {
    const table = /^\| (.+?) \| runs \|/.exec(line);
    if (table) heading = table[1]!;
    const ratio = /^ratio (.+) \(medians\): ([\d.]+)×/.exec(line);
    if (ratio) ratios.set(`${heading} :: ${ratio[1]}`, Number(ratio[2]));
  }
  return ratios;
}

export function targetFor(key: string): Target | undefined {
  return TARGETS.find((t) => t.row.test(key));
}

export function meets(target: Target, ratio: number): boolean {
  return target.atLeast ? ratio >= target.limit : ratio <= target.limit;
}

/** Whether the last two runs give every targeted row the same verdict (and both have every row). */
export function verdictsStable(runs: readonly Map<string, number>[]): boolean {
  if (runs.length < 2) return false;
  const [previous, last] = [runs[runs.length - 2]!, runs[runs.length - 1]!];
  for (const [key, ratio] of last) {
    const target = targetFor(key);
    if (target === undefined) continue;
    const before = previous.get(key);
    if (before === undefined || meets(target, before) !== meets(target, ratio)) return false;
  }
  return true;
}

/** A Markdown table: per ratio row, min/median/max over the runs, the target and the verdict. */
export function verdictTable(runs: readonly Map<string, number>[]): string {
  const keys = [...new Set(runs.flatMap((r) => [...r.keys()]))];
  const lines = ['| ratio (heading :: what) | runs | min | median | max | target | verdict |', '| --- | ---: | ---: | ---: | ---: | ---: | --- |'];
  for (const key of keys) {
    const values = runs.map((r) => r.get(key)).filter((v): v is number => v !== undefined);
    const target = targetFor(key);
    const verdicts = new Set(values.map((v) => (target ? meets(target, v) : undefined)));
    const verdict = target === undefined ? '—' : verdicts.size > 1 ? 'unstable (runs disagree)' : meets(target, values[0]!) ? 'meets' : 'misses';
    lines.push(`| ${key} | ${values.length} | ${figure(Math.min(...values))}× | ${figure(median(values))}× | ${figure(Math.max(...values))}× | ${target ? `${target.atLeast ? '≥' : '≤'} ${target.limit.toFixed(2)}×` : '—'} | ${verdict} |`);
  }
  return lines.join('\n');
}
