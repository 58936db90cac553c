// `import script from './x.sh'` outside the bundle (mocha, tsx): the file's text, as esbuild's text loader gives it
// in dist/extension.js. Loaded with --require (.mocharc.json, test/bench/run.ts).
const { readFileSync } = require('node:fs');

require.extensions['.sh'] = (module, filename) => {
  module.exports = readFileSync(filename, 'utf8');
};
