/**
 * `npm run bench [-- NAME...]`: runs every `test/bench/*.bench.ts` (or those whose file name contains a NAME) in
 * its own process (so one benchmark's heap and handles cannot skew the next) and prints their Markdown tables.
 * Each benchmark measures a path of the extension against a peer (kubectl, raw exec) on the same cluster in the
 * same run: min/median/max per side and the ratio of medians, under a header naming the cluster, the machine and
 * the date. The cluster is the test cluster (benchCluster.ts): the loopback, or the real node under
 * `npm run bench:real`, which runs this file through test/realnode/run.ts.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const only = process.argv.slice(2);
const files = readdirSync(__dirname).filter((f) => f.endsWith('.bench.ts') && (only.length === 0 || only.some((o) => f.includes(o)))).sort();
let failed = 0;
for (const file of files) {
  console.log(`\n## ${file.replace('.bench.ts', '')}\n`);
  const result = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--import', pathToFileURL(join(__dirname, '..', 'setup', 'shellScriptText.mjs')).href, join(__dirname, file)], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    console.error(`bench ${file} failed (exit ${result.status ?? result.signal})`);
  }
}
process.exit(failed === 0 ? 0 : 1);
