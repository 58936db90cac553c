/**
 * Extension-host tests in the real editor: code-server (VS Code 1.116 workbench + Node extension host,
 * installed by test/setup/code-server.mjs) with this checkout as the extension under development, against
 * the loopback cluster with the demo workloads.
 *
 * How: VS Code's own browser integration tests' mechanism. The workbench URL's `payload` names
 * `extensionDevelopmentPath` (this checkout, so dist/extension.js from `node esbuild.mjs` is what runs) and
 * `extensionTestsPath` (test/host/suite bundled into the test-harness extension, whose manifest enables the
 * terminalDataWriteEvent API proposal the tests read terminal output with). Headless Chromium (Debian's, via
 * playwright-core) opens that URL, which starts the extension host; it runs the suite's `run()` and, when it
 * settles, the workbench calls `window.codeAutomationExit(code)`, exposed here. Tests post each result to
 * this runner's HTTP endpoint (printed as they come) and ask it about the rendered workbench (tree rows,
 * terminal text, screenshots into test-results/host/).
 *
 * Every process started here (cluster, code-server, Chromium) is ended by pid, and the temp dir removed,
 * on success, failure and Ctrl-C.
 * Usage: tsx test/host/run.ts [--grep PATTERN] [--extension-path DIR (prebuilt; no build)] [--keep] [--verbose]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import * as esbuild from 'esbuild';
import { chromium, type Browser, type BrowserServer, type Page } from 'playwright-core';
import { LoopbackCluster } from '../cluster/cluster';
import type { TestEvent } from './testEvents';

const repoRoot = join(__dirname, '..', '..');
const codeServerEntry = join(repoRoot, '.cache', 'code-server', 'prefix', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const harnessDir = join(__dirname, 'harness');
const suiteDir = join(__dirname, 'suite');
const screenshotDir = join(repoRoot, 'test-results', 'host');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** The whole suite, from opening the workbench to codeAutomationExit. */
const SUITE_TIMEOUT_MS = Number(process.env.HOST_TEST_TIMEOUT_MS ?? 240_000);

const argv = process.argv.slice(2);
const grep = argv.includes('--grep') ? (argv[argv.indexOf('--grep') + 1] ?? '') : '';
const keep = argv.includes('--keep');
/** A prebuilt extension folder (package.json + dist/) to test instead of building this checkout. */
const extensionPath = argv.includes('--extension-path') ? (argv[argv.indexOf('--extension-path') + 1] ?? '') : repoRoot;
const verbose = argv.includes('--verbose') || process.env.HOST_TEST_VERBOSE === '1';

const started = performance.now();
const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(1)} s`;
const say = (line: string): void => console.log(`host: ${line}`);

/** Everything to undo, in reverse order of creation. */
const cleanups: { what: string; run: () => Promise<void> | void }[] = [];
let cleaningUp: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaningUp ??= (async () => {
    for (const { what, run } of cleanups.splice(0).reverse()) {
      try {
        await run();
      } catch (error) {
        console.error(`host: cleanup of ${what} failed: ${String(error)}`);
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

function buildExtension(): void {
  const result = spawnSync(node22(), ['esbuild.mjs'], { cwd: repoRoot, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`node esbuild.mjs failed (exit ${result.status})`);
}

/** The harness extension (manifest + the suite bundled into dist/suite.js) in the extensions dir. */
async function installHarness(extensionsDir: string, config: Record<string, string>): Promise<string> {
  const manifest = JSON.parse(readFileSync(join(harnessDir, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
  const dir = join(extensionsDir, `${manifest.publisher}.${manifest.name}-${manifest.version}`);
  mkdirSync(join(dir, 'dist'), { recursive: true });
  cpSync(join(harnessDir, 'package.json'), join(dir, 'package.json'));
  const testFiles = readdirSync(suiteDir).filter((f) => f.endsWith('.test.ts')).sort();
  const entry = [
    "const index = require('./index');",
    `exports.run = () => index.run(() => {\n${testFiles.map((f) => `  require('./${f.replace(/\.ts$/, '')}');`).join('\n')}\n});`,
  ].join('\n');
  const suiteJs = join(dir, 'dist', 'suite.js');
  await esbuild.build({
    stdin: { contents: entry, resolveDir: suiteDir, sourcefile: 'host-suite-entry.js', loader: 'js' },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node22',
    outfile: suiteJs,
    external: ['vscode', 'mocha'],
    define: { __HOST_TEST_CONFIG__: JSON.stringify(config) },
    sourcemap: 'inline',
    sourcesContent: false,
    logLevel: 'warning',
  });
  say(`suite: ${testFiles.join(', ')}`);
  return suiteJs;
}

function seedSettings(userDataDir: string, kubeconfigPath: string): void {
  const user = {
    // No welcome page, walkthroughs, sign-in/chat onboarding, tips, update or telemetry prompts.
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
    // The extension under test: the loopback cluster; no modal questions (the tests call with arguments).
    'ephemeralDebug.kubeconfig': kubeconfigPath,
    'ephemeralDebug.showEphemeralNotice': false,
    'ephemeralDebug.confirmPrivilegedProfiles': false,
  };
  // Machine-scoped settings (kubeconfig, confirmPrivilegedProfiles) are read from the server's Machine settings.
  const machine = {
    'ephemeralDebug.kubeconfig': kubeconfigPath,
    'ephemeralDebug.confirmPrivilegedProfiles': false,
  };
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(join(userDataDir, 'Machine'), { recursive: true });
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify(user, null, 2));
  writeFileSync(join(userDataDir, 'Machine', 'settings.json'), JSON.stringify(machine, null, 2));
}

async function startCodeServer(dirs: { userData: string; extensions: string; workspace: string; config: string; home: string }, env: NodeJS.ProcessEnv, log: string[]): Promise<{ child: ChildProcess; url: string }> {
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
    dirs.workspace,
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

/** The runner's endpoint for the suite: results, and questions about the rendered workbench. */
function startReportServer(onEvent: (event: TestEvent) => void, page: () => Page | undefined): Promise<{ server: Server; url: string }> {
  const readBody = (req: IncomingMessage): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
      req.on('error', reject);
    });
  const answer = (res: ServerResponse, body: unknown): void => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req, res) => {
    void (async () => {
      try {
        const body = (await readBody(req)) as Record<string, string>;
        if (req.url === '/event') {
          onEvent(body as unknown as TestEvent);
          answer(res, { ok: true });
        } else if (req.url === '/ui') {
          const p = page();
          if (p === undefined) throw new Error('no browser page');
          answer(res, { ok: true, value: await uiAction(p, body) });
        } else {
          res.writeHead(404).end();
        }
      } catch (error) {
        answer(res, { ok: false, error: error instanceof Error ? error.message : String(error) });
      }
    })();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

/** The little of the DOM the page functions below use (this file is type-checked without lib.dom). */
interface DomElement {
  getAttribute(name: string): string | null;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): ArrayLike<DomElement>;
  closest(selector: string): DomElement | null;
  readonly textContent: string | null;
  readonly innerText: string;
}

/** Rows of the view's tree in the sidebar, as rendered (label, description, aria level/expanded). */
async function viewRows(page: Page, viewId: string): Promise<unknown> {
  return page.evaluate((id) => {
    const document = (globalThis as unknown as { document: DomElement }).document;
    const rows: { label: string; description: string; ariaLabel: string; expanded: boolean | undefined; level: number }[] = [];
    // A view pane's body carries the view id in the tree's container; fall back to the visible sidebar.
    const scope = document.querySelector(`[id="${id}"]`)?.closest('.pane') ?? document.querySelector('.part.sidebar');
    for (const row of Array.from(scope?.querySelectorAll('.monaco-list-row') ?? [])) {
      const expanded = row.getAttribute('aria-expanded');
      rows.push({
        label: row.querySelector('.label-name')?.textContent?.trim() ?? '',
        description: row.querySelector('.label-description')?.textContent?.trim() ?? '',
        ariaLabel: row.getAttribute('aria-label') ?? '',
        expanded: expanded === null ? undefined : expanded === 'true',
        level: Number(row.getAttribute('aria-level') ?? 0),
      });
    }
    return rows;
  }, viewId);
}

async function uiAction(page: Page, request: Record<string, string>): Promise<unknown> {
  switch (request.action) {
    case 'viewRows':
      return viewRows(page, request.viewId);
    case 'clickRow': {
      const row = page.locator('.part.sidebar .monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${request.label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) }).first();
      await row.click({ timeout: 10_000 });
      return true;
    }
    case 'terminalText':
      return page.evaluate(() => {
        const document = (globalThis as unknown as { document: DomElement }).document;
        return Array.from(document.querySelectorAll('.xterm-rows')).map((rows) => rows.innerText).join('\n');
      });
    case 'screenshot': {
      mkdirSync(screenshotDir, { recursive: true });
      const file = join(screenshotDir, `${basename(request.name)}.png`);
      await page.screenshot({ path: file });
      return relative(repoRoot, file);
    }
    default:
      throw new Error(`unknown action ${request.action}`);
  }
}

/** The extension's own log (its LogOutputChannel file) from the extension host's logs, for failures. */
function extensionLog(userDataDir: string): string {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of existsSync(dir) ? readdirSync(dir) : []) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.includes('Kubernetes Ephemeral Debug') || name === 'exthost.log' || name === 'remoteexthost.log') found.push(`--- ${relative(userDataDir, path)}\n${readFileSync(path, 'utf8').split('\n').slice(-60).join('\n')}`);
    }
  };
  walk(join(userDataDir, 'logs'));
  return found.join('\n');
}

async function main(): Promise<number> {
  const temp = mkdtempSync(join(tmpdir(), 'ephemeral-debug-host-'));
  cleanups.push({ what: `temp dir ${temp}`, run: () => (keep ? say(`kept ${temp}`) : rmSync(temp, { recursive: true, force: true })) });
  const dirs = {
    userData: join(temp, 'user-data'),
    extensions: join(temp, 'extensions'),
    workspace: join(temp, 'workspace'),
    config: join(temp, 'code-server.yaml'),
    home: temp,
  };
  for (const dir of [dirs.userData, dirs.extensions, dirs.workspace]) mkdirSync(dir, { recursive: true });
  const kubeconfigPath = join(temp, 'kubeconfig');

  if (extensionPath === repoRoot) {
    say('building the extension (node esbuild.mjs)');
    buildExtension();
  } else {
    say(`testing the prebuilt extension in ${extensionPath}`);
  }

  const results: TestEvent[] = [];
  let end: TestEvent | undefined;
  const browserPage: { current?: Page } = {};
  const report = await startReportServer((event) => {
    if (event.kind === 'end') {
      end = event;
      return;
    }
    results.push(event);
    const duration = event.durationMs !== undefined ? ` (${event.durationMs} ms)` : '';
    if (event.kind === 'pass') console.log(`  ✓ ${event.title}${duration}`);
    else if (event.kind === 'pending') console.log(`  - ${event.title} (pending)`);
    else console.log(`  ✗ ${event.title}${duration}\n${(event.error ?? '').replace(/^/gm, '      ')}`);
  }, () => browserPage.current);
  cleanups.push({ what: 'report server', run: () => new Promise<void>((resolve) => report.server.close(() => resolve())) });

  const suiteJs = await installHarness(dirs.extensions, { repoRoot, extensionPath, reportUrl: report.url, kubeconfigPath, grep });

  say('starting the loopback cluster with the demo workloads');
  const cluster = await LoopbackCluster.start({ demo: true, kubeconfigPath, log: verbose ? (line) => console.log(`cluster: ${line}`) : undefined });
  cleanups.push({ what: 'loopback cluster', run: () => cluster.stop() });
  say(`cluster at ${cluster.url} (${elapsed()})`);

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

  const browserServer: BrowserServer = await chromium.launchServer({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, env: { ...process.env, HOME: dirs.home } });
  const chromiumPid = browserServer.process().pid;
  cleanups.push({
    what: `chromium (pid ${chromiumPid})`,
    run: async () => {
      await browserServer.close().catch(() => undefined);
      if (chromiumPid !== undefined && isAlive(chromiumPid)) process.kill(chromiumPid, 'SIGKILL');
    },
  });
  const browser: Browser = await chromium.connect(browserServer.wsEndpoint());
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  browserPage.current = page;
  const consoleLines: string[] = [];
  page.on('console', (message) => {
    const line = `[browser ${message.type()}] ${message.text()}`;
    // Offline noise: the marketplace (open-vsx.org) and other remote resources do not resolve here.
    if (/Failed to load resource|open-vsx\.org/.test(line) && !verbose) return;
    consoleLines.push(line);
    if (verbose) console.log(line);
  });
  page.on('pageerror', (error) => consoleLines.push(`[page error] ${error.message}`));

  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((resolve) => (resolveExit = resolve));
  await page.exposeFunction('codeAutomationExit', (code: number) => resolveExit(code));

  const authority = new URL(url).host;
  const remote = (path: string): string => `vscode-remote://${authority}${path}`;
  const payload = [
    ['extensionDevelopmentPath', remote(extensionPath)],
    ['extensionTestsPath', remote(suiteJs)],
    ['skipWelcome', 'true'],
    ['skipReleaseNotes', 'true'],
  ];
  const workbenchUrl = `${url}/?folder=${encodeURIComponent(dirs.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  say('opening the workbench; the extension host runs test/host/suite');
  await page.goto(workbenchUrl);
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  say(`workbench up (${elapsed()})`);

  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([exited, new Promise<number>((resolve) => (timer = setTimeout(() => resolve(-1), SUITE_TIMEOUT_MS)))]);
  clearTimeout(timer);

  const passed = results.filter((r) => r.kind === 'pass').length;
  const failed = results.filter((r) => r.kind === 'fail').length;
  let ok = code === 0 && failed === 0 && passed > 0 && end !== undefined;
  if (code === -1) console.log(`  ✗ the suite did not finish within ${SUITE_TIMEOUT_MS / 1000} s`);
  else if (end === undefined) console.log(`  ✗ the extension host exited (code ${code}) without the suite's end report`);
  if (passed === 0 && code !== -1) ok = false;
  if (!ok || verbose) {
    mkdirSync(screenshotDir, { recursive: true });
    await page.screenshot({ path: join(screenshotDir, 'final.png') }).catch(() => undefined);
    console.log('--- browser console (last 80 lines)');
    console.log(consoleLines.slice(-80).join('\n'));
    console.log('--- code-server output (last 40 lines)');
    console.log(serverLog.join('').split('\n').filter((l) => !l.includes('open-vsx.org')).slice(-40).join('\n'));
    console.log('--- extension host logs');
    console.log(extensionLog(dirs.userData));
  }
  const notFinished = code === -1 || end === undefined ? 1 : 0;
  console.log(`${passed} passed, ${failed + notFinished} failed (extension host exit code ${code}, ${elapsed()})`);
  return ok ? 0 : 1;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`host: ${signal}, cleaning up`);
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
    console.error(`host: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    await cleanup();
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
