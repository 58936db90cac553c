/**
 * Ctrl-C in the terminal running the demo: SIGINT to its whole process group (tsx, the demo, the cluster's
 * processes — what a terminal sends) removes everything the demo made (its `ephemeral-debug-demo-*` temp dir,
 * the kubeconfig, every cluster process) and prints the "stopped." line. The demo runs without an editor
 * (`--no-editor`), so this needs no code-server; the editor is one more process group in the same clean-up.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requireRealPods } from './helpers/requirePods';

const repoRoot = path.resolve(__dirname, '../../..');

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('demo: Ctrl-C (SIGINT to the process group) cleans up', function () {
  this.timeout(180_000);
  let temp: string;

  before(function () {
    requireRealPods(this);
    temp = mkdtempSync(path.join(tmpdir(), 'demo-ctrl-c-test-'));
  });

  after(() => {
    if (temp !== undefined) rmSync(temp, { recursive: true, force: true });
  });

  it('removes the temp dir, the kubeconfig and every process, and says "stopped."', async () => {
    const kubeconfig = path.join(temp, 'demo', 'kubeconfig');
    // The demo's own temp dir goes under TMPDIR: a private one, so nothing else's files are counted.
    const demoTmp = path.join(temp, 'tmp');
    mkdirSync(demoTmp);
    // As `npm run demo` runs it: node with tsx's loader, no tsx CLI in between (under load that CLI SIGKILLs a child
    // that does not acknowledge a relayed SIGINT within 60 ms, cutting its clean-up short, and exits 130).
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/demo/main.ts', '--no-editor', '--kubeconfig', kubeconfig], {
      cwd: repoRoot,
      env: { ...process.env, TMPDIR: demoTmp },
      detached: true, // its own process group, as a terminal's foreground job
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pgid = child.pid!;
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      for (let i = 0; !output.includes('demo: ready'); i++) {
        if (i > 1200 || child.exitCode !== null) throw new Error(`the demo did not get ready:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const made = readdirSync(demoTmp).filter((name) => name.startsWith('ephemeral-debug-demo-'));
      assert.equal(made.length, 1, `the demo made its temp dir: ${readdirSync(demoTmp).join(', ')}`);
      assert.ok(existsSync(kubeconfig), 'the demo wrote its kubeconfig');

      process.kill(-pgid, 'SIGINT');
      const code = await exited;
      assert.equal(code, 0, output);
      assert.match(output, /demo: SIGINT: stopping everything the demo started/);
      assert.match(output, /every process, namespace and mount it made is gone/);
      assert.match(output, /demo: stopped\.\n/);
      assert.deepEqual(readdirSync(demoTmp).filter((name) => name.startsWith('ephemeral-debug-demo-')), [], 'the temp dir is removed');
      assert.equal(existsSync(kubeconfig), false, 'the kubeconfig is removed');
      for (let i = 0; groupAlive(pgid) && i < 50; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(groupAlive(pgid), false, 'no process of the demo\'s group is left');
    } finally {
      if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
    }
  });
});
