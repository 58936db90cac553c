/**
 * `npm run bench [-- NAME...]`: runs every `test/bench/*.bench.ts` (or those whose file name contains a NAME) in
 * its own process (so one benchmark's heap and handles cannot skew the next) and prints their Markdown tables.
 * Each benchmark measures a path of the extension against a peer (kubectl, raw exec) on the same cluster in the
 * same run: min/median/max per side and the ratio of medians, under a header naming the cluster, the machine and
 * the date. The cluster is the test cluster (benchCluster.ts): the loopback, or the real node under
 * `npm run bench:real`, which runs this file through test/realnode/run.ts.
 *
 * One run of medians is not enough on a shared machine: each bench is run again until two consecutive runs give
 * every row with a target (verdicts.ts) the same verdict, at most `BENCH_ROUNDS` (default 4) times; then a table of
 * each ratio's min/median/max over the runs and its verdict. `BENCH_ROUNDS=1` runs each once.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ratiosOf, verdictsStable, verdictTable } from './verdicts';

const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 4));

/** Runs one bench file, its output shown as it comes; resolves with that output and whether it succeeded. */
function runBench(file: string): Promise<{ ok: boolean; output: string; exit: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', '--import', pathToFileURL(join(__dirname, '..', 'setup', 'shellScriptText.mjs')).href, join(__dirname, file)], { stdio: ['inherit', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      output += chunk.toString('utf8');
    });
    child.on('close', (code, signal) => resolve({ ok: code === 0, output, exit: String(code ?? signal) }));
  });
}

async function main(): Promise<number> {
  const only = process.argv.slice(2);
  const files = readdirSync(__dirname).filter((f) => f.endsWith('.bench.ts') && (only.length === 0 || only.some((o) => f.includes(o)))).sort();
  let failed = 0;
  for (const file of files) {
    const name = file.replace('.bench.ts', '');
    const runs: Map<string, number>[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      console.log(`\n## ${name}${ROUNDS > 1 ? ` (run ${round})` : ''}\n`);
      const result = await runBench(file);
      if (!result.ok) {
        failed++;
        console.error(`bench ${file} failed (exit ${result.exit})`);
        break;
      }
      runs.push(ratiosOf(result.output));
      if (runs[0]!.size === 0 || verdictsStable(runs)) break;
    }
    if (runs.length > 0 && runs[0]!.size > 0) {
      console.log(`\n### ${name}: ratios over ${runs.length} run${runs.length === 1 ? '' : 's'}${runs.length > 1 && verdictsStable(runs) ? ', the last two agreeing on every verdict' : runs.length === ROUNDS && ROUNDS > 1 ? `, verdicts still moving after the cap (BENCH_ROUNDS=${ROUNDS})` : ''}\n`);
      console.log(verdictTable(runs));
    }
  }
  return failed === 0 ? 0 : 1;
}

void main().then((code) => process.exit(code));
