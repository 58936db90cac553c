#!/usr/bin/env node
// One set-up step for `npm test`, `npm run cluster` and `npm run demo` on a fresh machine: Debian packages
// (installed when root, otherwise the exact apt-get line is printed and the run stops), then the loopback
// cluster's runtime (shim, image root filesystems, demo apps) into the gitignored .cache/.
// Plain Node ESM that runs on the machine's Node 20 as well as the project's Node 22.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const quiet = process.argv.includes('--quiet');
const say = (line) => { if (!quiet) console.log(`setup: ${line}`); };

/** What the loopback cluster's images and demo apps are built from. */
export const debianPackages = [
  'busybox-static', // busybox, netshoot and delve images
  'python3', 'python3-debugpy', // python image and the Python demo app
  'delve', 'golang-go', // delve image and the Go demo app
  'openjdk-17-jdk-headless', // eclipse-temurin image, javac for the Java demo app
  'iproute2', 'openssl', 'gcc', 'libc6-dev', // pod networking, the API server's CA, the runtime shim
  'runc', 'containernetworking-plugins', 'socat', // the real node (test/realnode; containerd is built from its Go module)
  'shellcheck', 'dash', // the lint and the shells every script in src/**/*.sh is checked with (with busybox ash and bash)
];

function missingPackages() {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\n', ...debianPackages], { encoding: 'utf8' });
  const installed = new Set(result.stdout.split('\n').filter((l) => l.endsWith(' installed')).map((l) => l.split(' ')[0]));
  return debianPackages.filter((name) => !installed.has(name));
}

function ensureDebianPackages() {
  if (process.platform !== 'linux' || !existsSync('/usr/bin/dpkg-query')) {
    console.warn('setup: not a Debian-like Linux: the loopback cluster will run containers as plain processes and tests that need isolation will be skipped.');
    return false;
  }
  const missing = missingPackages();
  if (missing.length === 0) return true;
  const line = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    console.error(`setup: Debian packages missing: ${missing.join(', ')}. Run as root: sudo sh -c '${line}'`);
    process.exit(1);
  }
  console.log(`setup: installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  return true;
}

function ensureNode22() {
  const major = Number(process.versions.node.split('.')[0]);
  const local = join(repo, 'node_modules', '.bin', 'node');
  if (major >= 22) return;
  if (!existsSync(local)) {
    console.error('setup: Node 22 is missing: run `npm install` first (it brings Node 22 as the `node` devDependency).');
    process.exit(1);
  }
  say(`running on Node ${process.version}; npm scripts use ${local}`);
}

ensureNode22();
if (ensureDebianPackages()) {
  const runtimeSetup = join(repo, 'test', 'cluster', 'kubelet', 'setup-runtime.mjs');
  const result = spawnSync(process.execPath, [runtimeSetup, ...(quiet ? ['--quiet'] : [])], { stdio: 'inherit', cwd: repo });
  if (result.status !== 0) {
    console.error('setup: building the loopback cluster runtime failed (see above). Fix it, then run `npm run setup` again.');
    process.exit(result.status ?? 1);
  }
}
say('done');
