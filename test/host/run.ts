/**
 * Extension-host tests in the real editor: code-server (VS Code 1.116 workbench + Node extension host,
 * installed by test/setup/code-server.mjs) with this checkout as the extension under development, against
 * the test cluster (EPHEMERAL_DEBUG_TEST_CLUSTER: loopback by default) with the demo workloads.
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
 * With `--vsix FILE`, the packaged extension is installed into the fresh extensions dir
 * (`code-server --install-extension`) and runs as an ordinary installed extension instead.
 * Usage: tsx test/host/run.ts [--grep PATTERN] [--extension-path DIR (prebuilt; no build) | --vsix FILE] [--keep] [--verbose]
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { chromium, type Browser, type BrowserServer, type Page } from 'playwright-core';
import { CLUSTER_ENV, startTestCluster, testClusterKind } from '../cluster/testCluster';
import { codeServerEnv, endProcessGroup, installVsix, isAlive, node22, remoteUri, repoRoot, seedSettings, startCodeServer, workbenchUrl } from './codeServer';
import type { TestEvent } from './testEvents';

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
/** A packaged extension (.vsix) to install into the extensions dir instead of running this checkout as the extension under development. */
const vsixPath = argv.includes('--vsix') ? resolve(argv[argv.indexOf('--vsix') + 1] ?? '') : undefined;
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

function buildExtension(): void {
  const result = spawnSync(node22(), ['esbuild.mjs'], { cwd: repoRoot, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`node esbuild.mjs failed (exit ${result.status})`);
}

/** Installs the .vsix into the extensions dir (code-server --install-extension); returns the installed folder. */
function installPackaged(vsix: string, dirs: { extensions: string; userData: string }, env: NodeJS.ProcessEnv): string {
  const out = installVsix(vsix, dirs, env);
  say(`code-server --install-extension: ${out.trim().split('\n').pop() ?? ''}`);
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { publisher: string; name: string };
  const prefix = `${manifest.publisher}.${manifest.name}-`.toLowerCase();
  const found = readdirSync(dirs.extensions).find((name) => name.toLowerCase().startsWith(prefix));
  if (found === undefined) throw new Error(`the vsix installed, but no ${prefix}* folder is in ${dirs.extensions}:\n${out}`);
  return join(dirs.extensions, found);
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
    loader: { '.sh': 'text' },
    define: { __HOST_TEST_CONFIG__: JSON.stringify(config) },
    sourcemap: 'inline',
    sourcesContent: false,
    logLevel: 'warning',
  });
  say(`suite: ${testFiles.join(', ')}`);
  return suiteJs;
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
    case 'debugConsoleText':
      // The Debug Console (REPL) shows the focused session's lines.
      return page.evaluate(() => {
        const document = (globalThis as unknown as { document: DomElement }).document;
        return Array.from(document.querySelectorAll('.repl .monaco-list-row')).map((row) => row.innerText).join('\n');
      });
    case 'runningExtensions':
      // The Running Extensions editor (workbench.action.showRuntimeExtensions): VS Code's own activation figures.
      return page.evaluate(() => {
        const document = (globalThis as unknown as { document: DomElement }).document;
        return Array.from(document.querySelectorAll('.runtime-extensions-editor .monaco-list-row')).map((row) => ({
          name: row.querySelector('.name')?.textContent?.trim() ?? '',
          activation: row.querySelector('.activation-time')?.textContent?.trim() ?? '',
        }));
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

  if (vsixPath !== undefined) {
    if (!existsSync(vsixPath)) throw new Error(`--vsix ${vsixPath}: no such file`);
    say(`testing the packaged extension ${relative(process.cwd(), vsixPath)} (installed, not under development)`);
  } else if (extensionPath === repoRoot) {
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
    if (event.kind === 'note') {
      console.log(`  · ${event.title}`);
      return;
    }
    results.push(event);
    const duration = event.durationMs !== undefined ? ` (${event.durationMs} ms)` : '';
    if (event.kind === 'pass') console.log(`  ✓ ${event.title}${duration}`);
    else if (event.kind === 'pending') console.log(`  - ${event.title} (pending)`);
    else console.log(`  ✗ ${event.title}${duration}\n${(event.error ?? '').replace(/^/gm, '      ')}`);
  }, () => browserPage.current);
  cleanups.push({ what: 'report server', run: () => new Promise<void>((resolve) => report.server.close(() => resolve())) });

  const env = codeServerEnv(dirs.home, kubeconfigPath);
  let testedPath = extensionPath;
  if (vsixPath !== undefined) {
    testedPath = installPackaged(vsixPath, dirs, env);
    say(`installed into ${relative(temp, testedPath)}`);
  }
  // With --vsix the harness is the extension under development (in its own folder), so the workbench runs its
  // tests, and the packaged extension is an ordinary installed one; otherwise the harness sits in the extensions dir.
  say(`starting the test cluster (${CLUSTER_ENV}=${testClusterKind()}) with the demo workloads`);
  const cluster = await startTestCluster({ kubeconfigPath, log: verbose ? (line) => console.log(`cluster: ${line}`) : undefined });
  cleanups.push({ what: cluster.description, run: () => cluster.stop() });
  say(`cluster: ${cluster.description} at ${cluster.server} (${elapsed()})`);
  const contexts = { adminContext: cluster.context('admin'), viewerContext: cluster.context('viewer'), debuggerContext: cluster.context('debugger') };
  const suiteJs = await installHarness(vsixPath !== undefined ? join(temp, 'development') : dirs.extensions, { repoRoot, extensionPath: testedPath, reportUrl: report.url, kubeconfigPath, grep, ...contexts });

  seedSettings(dirs.userData, kubeconfigPath);
  const serverLog: string[] = [];
  const { url } = await startCodeServer(dirs, env, serverLog, {
    verbose,
    onSpawn: (child) => cleanups.push({ what: `code-server (pid ${child.pid})`, run: () => (child.pid !== undefined ? endProcessGroup(child.pid) : undefined) }),
  });
  say(`code-server at ${url} (${elapsed()})`);

  const browserServer: BrowserServer = await chromium.launchServer({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, env: { ...process.env, HOME: dirs.home },
    // Playwright's own signal handlers exit before our clean-up has ended code-server and the cluster.
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

  const payload: [string, string][] = [
    ['extensionDevelopmentPath', remoteUri(url, vsixPath === undefined ? extensionPath : dirname(dirname(suiteJs)))],
    ['extensionTestsPath', remoteUri(url, suiteJs)],
    ['skipWelcome', 'true'],
    ['skipReleaseNotes', 'true'],
  ];
  say('opening the workbench; the extension host runs test/host/suite');
  await page.goto(workbenchUrl(url, dirs.workspace, payload));
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
