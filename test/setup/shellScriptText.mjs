// `import script from './x.sh'` outside the bundle (mocha, tsx): the file's text, as esbuild's text loader gives it
// in dist/extension.js. tsx compiles the sources to CommonJS, so the hook is a require() extension. Loaded before
// the tests (.mocharc.json `require`) and the benchmarks (test/bench/run.ts `--import`).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

createRequire(import.meta.url).extensions['.sh'] = (module, filename) => {
  module.exports = readFileSync(filename, 'utf8');
};
