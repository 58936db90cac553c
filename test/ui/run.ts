/**
 * UI suite: the extension driven through the real VS Code workbench like a person — code-server 4.116
 * (VS Code 1.116; installed by test/setup/code-server.mjs) with this checkout as the extension under
 * development, against the test cluster (EPHEMERAL_DEBUG_TEST_CLUSTER: loopback by default) with the demo workloads, in headless Debian Chromium driven by
 * playwright-core (no browser download). The steps are test/ui/steps.ts; each is printed as ✓/✗ and
 * screenshotted into test-results/ui/NN-name.png; a failing step also saves the extension's log next to it,
 * and the runner exits non-zero. The screenshots of steps marked `readme` are also copied to media/screenshots/
 * (committed, shown by the README) when UI_README_SCREENSHOTS=1, and when every step passed
 * media/screenshots/README.md lists them as Markdown lines to paste.
 *
 * The window opens a multi-root workspace whose first folder is a copy of the demo app's source
 * (test/cluster/demo/node-app: the debugger's localRoot), so "Add to Workspace" of Open Target Filesystem adds
 * a folder without reloading the window. The Python and Go apps' sources are folders of it too, with launch
 * configurations for them.
 *
 * Every process started here (cluster, code-server's process group, Chromium) is ended by pid and the temp
 * dir removed, on success, failure and Ctrl-C.
 * Usage: tsx test/ui/run.ts [--keep] [--verbose] [--headed-size WxH]; UI_STEPS=name,name runs only those steps.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { chromium, type Browser, type BrowserServer } from 'playwright-core';
import { CLUSTER_ENV, startTestCluster, testClusterKind } from '../cluster/testCluster';
import { joinResults, releaseDebugger, steps } from './steps';
import { Workbench } from './workbench';

const repoRoot = join(__dirname, '..', '..');
const codeServerEntry = join(repoRoot, '.cache', 'code-server', 'prefix', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const resultsDir = join(repoRoot, 'test-results', 'ui');
const readmeScreenshotsDir = join(repoRoot, 'media', 'screenshots');
const demoDir = join(repoRoot, 'test', 'cluster', 'demo');
const demoSource = join(demoDir, 'node-app');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const VIEWPORT = { width: 1280, height: 800 };

/** What a user writes in launch.json to debug the Python and Go apps from their local checkouts. */
const LAUNCH_CONFIGURATIONS = [
  { type: 'kubernetes-ephemeral', request: 'attach', name: 'Kubernetes: python-app (local source)', namespace: 'demo', pod: 'python-app', runtime: 'python', localRoot: '${workspaceFolder:python-app (source)}', remoteRoot: '/app' },
  { type: 'kubernetes-ephemeral', request: 'attach', name: 'Kubernetes: go-app (local source)', namespace: 'demo', pod: 'go-app', runtime: 'go', localRoot: '${workspaceFolder:go-app (source)}' },
];

const argv = process.argv.slice(2);
const keep = argv.includes('--keep');
const verbose = argv.includes('--verbose') || process.env.UI_TEST_VERBOSE === '1';

const started = performance.now();
const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(1)} s`;
const say = (line: string): void => console.log(`ui: ${line}`);

/** Everything to undo, in reverse order of creation. */
const cleanups: { what: string; run: () => Promise<void> | void }[] = [];
let cleaningUp: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaningUp ??= (async () => {
    for (const { what, run } of cleanups.splice(0).reverse()) {
      try {
        await run();
      } catch (error) {
        console.error(`ui: cleanup of ${what} failed: ${String(error)}`);
      }
    }
  })();
  return cleaningUp;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the process group led by `pid` (our own child, started detached), SIGKILL after a grace. */
async function endProcessGroup(pid: number, graceMs = 5000): Promise<void> {
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    try {
      process.kill(-pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  signal('SIGKILL');
}

function node22(): string {
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath;
  const local = join(repoRoot, 'node_modules', '.bin', 'node');
  if (!existsSync(local)) throw new Error('Node 22 is missing: run `npm install`');
  return local;
}

/** User settings: no onboarding UI; the extension's own questions stay ON (the suite answers them). */
function seedSettings(userDataDir: string, kubeconfigPath: string): void {
  const user = {
    'workbench.startupEditor': 'none',
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'chat.disableAIFeatures': true,
    'chat.commandCenter.enabled': false,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'extensions.ignoreRecommendations': true,
    'security.workspace.trust.enabled': false,
    'git.enabled': false,
    // The DOM renderer, so the rendered terminal text is in .xterm-rows.
    'terminal.integrated.gpuAcceleration': 'off',
    'window.dialogStyle': 'custom',
    'ephemeralDebug.kubeconfig': kubeconfigPath,
    // Upload… writes into the target (off by default: it changes a running container).
    'ephemeralDebug.targetFilesystem.allowWrites': true,
  };
  // Machine-scoped settings (kubeconfig) are read from the server's Machine settings.
  // allowNodeDebug too (machine-scoped, never from a workspace): the Debug Node step needs it.
  const machine = { 'ephemeralDebug.kubeconfig': kubeconfigPath, 'ephemeralDebug.governance.allowNodeDebug': true };
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(join(userDataDir, 'Machine'), { recursive: true });
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify(user, null, 2));
  writeFileSync(join(userDataDir, 'Machine', 'settings.json'), JSON.stringify(machine, null, 2));
}

async function startCodeServer(dirs: { userData: string; extensions: string; config: string; home: string }, env: NodeJS.ProcessEnv, log: string[]): Promise<{ child: ChildProcess; url: string }> {
  if (!existsSync(codeServerEntry)) throw new Error(`code-server is not installed: run \`node test/setup/code-server.mjs\` (${codeServerEntry} missing)`);
  writeFileSync(dirs.config, 'auth: none\n');
  const args = [
    codeServerEntry,
    '--config', dirs.config,
    '--auth', 'none',
    '--bind-addr', '127.0.0.1:0',
    '--user-data-dir', dirs.userData,
    '--extensions-dir', dirs.extensions,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
  ];
  const child = spawn(node22(), args, { cwd: dirs.home, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push({ what: `code-server (pid ${child.pid})`, run: () => (child.pid !== undefined ? endProcessGroup(child.pid) : undefined) });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`code-server did not start in 60 s:\n${log.join('')}`)), 60_000);
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      log.push(text);
      if (verbose) process.stdout.write(`code-server: ${text}`);
      const match = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log.join(''));
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1] });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`code-server exited (${code ?? sig}) before listening:\n${log.join('')}`));
    });
  });
}

/** A local port forwarded to demo/node-app:8080 with client-node's PortForward (one WebSocket per connection). */
async function forwardNodeApp(kc: k8s.KubeConfig): Promise<{ server: NetServer; port: number }> {
  const forward = new k8s.PortForward(kc);
  const server = createNetServer((socket) => {
    forward.portForward('demo', 'node-app', [8080], socket, null, socket).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function httpGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, timeout: 240_000, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** The extension's log (its LogOutputChannel file) and the extension host log, for failures. */
function extensionLog(userDataDir: string): string {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of existsSync(dir) ? readdirSync(dir) : []) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.includes('Kubernetes Ephemeral Debug') || name === 'exthost.log' || name === 'remoteexthost.log') found.push(`--- ${relative(userDataDir, path)}\n${readFileSync(path, 'utf8')}`);
    }
  };
  walk(join(userDataDir, 'logs'));
  return found.join('\n');
}

async function main(): Promise<number> {
  const temp = mkdtempSync(join(tmpdir(), 'ephemeral-debug-ui-'));
  cleanups.push({ what: `temp dir ${temp}`, run: () => (keep ? say(`kept ${temp}`) : rmSync(temp, { recursive: true, force: true })) });
  const dirs = { userData: join(temp, 'user-data'), extensions: join(temp, 'extensions'), config: join(temp, 'code-server.yaml'), home: temp };
  for (const dir of [dirs.userData, dirs.extensions]) mkdirSync(dir, { recursive: true });
  const kubeconfigPath = join(temp, 'kubeconfig');
  // The user's checkout of the app: a copy of the demo source, first folder of a multi-root workspace.
  const sourceDir = join(temp, 'src', 'node-app');
  cpSync(demoSource, sourceDir, { recursive: true });
  // The Python and Go apps' checkouts too, with the launch configurations a user writes for them (Go's without
  // remoteRoot: the session finds the build folder).
  for (const app of ['python-app', 'go-app']) cpSync(join(demoDir, app), join(temp, 'src', app), { recursive: true });
  const workspaceFile = join(temp, 'ui.code-workspace');
  writeFileSync(workspaceFile, JSON.stringify({
    folders: [{ path: sourceDir, name: 'node-app (source)' }, { path: join(temp, 'src', 'python-app'), name: 'python-app (source)' }, { path: join(temp, 'src', 'go-app'), name: 'go-app (source)' }],
    settings: {},
    launch: { version: '0.2.0', configurations: LAUNCH_CONFIGURATIONS },
  }, null, 2));
  rmSync(resultsDir, { recursive: true, force: true });
  mkdirSync(resultsDir, { recursive: true });

  say('building the extension (node esbuild.mjs)');
  const build = spawnSync(node22(), ['esbuild.mjs'], { cwd: repoRoot, stdio: verbose ? 'inherit' : 'pipe' });
  if (build.status !== 0) throw new Error(`node esbuild.mjs failed (exit ${build.status}): ${String(build.stderr ?? '')}`);

  say(`starting the test cluster (${CLUSTER_ENV}=${testClusterKind()}) with the demo workloads`);
  const cluster = await startTestCluster({ kubeconfigPath, log: verbose ? (line) => console.log(`cluster: ${line}`) : undefined });
  cleanups.push({ what: cluster.description, run: () => cluster.stop() });
  say(`cluster: ${cluster.description} at ${cluster.server} (${elapsed()})`);
  const forward = await forwardNodeApp(cluster.kubeConfig('admin'));
  cleanups.push({ what: 'port-forward', run: () => new Promise<void>((resolve) => forward.server.close(() => resolve())) });

  seedSettings(dirs.userData, kubeconfigPath);
  const serverLog: string[] = [];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KUBECONFIG: kubeconfigPath,
    HOME: dirs.home,
    XDG_CONFIG_HOME: join(dirs.home, '.config'),
    XDG_DATA_HOME: join(dirs.home, '.local', 'share'),
    XDG_CACHE_HOME: join(dirs.home, '.cache'),
  };
  const { url } = await startCodeServer(dirs, env, serverLog);
  say(`code-server at ${url} (${elapsed()})`);

  const browserServer: BrowserServer = await chromium.launchServer({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, env: { ...process.env, HOME: dirs.home },
    // Our own handlers end everything in order: playwright's would process.exit() before the cluster and code-server are ended.
    handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false });
  const chromiumPid = browserServer.process().pid;
  cleanups.push({
    what: `chromium (pid ${chromiumPid})`,
    run: async () => {
      await browserServer.close().catch(() => undefined);
      if (chromiumPid !== undefined && isAlive(chromiumPid)) process.kill(chromiumPid, 'SIGKILL');
    },
  });
  const browser: Browser = await chromium.connect(browserServer.wsEndpoint());
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  const consoleLines: string[] = [];
  page.on('console', (message) => {
    const line = `[browser ${message.type()}] ${message.text()}`;
    if (/Failed to load resource|open-vsx\.org/.test(line) && !verbose) return;
    consoleLines.push(line);
    if (verbose) console.log(line);
  });
  page.on('pageerror', (error) => consoleLines.push(`[page error] ${error.message}`));

  const authority = new URL(url).host;
  const payload = [
    ['extensionDevelopmentPath', `vscode-remote://${authority}${repoRoot}`],
    ['skipWelcome', 'true'],
    ['skipReleaseNotes', 'true'],
  ];
  await page.goto(`${url}/?workspace=${encodeURIComponent(workspaceFile)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  say(`workbench up (${elapsed()})`);

  const wb = new Workbench(page);
  const ctx = {
    wb,
    cluster: cluster.context('admin'),
    serverJsPath: join(sourceDir, 'server.js'),
    sourcePath: (app: string, file: string) => join(temp, 'src', app, file),
    request: (path: string) => httpGet(forward.port, path),
    get: httpGet,
    kubeConfig: cluster.kubeConfig('admin'),
    home: dirs.home,
    log: (line: string) => console.log(`      ${line}`),
  };
  // Opt-in, so that a test run leaves the working tree as it was.
  const copyReadmeScreenshots = process.env.UI_README_SCREENSHOTS === '1';
  const readmeLines: string[] = [];
  let passed = 0;
  let failed = 0;
  // UI_STEPS=name,name runs only those steps (each of the later ones sets up what it needs); for working on them.
  const only = process.env.UI_STEPS?.split(',').map((n) => n.trim()).filter(Boolean);
  for (const [index, step] of steps.entries()) {
    if (only !== undefined && only.length > 0 && !only.includes(step.name)) continue;
    if (failed > 0) {
      console.log(`  - ${step.title} (not run: an earlier step failed)`);
      failed++;
      continue;
    }
    const t0 = performance.now();
    let error: unknown;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        step.run({ ...ctx, screenshotPath: joinResults(resultsDir, index, step, 'png') }),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`step timed out after ${step.timeoutMs / 1000} s`)), step.timeoutMs))),
      ]);
    } catch (e) {
      error = e;
    } finally {
      clearTimeout(timer);
    }
    const shot = joinResults(resultsDir, index, step, 'png');
    // A passing step that saved its own best moment keeps it.
    if (error === undefined) await wb.dismissUnrelatedToasts();
    if (error !== undefined || !existsSync(shot)) await page.screenshot({ path: shot }).catch((e: unknown) => console.error(`ui: screenshot failed: ${String(e)}`));
    const ms = Math.round(performance.now() - t0);
    if (error === undefined) {
      passed++;
      console.log(`  ✓ ${step.title} (${ms} ms) → ${relative(repoRoot, shot)}`);
      if (step.readme !== undefined && existsSync(shot)) {
        readmeLines.push(`![${step.readme.alt}](media/screenshots/${step.readme.file}.png)`);
        if (copyReadmeScreenshots) copyFileSync(shot, join(readmeScreenshotsDir, `${step.readme.file}.png`));
      }
    } else {
      failed++;
      const logFile = joinResults(resultsDir, index, step, 'log');
      const notes = await wb.notifications();
      writeFileSync(logFile, [`step: ${step.title}`, `error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, `notifications: ${JSON.stringify(notes)}`, '--- browser console (last 80 lines)', consoleLines.slice(-80).join('\n'), '--- code-server output (last 40 lines)', serverLog.join('').split('\n').slice(-40).join('\n'), '--- extension logs', extensionLog(dirs.userData)].join('\n'));
      console.log(`  ✗ ${step.title} (${ms} ms) → ${relative(repoRoot, shot)}, ${relative(repoRoot, logFile)}\n${(error instanceof Error ? error.message : String(error)).replace(/^/gm, '      ')}${notes.length > 0 ? `\n      notifications: ${notes.join(' | ')}` : ''}`);
    }
  }
  await releaseDebugger(wb);
  if (failed === 0 && copyReadmeScreenshots) {
    writeFileSync(join(readmeScreenshotsDir, 'README.md'), [
      '# README screenshots',
      '',
      `Written by the UI suite (\`npm run test:ui\`, test/ui/steps.ts) on the ${testClusterKind()} test cluster, ${new Date().toISOString().slice(0, 10)}; one per step marked \`readme\`. Lines for the README:`,
      '',
      ...readmeLines,
      '',
    ].join('\n'));
    say(`README screenshots: ${readmeLines.length} in ${relative(repoRoot, readmeScreenshotsDir)}/ (lines in README.md there)`);
  }
  console.log(`${passed} passed, ${failed} failed (${elapsed()})`);
  return failed === 0 ? 0 : 1;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (cleaningUp !== undefined) return;
    console.error(`ui: ${signal}, cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

main().then(
  async (code) => {
    await cleanup();
    say(`done (${elapsed()})`);
    process.exit(code);
  },
  async (error: unknown) => {
    console.error(`ui: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    await cleanup();
    console.log(`0 passed, ${steps.length} failed`);
    process.exit(1);
  },
);
