/**
 * `npm run bench`: runs every `test/bench/*.bench.ts` in its own process (so one benchmark's heap and
 * handles cannot skew the next) and prints their Markdown tables. Each benchmark measures a path of the
 * extension against a peer (kubectl, raw exec) in the same run and reports the ratio.
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
