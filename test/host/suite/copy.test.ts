/**
 * ephemeralDebug.debugCopy and ephemeralDebug.cleanupDebugPods with arguments, as automation would call them:
 * a copy of demo/crashloop (busybox that exits 1) with its app container kept alive and a debug container
 * runs, a terminal attached to the debug container opens and sees the app's keep-alive loop (shared process
 * namespace), the original pod is untouched, and Clean Up Debug Pods deletes the copy.
 */
import * as assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import * as vscode from 'vscode';
import { kubeConfig, onDidWriteTerminalData, plain, waitFor } from './support';

interface CopyResult {
  readonly namespace: string;
  readonly sourcePod: string;
  readonly copyName: string;
  readonly container: string;
  readonly debugContainer?: string;
  readonly terminalOpened: boolean;
}

interface CleanupResult {
  readonly deleted: readonly { readonly namespace: string; readonly name: string; readonly outcome: string; readonly message?: string }[];
}

const PROMPT = /(^|[\r\n])\/ # $/;

async function podGone(core: k8s.CoreV1Api, namespace: string, name: string): Promise<boolean> {
  try {
    await core.readNamespacedPod({ namespace, name });
    return false;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return true;
    throw error;
  }
}

describe('Debug a Copy of Pod', () => {
  const disposables: vscode.Disposable[] = [];
  const created: string[] = [];
  const core = (): k8s.CoreV1Api => kubeConfig().makeApiClient(k8s.CoreV1Api);

  after(async () => {
    disposables.splice(0).forEach((d) => d.dispose());
    for (const name of created.splice(0)) {
      await core().deleteNamespacedPod({ namespace: 'demo', name, gracePeriodSeconds: 0 }).catch(() => undefined);
    }
  });

  it('copies demo/crashloop with the app kept alive and a debug container, opens a terminal, and Clean Up deletes the copy', async function () {
    this.timeout(150_000);
    const output = new Map<vscode.Terminal, string>();
    disposables.push(onDidWriteTerminalData()((event) => output.set(event.terminal, (output.get(event.terminal) ?? '') + event.data)));
    const before = new Set(vscode.window.terminals);

    const result = await vscode.commands.executeCommand<CopyResult | undefined>('ephemeralDebug.debugCopy', { namespace: 'demo', pod: 'crashloop', keepAlive: true, interactive: false });
    assert.ok(result, 'ephemeralDebug.debugCopy returned nothing (see the extension log in the runner output)');
    created.push(result.copyName);
    assert.equal(result.sourcePod, 'crashloop');
    assert.match(result.copyName, /^crashloop-debug-[a-z0-9]{5}$/);
    assert.ok(result.debugContainer, 'no debug container was added');
    assert.equal(result.container, result.debugContainer);
    assert.equal(result.terminalOpened, true);

    // The cluster: the copy is marked, its app runs the keep-alive loop instead of exiting, and it runs.
    const copy = await waitFor(`copy ${result.copyName} running with app and ${result.debugContainer}`, async () => {
      const p = await core().readNamespacedPod({ namespace: 'demo', name: result.copyName });
      const running = (name: string): boolean => p.status?.containerStatuses?.find((s) => s.name === name)?.state?.running !== undefined;
      return p.status?.phase === 'Running' && running('app') && running(result.debugContainer!) ? p : undefined;
    }, 60_000);
    assert.equal(copy.metadata?.labels?.['ephemeral-debug.io/copy'], 'true');
    assert.equal(copy.metadata?.labels?.['ephemeral-debug.io/copy-of'], 'crashloop');
    assert.equal(copy.spec?.shareProcessNamespace, true);
    const app = copy.spec?.containers.find((c) => c.name === 'app');
    assert.match((app?.command ?? []).join(' '), /sleep/);
    assert.doesNotMatch((app?.command ?? []).join(' '), /exit 1/);
    assert.equal(copy.status?.containerStatuses?.find((s) => s.name === 'app')?.restartCount, 0);
    // The original is untouched (no replace).
    const original = await core().readNamespacedPod({ namespace: 'demo', name: 'crashloop' });
    assert.match((original.spec?.containers[0].command ?? []).join(' '), /exit 1/);

    // The editor: a terminal on the copy's debug container, whose shell sees the app's keep-alive loop.
    const terminal = await waitFor('a new terminal naming the copy', () => vscode.window.terminals.find((t) => !before.has(t) && t.name.includes(result.copyName)));
    assert.ok(terminal.name.includes(result.debugContainer), `terminal name "${terminal.name}" does not name ${result.debugContainer}`);
    await waitFor('the busybox prompt in the terminal', () => (PROMPT.test(plain(output.get(terminal) ?? '')) ? true : undefined), 30_000);
    terminal.sendText('ps; echo marker-$((6*7))');
    const shown = await waitFor('ps output with the keep-alive loop', () => {
      const text = plain(output.get(terminal) ?? '');
      return /marker-42/.test(text) ? text : undefined;
    }, 30_000);
    assert.match(shown, /sleep 3600/);

    // Clean Up Debug Pods without prompts: every copy older than 0 h, i.e. this one.
    const cleanup = await vscode.commands.executeCommand<CleanupResult | undefined>('ephemeralDebug.cleanupDebugPods', { olderThanHours: 0, interactive: false });
    assert.ok(cleanup, 'ephemeralDebug.cleanupDebugPods returned nothing (see the extension log in the runner output)');
    const outcome = cleanup.deleted.find((r) => r.namespace === 'demo' && r.name === result.copyName);
    assert.equal(outcome?.outcome, 'deleted', outcome?.message);
    assert.ok(cleanup.deleted.every((r) => r.name !== 'crashloop'), 'the original pod was in the clean-up');
    await waitFor(`copy ${result.copyName} gone`, async () => ((await podGone(core(), 'demo', result.copyName)) ? true : undefined), 60_000);
    assert.equal(await podGone(core(), 'demo', 'crashloop'), false);
    terminal.dispose();
  });

  it('walks the quick input with its defaults on demo/node-app: containers as they are, the default debug container', async function () {
    this.timeout(150_000);
    const before = new Set(vscode.window.terminals);
    let settled = false;
    const running = Promise.resolve(vscode.commands.executeCommand<CopyResult | undefined>('ephemeralDebug.debugCopy', { namespace: 'demo', pod: 'node-app' })).finally(() => (settled = true));
    // Enter on each step (pick, input, pick, options) until the command settles; Enter with nothing open does nothing.
    let accepts = 0;
    while (!settled && accepts < 200) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      accepts++;
    }
    const result = await running;
    assert.ok(result, 'the quick input did not lead to a copy (see the extension log in the runner output)');
    created.push(result.copyName);
    assert.match(result.copyName, /^node-app-debug-[a-z0-9]{5}$/);
    assert.ok(result.debugContainer);
    const copy = await core().readNamespacedPod({ namespace: 'demo', name: result.copyName });
    // Kept as is: the app's command is the original's (none: the image's entrypoint).
    const original = await core().readNamespacedPod({ namespace: 'demo', name: 'node-app' });
    assert.deepEqual(copy.spec?.containers.find((c) => c.name === 'app')?.command, original.spec?.containers.find((c) => c.name === 'app')?.command);
    assert.match(copy.spec?.containers.find((c) => c.name === result.debugContainer)?.image ?? '', /busybox/);
    assert.equal(copy.spec?.shareProcessNamespace, true);
    const terminal = await waitFor('a new terminal naming the copy', () => vscode.window.terminals.find((t) => !before.has(t) && t.name.includes(result.copyName)));
    const cleanup = await vscode.commands.executeCommand<CleanupResult | undefined>('ephemeralDebug.cleanupDebugPods', { namespace: 'demo', olderThanHours: 0, interactive: false });
    assert.equal(cleanup?.deleted.find((r) => r.name === result.copyName)?.outcome, 'deleted');
    terminal.dispose();
  });
});
