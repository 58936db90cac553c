/**
 * ephemeralDebug.attach with arguments, as a keybinding or another extension would call it: an ephemeral
 * busybox container targeting node-app's `app` container is added and runs, a terminal named after the pod
 * opens, busybox's shell prompt arrives in it, a command typed into the terminal runs in the pod, seeing
 * the target's filesystem through /proc/1/root, and `exit` ends the debug container.
 */
import * as assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import * as vscode from 'vscode';
import { clusterContext, copiedKubectlCommand, kubeConfig, onDidWriteTerminalData, plain, ui, waitFor } from './support';

interface AttachResult {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly image: string;
  readonly targetContainer?: string;
}

/** busybox ash's root prompt. */
const PROMPT = /(^|[\r\n])\/ # $/;

describe('Attach Debug Container', () => {
  const disposables: vscode.Disposable[] = [];
  afterEach(() => {
    disposables.splice(0).forEach((d) => d.dispose());
  });

  it('adds a running debug container to demo/node-app and opens a terminal with a working shell', async function () {
    this.timeout(120_000);
    const output = new Map<vscode.Terminal, string>();
    disposables.push(onDidWriteTerminalData()((event) => output.set(event.terminal, (output.get(event.terminal) ?? '') + event.data)));
    const before = new Set(vscode.window.terminals);

    const result = await vscode.commands.executeCommand<AttachResult | undefined>('ephemeralDebug.attach', { namespace: 'demo', pod: 'node-app', image: 'busybox:1.36', target: 'app', interactive: false });
    assert.ok(result, 'ephemeralDebug.attach returned nothing (see the extension log in the runner output)');
    assert.equal(result.pod, 'node-app');
    assert.equal(result.targetContainer, 'app');

    // The cluster: the ephemeral container is in the pod spec, targets app, and runs.
    const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
    const pod = await waitFor(`${result.container} Running in demo/node-app`, async () => {
      const p = await core.readNamespacedPod({ namespace: 'demo', name: 'node-app' });
      return p.status?.ephemeralContainerStatuses?.find((s) => s.name === result.container)?.state?.running !== undefined ? p : undefined;
    });
    const spec = pod.spec?.ephemeralContainers?.find((c) => c.name === result.container);
    assert.equal(spec?.targetContainerName, 'app');
    assert.match(spec?.image ?? '', /busybox/);

    // The editor: a new terminal, named after the pod and the debug container.
    const terminal = await waitFor('a new terminal naming node-app', () => vscode.window.terminals.find((t) => !before.has(t) && t.name.includes('node-app')));
    assert.ok(terminal.name.includes(result.container), `terminal name "${terminal.name}" does not name ${result.container}`);

    // The shell prompt in the terminal's output, then a round trip through the attach stream.
    await waitFor('the busybox prompt in the terminal', () => (PROMPT.test(plain(output.get(terminal) ?? '')) ? true : undefined), 30_000);
    terminal.sendText('echo marker-$((6*7)); ls /proc/1/root/app');
    const text = await waitFor('the command output in the terminal', () => {
      const shown = plain(output.get(terminal) ?? '');
      return /marker-42[\s\S]*server\.js[\s\S]*\/ # $/.test(shown) ? shown : undefined;
    }, 30_000);
    assert.match(text, /marker-42/);

    // What the user sees: the rendered terminal (xterm DOM) shows the prompt and the output too.
    const rendered = await waitFor('the rendered terminal to show the output', async () => {
      const shown = await ui<string>({ action: 'terminalText' });
      return /marker-42/.test(shown) && /server\.js/.test(shown) ? shown : undefined;
    }, 15_000);
    assert.match(rendered, /\/ # /);
    await ui({ action: 'screenshot', name: 'attach-terminal' });

    // Issue #14: "Copy kubectl Command" on the debug container's node puts the kubectl line that adds it again
    // on the clipboard.
    const node = { id: 'host-test', descriptor: { kind: 'container', contextName: clusterContext('admin'), namespace: 'demo', pod: 'node-app', container: result.container, containerKind: 'ephemeral' } };
    const copied = await copiedKubectlCommand(node);
    // The words, in whatever order kubectlEquivalent.ts writes them.
    for (const word of [/^kubectl --context=\S+ /, / debug /, / -n 'demo' /, / 'node-app' /, / -it /, / --image='busybox:1\.36' /, / --target='app' /, new RegExp(` -c '${result.container}'`)]) {
      assert.match(copied.split('\n').find((l) => l.startsWith('kubectl ')) ?? '', word, copied);
    }

    // `exit` in the terminal ends the debug container's shell: the container terminates (it stays in the
    // pod spec, as ephemeral containers do), so later tests find no running debug container to reattach to.
    terminal.sendText('exit');
    await waitFor(`${result.container} Terminated after exit`, async () => {
      const p = await core.readNamespacedPod({ namespace: 'demo', name: 'node-app' });
      return p.status?.ephemeralContainerStatuses?.find((s) => s.name === result.container)?.state?.terminated;
    });
    terminal.dispose();
  });
});
