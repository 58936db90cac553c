/**
 * The extensionTestsPath module: VS Code's extension host calls `run()` once extensions are up (the
 * standard contract of @vscode/test-electron and of VS Code's browser integration tests). Resolving ends
 * the run with exit code 0, rejecting with 1; the workbench hands that code to `window.codeAutomationExit`,
 * which test/host/run.ts exposes in the page.
 *
 * Mocha comes from the project's node_modules at run time (it is not bundled); the test files are bundled
 * with this module by test/host/run.ts and required only after mocha's globals exist. Each test's outcome is
 * also posted to the runner (HOST_TEST_REPORT_URL), which prints it as it happens.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type MochaType from 'mocha';
import { hostTestConfig } from './support';
import type { TestEvent } from '../testEvents';

async function post(event: TestEvent): Promise<void> {
  const { reportUrl } = hostTestConfig();
  console.log(`[host-test] ${JSON.stringify(event)}`);
  try {
    await fetch(`${reportUrl}/event`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
  } catch (error) {
    console.error(`[host-test] could not report to ${reportUrl}: ${String(error)}`);
  }
}

/** `registerFiles` requires the bundled test files (test/host/run.ts generates it). */
export async function run(registerFiles: () => void): Promise<void> {
  const { repoRoot, grep } = hostTestConfig();
  const Mocha = createRequire(join(repoRoot, 'package.json'))('mocha') as typeof MochaType;
  const pending: Promise<void>[] = [];
  class Reporter {
    constructor(runner: MochaType.Runner) {
      runner.on('pass', (test) => pending.push(post({ kind: 'pass', title: test.fullTitle(), durationMs: test.duration ?? 0 })));
      runner.on('fail', (test, error: Error) => pending.push(post({ kind: 'fail', title: test.fullTitle(), durationMs: test.duration ?? 0, error: error.stack ?? String(error) })));
      runner.on('pending', (test) => pending.push(post({ kind: 'pending', title: test.fullTitle() })));
    }
  }
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, slow: 10_000, forbidPending: true, reporter: Reporter as unknown as MochaType.ReporterConstructor, ...(grep !== '' ? { grep } : {}) });
  mocha.suite.emit('pre-require', globalThis, 'host-suite', mocha);
  registerFiles();
  const stats = await new Promise<MochaType.Stats>((resolve) => {
    const runner = mocha.run(() => resolve(runner.stats ?? ({ passes: 0, failures: 1, pending: 0 } as MochaType.Stats)));
  });
  await Promise.all(pending);
  await post({ kind: 'end', passed: stats.passes, failed: stats.failures, pending: stats.pending });
  if (stats.failures > 0) {
    throw new Error(`${stats.failures} extension-host test(s) failed`);
  }
}
