/**
 * The explorer model on a big cluster: 5,000 pods in 50 namespaces of the bench's own, created through the API on
 * the test cluster (loopback or real node), each held back by a scheduling gate so that no kubelet runs them (a
 * real node runs at most ~110 pods) and no pod GC deletes them (as it would pods bound to a node that does not
 * exist); they stay Pending, as the loopback bench's pods always did. Measures, through the real ClusterApi,
 * list → ready → every tree descriptor, the heap the model holds, and how long a pod created through the API takes
 * to reach the model's change event; `kubectl get pods -A -o json` on the same cluster is the peer. The namespaces
 * (and their pods) are deleted at the end. `BENCH_RUNS` (default 3) model builds and kubectl lists;
 * `BENCH_NAMESPACES` (50) × `BENCH_PODS_PER_NAMESPACE` (100) pods.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { createClusterApi } from '../../src/cluster/client';
import { ClusterWatcher } from '../../src/explorer/clusterWatcher';
import type { NodeDescriptor } from '../../src/explorer/descriptors';
import { ExplorerModel } from '../../src/explorer/explorerModel';
import { withBenchCluster } from './benchCluster';
import { printTable, ratioLine, runBenchmark } from './stats';

const run = promisify(execFile);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const NAMESPACES = Number(process.env.BENCH_NAMESPACES ?? 50);
const PODS_PER_NAMESPACE = Number(process.env.BENCH_PODS_PER_NAMESPACE ?? 100);
const EVENTS = 200;
const APPLIES = 2000;
/** Creations in flight at once: enough to keep the API server busy, few enough not to starve a 2-core machine. */
const CREATE_CONCURRENCY = 16;
const SERVICE_ACCOUNT_WAIT_MS = 60_000;
/** Enough for a disposed model's watch requests to end and let it go. */
const RELEASE_MS = 1_000;

const mib = (bytes: number) => bytes / 1024 / 1024;
const gc = () => (globalThis as { gc?: () => void }).gc?.();
const namespaceName = (n: number) => `bench-team-${String(n).padStart(2, '0')}`;

/** Never scheduled, never run: the gate is never lifted. */
function gatedPod(name: string): k8s.V1Pod {
  return {
    metadata: { name, labels: { app: `app-${Number(/\d+$/.exec(name)?.[0] ?? 0) % 10}`, tier: 'web' } },
    spec: {
      schedulingGates: [{ name: 'bench.ephemeral-debug/hold' }],
      // No token volume: the same object on every cluster (a real API server would add one).
      automountServiceAccountToken: false,
      initContainers: [{ name: 'init', image: 'busybox:1.36', command: ['true'] }],
      containers: [{ name: 'app', image: 'node:22', ports: [{ containerPort: 8080 }], env: [{ name: 'MODE', value: 'bench' }] },
        { name: 'sidecar', image: 'busybox:1.36', command: ['sleep', 'infinity'] }],
    },
  };
}

/**
 * Creates a pod; in a namespace just created, a real API server refuses pods until the controller manager has
 * made its `default` service account, so that refusal is retried for a while.
 */
async function createPod(core: k8s.CoreV1Api, namespace: string, pod: k8s.V1Pod): Promise<void> {
  const deadline = Date.now() + SERVICE_ACCOUNT_WAIT_MS;
  for (;;) {
    try {
      await core.createNamespacedPod({ namespace, body: pod });
      return;
    } catch (error) {
      const text = String((error as { body?: unknown }).body ?? error);
      if (!/service ?account/i.test(text) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

function allDescriptors(model: ExplorerModel): NodeDescriptor[] {
  const out: NodeDescriptor[] = [];
  const walk = (nodes: NodeDescriptor[]) => {
    for (const node of nodes) {
      out.push(node);
      if (node.collapsible !== 'none') walk(model.children(node));
    }
  };
  walk(model.roots());
  return out;
}

async function main(): Promise<void> {
  await withBenchCluster({ demo: false }, async ({ cluster, kubectl, kubectlArgs, onCleanup }) => {
    const kc = cluster.kubeConfig();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const namespaces = Array.from({ length: NAMESPACES }, (_, n) => namespaceName(n));
    // The namespaces go at once, in parallel (their unbound pods with them); cluster.stop() then waits for them.
    onCleanup(() => Promise.all(namespaces.map((name) => core.deleteNamespace({ name }).catch(() => undefined))));

    const createStarted = performance.now();
    for (const namespace of namespaces) await cluster.createNamespace(namespace);
    const pods = namespaces.flatMap((namespace) => Array.from({ length: PODS_PER_NAMESPACE }, (_, p) => ({ namespace, name: `app-${p}` })));
    await inParallel(pods, CREATE_CONCURRENCY, ({ namespace, name }) => createPod(core, namespace, gatedPod(name)));
    const createSeconds = (performance.now() - createStarted) / 1000;
    const listed = await core.listPodForAllNamespaces();
    const running = listed.items.filter((p) => p.metadata?.namespace?.startsWith('bench-team-') && p.spec?.nodeName);
    if (running.length > 0) throw new Error(`${running.length} bench pods were bound to a node: the scheduling gate did not hold them`);
    const contextName = cluster.context('admin');
    const newModel = () => new ExplorerModel({ contexts: [{ name: contextName, server: cluster.server, current: true, createApi: () => createClusterApi(kc) }] });

    // Warm-up (TLS, JIT) so the first measured run is not a cold start.
    await createClusterApi(kc).listPods(undefined);

    const ready: number[] = [];
    const descriptorsMs: number[] = [];
    const listToTree: number[] = [];
    const heap: number[] = [];
    let nodeCount = 0;
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      let model: ExplorerModel | undefined = newModel();
      model.watch(contextName);
      while (model.status(contextName)?.phase !== 'ready') await new Promise((resolve) => setTimeout(resolve, 1));
      ready.push(performance.now() - started);
      const descriptorsStarted = performance.now();
      nodeCount = allDescriptors(model).length;
      descriptorsMs.push(performance.now() - descriptorsStarted);
      listToTree.push(performance.now() - started);
      // The model's heap: with it, then without it (before/after would also count what the loopback API server,
      // in this process, caches or drops while it serves the list). Its watch requests hold it until they have
      // ended, a moment after dispose().
      gc();
      const withModel = process.memoryUsage().heapUsed;
      model.dispose();
      model = undefined;
      await new Promise((resolve) => setTimeout(resolve, RELEASE_MS));
      gc();
      heap.push(mib(withModel - process.memoryUsage().heapUsed));
    }

    // One watch event: a pod created through the API → API server → watch stream → model → coalesced change event.
    const model = newModel();
    model.watch(contextName);
    while (model.status(contextName)?.phase !== 'ready') await new Promise((resolve) => setTimeout(resolve, 1));
    const eventTimes: number[] = [];
    for (let i = 0; i < EVENTS; i++) {
      const namespace = namespaces[i % NAMESPACES]!;
      const name = `event-${i}`;
      const seen = new Promise<void>((resolve) => {
        const off = model.onDidChange((changes) => {
          // A new pod changes its namespace's children; the events go round the namespaces, so the previous
          // event's namespace is another one.
          if (changes.some((c) => (c.kind === 'namespace' || c.kind === 'pod') && c.namespace === namespace)) {
            off();
            resolve();
          }
        });
      });
      const t0 = performance.now();
      await createPod(core, namespace, gatedPod(name));
      await seen;
      eventTimes.push(performance.now() - t0);
    }
    model.dispose();

    // The model's own share of one event: applying it and rebuilding that pod's descriptors.
    const benchPods = (await core.listPodForAllNamespaces()).items.filter((p) => p.metadata?.namespace?.startsWith('bench-team-'));
    const watcher = new ClusterWatcher(() => createClusterApi(kc), {}, { initialMs: 1000, maxMs: 1000 }, () => undefined);
    for (const pod of benchPods) watcher.applyPodEvent('ADDED', pod);
    const applyTimes: number[] = [];
    for (let i = 0; i < APPLIES; i++) {
      const pod = benchPods[i % benchPods.length]!;
      const t0 = performance.now();
      watcher.applyPodEvent('MODIFIED', pod);
      applyTimes.push(performance.now() - t0);
    }

    const kubectlTimes: number[] = [];
    if (kubectl) {
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        await run(kubectl, [...kubectlArgs(), 'get', 'pods', '-A', '-o', 'json'], { maxBuffer: 512 * 1024 * 1024 });
        kubectlTimes.push(performance.now() - t0);
      }
    }

    console.log(`${pods.length} pods created through the API in ${NAMESPACES} namespaces in ${createSeconds.toFixed(1)} s `
      + `(${CREATE_CONCURRENCY} at a time); the cluster lists ${listed.items.length} pods in all; the tree has ${nodeCount} nodes\n`);
    printTable('explorer model, all pods of the cluster', 'ms', [
      { label: 'extension: list + watch until ready (namespaces and all pods)', values: ready },
      { label: `extension: every tree descriptor (${nodeCount} nodes)`, values: descriptorsMs },
      { label: 'extension: list → full tree', values: listToTree },
      ...(kubectl ? [{ label: 'kubectl get pods -A -o json', values: kubectlTimes }] : []),
    ]);
    if (kubectl) console.log(`${ratioLine('list → full tree, extension / kubectl get pods -A -o json', listToTree, kubectlTimes)}\n`);
    printTable(`heap held by the model${(globalThis as { gc?: unknown }).gc ? ' (after GC)' : ' (no --expose-gc: approximate)'}`, 'MiB', [
      { label: 'extension: the model with every pod', values: heap },
    ]);
    printTable('one watch event (no peer: kubectl has no tree)', 'ms', [
      { label: 'pod created through the API → model change event (the create request included)', values: eventTimes },
      { label: 'the model\'s own apply of one event (ClusterWatcher.applyPodEvent)', values: applyTimes },
    ]);
  });
}

runBenchmark(main);
