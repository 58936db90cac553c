// Bundles the extension to one CommonJS file: @kubernetes/client-node 2.x is ESM-only, and bundling is
// what lets VS Code's CommonJS extension host load it.
import * as esbuild from 'esbuild';
import { rmSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** Prints start/end markers in the shape of the `$esbuild-watch` problem matcher. */
const problemMatcherFriendly = {
  name: 'problem-matcher-friendly',
  setup(build) {
    build.onStart(() => console.log('[watch] build started'));
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      console.log('[watch] build finished');
    });
  },
};

const context = await esbuild.context({
  entryPoints: ['src/extension.ts'],
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node22',
  outfile: 'dist/extension.js',
  external: ['vscode'],
  // The scripts that run in pods: .sh files, bundled as text (src/types/shellScript.d.ts).
  loader: { '.sh': 'text' },
  // oauth4webapi and openid-client (client-node's OIDC) read `navigator.userAgent` when loaded; in VS Code's
  // extension host Node's global navigator is a trap that logs "PendingMigrationError: navigator is now a
  // global in nodejs" on each access. Without it they take their Node path, which is what runs here.
  define: { navigator: 'undefined' },
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: watch ? 'silent' : 'warning',
  plugins: watch ? [problemMatcherFriendly] : [],
});

if (watch) {
  await context.watch();
} else {
  await context.rebuild();
  await context.dispose();
  // A production bundle has no source map: drop a stale one from an earlier development build.
  if (production) rmSync('dist/extension.js.map', { force: true });
}
