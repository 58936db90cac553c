#!/usr/bin/env node
// Builds the loopback kubelet's runtime into <repo>/.cache/cluster: the shim and pause binaries, and the
// image root filesystems (from this machine's Debian packages; big trees are hard-linked, not copied).
// Idempotent: a stamp holding a hash of the inputs makes a second run return at once.
//
//   node test/cluster/kubelet/setup-runtime.mjs [--force] [--quiet]
//   import { setupRuntime } from './setup-runtime.mjs'; await setupRuntime({ quiet: true })
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
const demoDir = path.join(repoRoot, 'test/cluster/demo');

/** Bump when the recipes change in a way the hashed inputs do not show. */
const RECIPE_VERSION = 3;

const BUSYBOX = '/usr/bin/busybox';
const JDK = '/usr/lib/jvm/java-17-openjdk-amd64';
const PYTHON = '/usr/bin/python3.11';

export async function setupRuntime(options = {}) {
  const cacheDir = options.cacheDir ?? path.join(repoRoot, '.cache/cluster');
  const log = options.quiet ? () => {} : (line) => console.log(`[setup-runtime] ${line}`);
  const imagesDir = path.join(cacheDir, 'images');
  const binDir = path.join(cacheDir, 'bin');
  const stampFile = path.join(cacheDir, 'runtime.stamp');
  const stamp = inputsHash();
  if (!options.force && readOr(stampFile) === stamp) {
    log('up to date');
    return { cacheDir, built: false };
  }
  const started = Date.now();
  fs.mkdirSync(binDir, { recursive: true });
  // Images are rebuilt from scratch: a half-built tree from an interrupted run must not survive.
  fs.rmSync(imagesDir, { recursive: true, force: true });
  fs.mkdirSync(imagesDir, { recursive: true });

  log('compiling shim and pause');
  gcc(path.join(here, 'shim.c'), path.join(binDir, 'shim'));
  gcc(path.join(here, 'pause.c'), path.join(binDir, 'pause'));

  const image = (slug) => new Rootfs(path.join(imagesDir, slug, 'rootfs'));

  log('image: pause');
  const pause = image('pause');
  pause.skeleton({ minimal: true });
  pause.copy(path.join(binDir, 'pause'), '/pause');

  log('image: busybox');
  const busybox = image('busybox');
  busybox.skeleton();
  busybox.busybox();

  log('image: netshoot (busybox + iproute2, curl, strace)');
  const netshoot = image('netshoot');
  netshoot.skeleton();
  netshoot.busybox();
  for (const tool of ['/usr/bin/ip', '/usr/bin/ss', '/usr/bin/curl', '/usr/bin/strace', '/usr/bin/gdb']) {
    if (fs.existsSync(tool)) netshoot.binary(tool, `/usr/local/bin/${path.basename(tool)}`);
  }
  if (fs.existsSync('/etc/iproute2')) netshoot.tree('/etc/iproute2', '/etc/iproute2');

  log('image: ubuntu (GNU bash, coreutils, findutils, grep, sed, procps)');
  const ubuntu = image('ubuntu');
  ubuntu.skeleton();
  const gnu = ['bash', ...packageBinaries(['coreutils', 'findutils', 'grep', 'sed', 'procps', 'gawk', 'less', 'tar', 'gzip'])];
  ubuntu.binaries(gnu.map((b) => (b.includes('/') ? b : `/usr/bin/${b}`)).filter((b) => fs.existsSync(b)), '/usr/bin');
  ubuntu.symlink('bash', '/usr/bin/sh');

  const node = realNode();
  log(`image: node:22 (${node})`);
  const nodeImage = image('node');
  nodeImage.skeleton({ users: [['node', 1000]] });
  nodeImage.busybox();
  nodeImage.binary(node, '/usr/local/bin/node');

  log('image: distroless nodejs22 (no shell)');
  const distroless = image('distroless-nodejs');
  distroless.skeleton({ minimal: true, users: [['nonroot', 65532]] });
  distroless.binary(node, '/nodejs/bin/node');

  log('image: python (Debian python3.11 + debugpy + gdb)');
  const python = image('python');
  python.skeleton();
  python.busybox();
  python.binary(PYTHON, '/usr/bin/python3.11');
  python.symlink('python3.11', '/usr/bin/python3');
  python.symlink('python3.11', '/usr/bin/python');
  python.tree('/usr/lib/python3.11', '/usr/lib/python3.11');
  python.tree('/usr/lib/python3/dist-packages/debugpy', '/usr/lib/python3/dist-packages/debugpy');
  python.libraries(findFiles('/usr/lib/python3.11/lib-dynload', (f) => f.endsWith('.so')));
  python.libraries(findFiles('/usr/lib/python3/dist-packages/debugpy', (f) => f.endsWith('.so')));
  // Debian unbundles debugpy's vendored pydevd (symlinks into dist-packages, python3-pydevd) and its
  // bytecode dependency:
  // without it `python -m debugpy` cannot even start.
  const pydevd = ['python3-pydevd', 'python3-bytecode'].flatMap((pkg) => packageTopLevel(pkg, '/usr/lib/python3/dist-packages'));
  for (const entry of pydevd) {
    if (fs.statSync(entry).isDirectory()) python.tree(entry, entry);
    else python.copy(entry, entry);
  }
  python.libraries(findFiles('/usr/lib/python3/dist-packages', (f) => f.endsWith('.so') && /pydev/.test(f)));
  // `python -m debugpy --pid` injects through gdb, so the python debug image carries it (as the real
  // ones used for debugpy attach do); its Python scripts live in the image's /usr/lib/python3.11 already.
  if (fs.existsSync('/usr/bin/gdb')) {
    python.binary('/usr/bin/gdb', '/usr/bin/gdb');
    if (fs.existsSync('/usr/share/gdb')) python.tree('/usr/share/gdb', '/usr/share/gdb');
  }

  log('image: eclipse-temurin:17 (Debian openjdk-17 JDK, jcmd)');
  const temurin = image('temurin');
  temurin.skeleton();
  temurin.busybox();
  temurin.tree(JDK, JDK);
  temurin.symlink(JDK, '/opt/java/openjdk');
  if (fs.existsSync('/etc/java-17-openjdk')) temurin.tree('/etc/java-17-openjdk', '/etc/java-17-openjdk', { dereference: true });
  if (fs.existsSync('/etc/ssl/certs/java/cacerts')) temurin.copy('/etc/ssl/certs/java/cacerts', '/etc/ssl/certs/java/cacerts');
  temurin.libraries(findFiles(JDK, (f) => f.endsWith('.so') || f.includes('/bin/')));

  log('image: delve (dlv + busybox)');
  const delve = image('delve');
  delve.skeleton();
  delve.busybox();
  delve.binary(fs.realpathSync('/usr/bin/dlv'), '/usr/local/bin/dlv');

  log('demo image: node-app (FROM distroless nodejs22)');
  const nodeApp = image('demo-node-app');
  nodeApp.from(distroless);
  nodeApp.copy(path.join(demoDir, 'node-app/server.js'), '/app/server.js');

  log('demo image: python-app');
  const pythonApp = image('demo-python-app');
  pythonApp.from(python);
  pythonApp.copy(path.join(demoDir, 'python-app/app.py'), '/app/app.py');

  log('demo image: java-app (javac)');
  const javaApp = image('demo-java-app');
  javaApp.from(temurin);
  const classes = path.join(cacheDir, 'build/java-app');
  fs.rmSync(classes, { recursive: true, force: true });
  fs.mkdirSync(classes, { recursive: true });
  execFileSync(path.join(JDK, 'bin/javac'), ['-d', classes, path.join(demoDir, 'java-app/Main.java')], { stdio: 'inherit' });
  javaApp.copy(path.join(classes, 'Main.class'), '/app/Main.class');

  log('demo image: go-app (go build, static, offline)');
  const goApp = image('demo-go-app');
  goApp.skeleton({ minimal: true, users: [['nonroot', 65532]] });
  const goOut = path.join(cacheDir, 'build/go-app/server');
  const goEnv = {
    ...process.env, CGO_ENABLED: '0', GOFLAGS: '', GOPROXY: 'off', GO111MODULE: 'on',
    GOCACHE: path.join(cacheDir, 'build/gocache'), GOPATH: path.join(cacheDir, 'build/gopath'),
  };
  // Debian's Go (golang-go), the toolchain Debian's delve in the delve image supports: a newer Go writes DWARF 5
  // (location lists) that dlv 1.20 cannot read, so it shows no variables. Built as one builds for a debugger
  // (-N -l: no optimisation, no inlining), so locals such as the handler's `n` exist at their lines.
  const debianGo = fs.existsSync('/usr/lib/go/bin/go') ? '/usr/lib/go/bin/go' : 'go';
  execFileSync(debianGo, ['build', '-gcflags=all=-N -l', '-o', goOut, '.'], { cwd: path.join(demoDir, 'go-app'), env: goEnv, stdio: 'inherit' });
  goApp.copy(goOut, '/app/server');

  fs.writeFileSync(stampFile, stamp);
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return { cacheDir, built: true };
}

/** A root filesystem under construction. Files are hard-linked from the host when possible. */
class Rootfs {
  constructor(dir) {
    this.dir = dir;
  }

  at(p) {
    return path.join(this.dir, p);
  }

  skeleton({ minimal = false, users = [] } = {}) {
    for (const d of ['etc', 'proc', 'dev', 'sys', 'tmp', 'root', 'home', 'var/tmp', 'run']) fs.mkdirSync(this.at(d), { recursive: true });
    if (!minimal) for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'usr/local/bin']) fs.mkdirSync(this.at(d), { recursive: true });
    fs.chmodSync(this.at('tmp'), 0o1777);
    fs.chmodSync(this.at('var/tmp'), 0o1777);
    fs.chmodSync(this.at('root'), 0o700);
    const shell = minimal ? '/sbin/nologin' : '/bin/sh';
    const passwd = [`root:x:0:0:root:/root:${shell}`, `nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin`];
    const group = ['root:x:0:', 'nogroup:x:65534:'];
    for (const [name, id] of users) {
      passwd.push(`${name}:x:${id}:${id}:${name}:/home/${name}:${shell}`);
      group.push(`${name}:x:${id}:`);
      fs.mkdirSync(this.at(`home/${name}`), { recursive: true });
      fs.chownSync(this.at(`home/${name}`), id, id);
    }
    fs.writeFileSync(this.at('etc/passwd'), passwd.join('\n') + '\n');
    fs.writeFileSync(this.at('etc/group'), group.join('\n') + '\n');
    fs.writeFileSync(this.at('etc/hosts'), '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n');
    fs.writeFileSync(this.at('etc/nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n');
  }

  busybox() {
    this.copy(BUSYBOX, '/bin/busybox');
    const applets = execFileSync(BUSYBOX, ['--list-full'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const applet of applets) {
      const target = this.at(applet);
      if (fs.existsSync(target)) continue;
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.linkSync(this.at('bin/busybox'), target);
    }
  }

  copy(hostFile, dest) {
    const target = this.at(dest);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.rmSync(target, { force: true });
    const source = fs.realpathSync(hostFile);
    try {
      fs.linkSync(source, target);
    } catch {
      fs.copyFileSync(source, target);
      fs.chmodSync(target, fs.statSync(source).mode & 0o7777);
    }
  }

  symlink(target, dest) {
    fs.mkdirSync(path.dirname(this.at(dest)), { recursive: true });
    fs.rmSync(this.at(dest), { force: true });
    fs.symlinkSync(target, this.at(dest));
  }

  /** A whole host tree, hard-linked (cp -al) so even the JDK costs no space or time. */
  tree(hostDir, dest, { dereference = false } = {}) {
    const target = this.at(dest);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.rmSync(target, { recursive: true, force: true });
    execFileSync('cp', [dereference ? '-aLl' : '-al', hostDir, target]);
  }

  binary(hostFile, dest) {
    this.copy(hostFile, dest);
    this.libraries([hostFile]);
  }

  binaries(hostFiles, destDir) {
    for (const f of hostFiles) this.copy(f, path.join(destDir, path.basename(f)));
    this.libraries(hostFiles);
  }

  /** The shared libraries (ldd) of these ELF files, at the paths the dynamic loader looks for them. */
  libraries(files) {
    for (const lib of sharedLibraries(files)) {
      if (!fs.existsSync(this.at(lib))) this.copy(lib, lib);
    }
  }

  /** Starts this image FROM another (hard links, so it is instant and shares the base's files). */
  from(base) {
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(this.dir), { recursive: true });
    execFileSync('cp', ['-al', base.dir, this.dir]);
  }
}

function sharedLibraries(files) {
  const libs = new Set();
  // ldd takes many files at once; batches keep the command line short.
  for (let i = 0; i < files.length; i += 200) {
    let out = '';
    try {
      out = execFileSync('ldd', files.slice(i, i + 200), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch (e) {
      out = e.stdout ?? ''; // ldd fails on static or non-ELF members but still prints the rest
    }
    for (const line of out.split('\n')) {
      const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
      if (m) libs.add(m[1]);
    }
  }
  return [...libs];
}

function packageBinaries(packages) {
  let out = '';
  for (const pkg of packages) {
    try {
      out += execFileSync('dpkg', ['-L', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      // not installed on this machine: the image simply lacks it
    }
  }
  return [...new Set(out.split('\n').filter((f) => /^\/(usr\/)?s?bin\/[^/]+$/.test(f) && fs.existsSync(f) && fs.statSync(f).isFile()))];
}

/** A package's files and folders directly under `dir` (e.g. its modules in dist-packages). */
function packageTopLevel(pkg, dir) {
  let out = '';
  try {
    out = execFileSync('dpkg', ['-L', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return [];
  }
  return [...new Set(out.split('\n').filter((f) => path.dirname(f) === dir && fs.existsSync(f)))];
}

function findFiles(dir, predicate) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const full = path.join(entry.parentPath ?? entry.path, entry.name);
    if (entry.isFile() && predicate(full)) found.push(full);
  }
  return found;
}

function realNode() {
  return fs.realpathSync(path.join(repoRoot, 'node_modules/node/bin/node'));
}

function gcc(source, output) {
  execFileSync('gcc', ['-O2', '-Wall', '-static', '-o', output, source], { stdio: ['ignore', 'ignore', 'pipe'] });
}

function inputsHash() {
  const hash = createHash('sha256');
  hash.update(String(RECIPE_VERSION));
  const files = [fileURLToPath(import.meta.url), path.join(here, 'shim.c'), path.join(here, 'pause.c'),
    ...findFiles(demoDir, (f) => !f.endsWith('.yaml'))].sort();
  for (const f of files) hash.update(f).update(fs.readFileSync(f));
  hash.update(realNode());
  return hash.digest('hex');
}

function readOr(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  setupRuntime({ force: process.argv.includes('--force'), quiet: process.argv.includes('--quiet') }).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
