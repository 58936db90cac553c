/**
 * Workloads in the real extension host: a Deployment of the demo's node-app shows in the Clusters view with its
 * pod under it; Attach Debug Container with arguments naming the Deployment acts on its ready pod (and the kubectl
 * equivalent names that pod); a `kubernetes-ephemeral` configuration naming the Deployment (not a pod) attaches
 * js-debug to its ready pod, the debug console saying which pod was picked; with two ready pods the command asks
 * (oldest first) and remembers the answer.
 */
import * as assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import * as vscode from 'vscode';
import { nodeAppDeployment } from '../../cluster/demo/nodeAppDeployment';
import { clusterContext, copiedKubectlCommand, kubeConfig, ui, waitFor, type UiRow } from './support';

const VIEW = 'ephemeralDebug.explorer';
const NAME = 'host-web';

const deployment = { ...nodeAppDeployment(NAME), metadata: { name: NAME, namespace: 'demo' } };

const readyPods = async (core: k8s.CoreV1Api) => (await core.listNamespacedPod({ namespace: 'demo', labelSelector: `app=${NAME}` })).items
  .filter((p) => !p.metadata?.deletionTimestamp && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'));

describe('Workloads', () => {
  const kc = kubeConfig();
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  let pod = '';

  before(async function () {
    this.timeout(120_000);
    await apps.createNamespacedDeployment({ namespace: 'demo', body: deployment });
    const [ready] = await waitFor(`a ready pod of Deployment ${NAME}`, async () => {
      const pods = await readyPods(core);
      return pods.length === 1 ? pods : undefined;
    }, 90_000, 500);
    pod = ready!.metadata!.name!;
  });

  after(async function () {
    this.timeout(120_000);
    await vscode.debug.stopDebugging();
    await apps.deleteNamespacedDeployment({ namespace: 'demo', name: NAME }).catch(() => undefined);
    await waitFor(`the pods of ${NAME} to be gone`, async () => {
      const pods = (await core.listNamespacedPod({ namespace: 'demo', labelSelector: `app=${NAME}` })).items;
      for (const p of pods) await core.deleteNamespacedPod({ namespace: 'demo', name: p.metadata!.name!, gracePeriodSeconds: 0 }).catch(() => undefined);
      return pods.length === 0 ? true : undefined;
    }, 90_000, 1000);
  });

  it('shows the Deployment in the Clusters view with its pod under it', async function () {
    this.timeout(60_000);
    await vscode.commands.executeCommand('workbench.view.extension.ephemeralDebug');
    await vscode.commands.executeCommand(`${VIEW}.focus`);
    let rows: UiRow[] = [];
    const row = async (label: string) => waitFor(`row ${label}; rows: ${JSON.stringify(rows.map((r) => `${r.level} ${r.label} ${r.description}`))}`, async () => {
      rows = await ui<UiRow[]>({ action: 'viewRows', viewId: VIEW });
      // Nothing rendered: another view took the side bar or collapsed this pane since; show it again.
      if (rows.length === 0) await vscode.commands.executeCommand(`${VIEW}.focus`);
      return rows.find((r) => r.label === label);
    });
    // An earlier test may have collapsed the tree (Target Files): open the cluster first.
    const cluster = await row(clusterContext('admin'));
    if (cluster.expanded !== true) await ui({ action: 'clickRow', viewId: VIEW, label: clusterContext('admin') });
    const demo = await row('demo');
    if (demo.expanded !== true) await ui({ action: 'clickRow', viewId: VIEW, label: 'demo' });
    const workload = await row(NAME);
    assert.equal(workload.level, demo.level + 1);
    await waitFor('the Deployment\'s ready count', async () => {
      rows = await ui<UiRow[]>({ action: 'viewRows', viewId: VIEW });
      return /^Deployment · 1\/1 ready$/.test(rows.find((r) => r.label === NAME)?.description ?? '') ? true : undefined;
    });
    await ui({ action: 'clickRow', viewId: VIEW, label: NAME });
    const podRow = await row(pod);
    assert.equal(podRow.level, workload.level + 1, 'the pod is under its Deployment');
  });

  it('Attach Debug Container with arguments naming the Deployment adds it to the ready pod; its kubectl command names that pod', async function () {
    this.timeout(120_000);
    const result = await vscode.commands.executeCommand<{ pod: string; container: string } | undefined>('ephemeralDebug.attach',
      { namespace: 'demo', deployment: NAME, image: 'busybox:1.36', target: 'app', interactive: false });
    assert.equal(result?.pod, pod);
    const node = { id: 'host-test', descriptor: { kind: 'container', contextName: clusterContext('admin'), namespace: 'demo', pod, container: result!.container, containerKind: 'ephemeral' } };
    const copied = await copiedKubectlCommand(node);
    const line = copied.split('\n').find((l) => l.startsWith('kubectl ')) ?? '';
    for (const word of [/ debug /, / -n 'demo' /, new RegExp(` '${pod}' `), / --image='busybox:1\.36' /]) assert.match(line, word, copied);
    const refused = await vscode.commands.executeCommand('ephemeralDebug.attach', { namespace: 'demo', deployment: NAME, pod, image: 'busybox:1.36' });
    assert.equal(refused, undefined, 'a pod and a workload at once is refused');
  });

  it('attaches js-debug through a launch configuration naming the Deployment, saying which pod it picked', async function () {
    this.timeout(180_000);
    const sessions: vscode.DebugSession[] = [];
    const subscription = vscode.debug.onDidStartDebugSession((s) => sessions.push(s));
    try {
      const started = await vscode.debug.startDebugging(undefined, {
        type: 'kubernetes-ephemeral', request: 'attach', name: `Kubernetes: deployment ${NAME}`, namespace: 'demo', deployment: NAME, runtime: 'node',
      });
      assert.equal(started, false, 'the configuration resolves into the js-debug session');
      const nodeSession = await waitFor('a js-debug attach session', () => sessions.find((s) => (s.configuration.type === 'node' || s.configuration.type === 'pwa-node') && s.configuration.request === 'attach'), 120_000);
      assert.equal(nodeSession.configuration.address, '127.0.0.1');
      await vscode.commands.executeCommand('workbench.panel.repl.view.focus');
      const line = `Deployment ${NAME} in namespace demo: using pod ${pod} (its only ready pod)`;
      await waitFor(`the debug console to say "${line}"`, async () => ((await ui<string>({ action: 'debugConsoleText' })).includes(line) ? true : undefined), 30_000);
      const withDebugger = await core.readNamespacedPod({ namespace: 'demo', name: pod });
      assert.ok((withDebugger.spec?.ephemeralContainers ?? []).length >= 1, 'the debug container went into the picked pod');
      await vscode.debug.stopDebugging(nodeSession);
    } finally {
      subscription.dispose();
    }
  });

  it('with two ready pods, asks which one (oldest first) and remembers the answer for the Deployment', async function () {
    this.timeout(180_000);
    const current = await apps.readNamespacedDeployment({ namespace: 'demo', name: NAME });
    await apps.replaceNamespacedDeployment({ namespace: 'demo', name: NAME, body: { ...current, spec: { ...current.spec!, replicas: 2 } } });
    const ready = await waitFor('two ready pods', async () => {
      const pods = await readyPods(core);
      return pods.length === 2 ? pods : undefined;
    }, 90_000, 500);
    const oldest = ready.sort((a, b) => new Date(a.metadata!.creationTimestamp!).getTime() - new Date(b.metadata!.creationTimestamp!).getTime()
      || a.metadata!.name!.localeCompare(b.metadata!.name!))[0]!.metadata!.name!;
    const args = { namespace: 'demo', deployment: NAME, image: 'busybox:1.36', target: 'app', interactive: false };
    let settled = false;
    const first = vscode.commands.executeCommand<{ pod: string } | undefined>('ephemeralDebug.attach', args).then((r) => {
      settled = true;
      return r;
    });
    // The QuickPick lists the ready pods, oldest first: accept the first (what Enter does).
    let accepts = 0;
    while (!settled && accepts < 100) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      if (!settled) await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      accepts += 1;
    }
    assert.equal((await first)?.pod, oldest);
    assert.ok(accepts >= 1, 'the command waited for an answer');
    // Remembered: the next action on the Deployment uses that pod without asking (no accept is sent now).
    const again = await Promise.race([
      vscode.commands.executeCommand<{ pod: string } | undefined>('ephemeralDebug.attach', args),
      new Promise<'asked'>((resolve) => setTimeout(() => resolve('asked'), 30_000)),
    ]);
    if (again === 'asked') await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    assert.notEqual(again, 'asked', 'the remembered pod is used without a question');
    assert.equal((again as { pod: string } | undefined)?.pod, oldest);
  });
});
