/**
 * The explorer model on a big cluster: 50,000 pods in 500 namespaces of the bench's own, each held back by a
 * scheduling gate so that no kubelet runs them (a real node runs at most ~110 pods) and no pod GC deletes them (as it
 * would pods bound to a node that does not exist); they stay Pending. On the loopback they are written into its
 * store in-process (its test-only bulk path: 50,000 creations over HTTPS would take minutes); on a shared cluster
 * through the API. Measures, through the real ClusterApi, what the tree does at that scale: the namespaces listed,
 * one namespace expanded (its pods listed in pages until its children are ready), one watch event in an expanded
 * namespace until the tree's children are rebuilt, and the heap the model holds; `kubectl get pods -A -o json` and
 * `kubectl get pods -n <ns>` on the same cluster are the peers. The namespaces (and their pods) are deleted at the
 * end. `BENCH_RUNS` (default 5) models and expansions, `BENCH_KUBECTL_ALL_RUNS` (3) cluster-wide kubectl lists;
 * `BENCH_NAMESPACES` (500) × `BENCH_PODS_PER_NAMESPACE` (100) pods.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { createClusterApi } from '../../src/cluster/client';
import type { ClusterApi } from '../../src/cluster/clusterApi';
import type { NodeDescriptor } from '../../src/explorer/descriptors';
import { ExplorerModel } from '../../src/explorer/explorerModel';
import { withBenchCluster } from './benchCluster';
import { median, printTable, ratioLine, runBenchmark } from './stats';

const run = promisify(execFile);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const KUBECTL_ALL_RUNS = Number(process.env.BENCH_KUBECTL_ALL_RUNS ?? 3);
const NAMESPACES = Number(process.env.BENCH_NAMESPACES ?? 500);
const PODS_PER_NAMESPACE = Number(process.env.BENCH_PODS_PER_NAMESPACE ?? 100);
const EVENTS = 200;
/** Creations in flight at once through the API: enough to keep the API server busy, few enough not to starve 2 cores. */
const CREATE_CONCURRENCY = 16;
const SERVICE_ACCOUNT_WAIT_MS = 60_000;
/** Enough for a disposed model's watch requests to end and let it go. */
const RELEASE_MS = 1_000;
/** Issue 16's targets for the explorer at this scale. */
const TARGETS = { expandMs: 300, eventMs: 1, heapMiB: 100 };

const mib = (bytes: number) => bytes / 1024 / 1024;
const gc = () => (globalThis as { gc?: () => void }).gc?.();
const namespaceName = (n: number) => `bench-team-${String(n).padStart(3, '0')}`;

/** Never scheduled, never run: the gate is never lifted. */
function gatedPod(name: string, namespace?: string): k8s.V1Pod {
  return {
    metadata: { name, ...(namespace !== undefined ? { namespace } : {}), labels: { app: `app-${Number(/\d+$/.exec(name)?.[0] ?? 0) % 10}`, tier: 'web' } },
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

/** Resolves with the time of the first change batch naming `namespace` once `ready()` holds. */
function namespaceChanged(model: ExplorerModel, namespace: string, ready: () => boolean): Promise<number> {
  return new Promise((resolve) => {
    const off = model.onDidChange((changes) => {
      if (changes.some((c) => (c.kind === 'namespace' || c.kind === 'pod') && c.namespace === namespace) && ready()) {
        off();
        resolve(performance.now());
      }
    });
  });
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 1));
}

async function main(): Promise<void> {
  await withBenchCluster({ demo: false }, async ({ cluster, kubectl, kubectlArgs, onCleanup }) => {
    const kc = cluster.kubeConfig();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const namespaces = Array.from({ length: NAMESPACES }, (_, n) => namespaceName(n));
    // On a shared cluster the namespaces go at once, in parallel (their unbound pods with them); cluster.stop() then
    // waits for them. The loopback goes whole with its stop().
    if (cluster.loopback === undefined) onCleanup(() => Promise.all(namespaces.map((name) => core.deleteNamespace({ name }).catch(() => undefined))));

    const createStarted = performance.now();
    const store = cluster.loopback?.api.store;
    if (store !== undefined) {
      // The loopback's test-only bulk path: the store itself, as the API's create handler writes it.
      for (const namespace of namespaces) store.createNamespace({ metadata: { name: namespace } });
      for (const namespace of namespaces) for (let p = 0; p < PODS_PER_NAMESPACE; p++) store.createPod(gatedPod(`app-${p}`, namespace));
    } else {
      for (const namespace of namespaces) await cluster.createNamespace(namespace);
      const pods = namespaces.flatMap((namespace) => Array.from({ length: PODS_PER_NAMESPACE }, (_, p) => ({ namespace, name: `app-${p}` })));
      await inParallel(pods, CREATE_CONCURRENCY, ({ namespace, name }) => createPod(core, namespace, gatedPod(name)));
    }
    const createSeconds = (performance.now() - createStarted) / 1000;
    const contextName = cluster.context('admin');

    // Every pod watch event's arrival at the model, by pod name: where "one watch event → tree change" starts.
    const arrivals = new Map<string, number>();
    const timedApi = (): ClusterApi => {
      const api = createClusterApi(kc);
      const timed = Object.create(api) as ClusterApi;
      timed.watchPods = (namespace, options, onEvent) => api.watchPods(namespace, options, (type, pod) => {
        arrivals.set(pod.metadata?.name ?? '', performance.now());
        onEvent(type, pod);
      });
      return timed;
    };
    const newModel = () => new ExplorerModel({ contexts: [{ name: contextName, server: cluster.server, current: true, createApi: timedApi }] });
    const namespaceNode = (model: ExplorerModel, namespace: string): NodeDescriptor => {
      const node = model.children(model.roots()[0]).find((n) => n.kind === 'namespace' && n.label === namespace);
      if (node === undefined) throw new Error(`the model does not show namespace ${namespace}`);
      return node;
    };

    // Warm-up (TLS, JIT) so the first measured run is not a cold start.
    await createClusterApi(kc).listPods(namespaces[0]!);

    const namespacesReady: number[] = [];
    const expand: number[] = [];
    const heap: number[] = [];
    let clusterWide = 0;
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      let model: ExplorerModel | undefined = newModel();
      model.watch(contextName);
      await until(() => model!.status(contextName)?.phase === 'ready');
      namespacesReady.push(performance.now() - started);
      // Expand one namespace: its pods listed (in pages), until its children (pod nodes) are built.
      const namespace = namespaces[(i * 97) % NAMESPACES]!;
      const node = namespaceNode(model, namespace);
      const expandStarted = performance.now();
      const shown = model;
      const listed = namespaceChanged(model, namespace, () => shown.children(node).length === PODS_PER_NAMESPACE);
      model.children(node);
      await listed;
      const children = model.children(node);
      expand.push(performance.now() - expandStarted);
      if (children.length !== PODS_PER_NAMESPACE || children.some((c) => c.kind !== 'pod')) throw new Error(`expanding ${namespace} showed ${children.length} nodes`);
      clusterWide = model.children(model.roots()[0]).length;
      // The model's heap: with it, then without it (before/after would also count what the loopback API server,
      // in this process, caches or drops while it serves the lists). Its watch requests hold it until they have
      // ended, a moment after dispose().
      gc();
      const withModel = process.memoryUsage().heapUsed;
      model.dispose();
      model = undefined;
      await new Promise((resolve) => setTimeout(resolve, RELEASE_MS));
      gc();
      heap.push(mib(withModel - process.memoryUsage().heapUsed));
    }

    // One watch event: a pod created through the API in an expanded namespace → API server → watch stream → model →
    // coalesced change event → the namespace's children rebuilt (what the tree asks for on that change).
    const model = newModel();
    model.watch(contextName);
    await until(() => model.status(contextName)?.phase === 'ready');
    const namespace = namespaces[0]!;
    const node = namespaceNode(model, namespace);
    const first = namespaceChanged(model, namespace, () => model.children(node).length === PODS_PER_NAMESPACE);
    model.children(node);
    await first;
    const endToEnd: number[] = [];
    const eventToTree: number[] = [];
    const modifiedEndToEnd: number[] = [];
    const modifiedToTree: number[] = [];
    const MERGE = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
    for (let i = 0; i < EVENTS; i++) {
      // A pod modified (most watch events are): its own node refreshes, as the tree does (model.node).
      const name = `app-${i % PODS_PER_NAMESPACE}`;
      const label = `v${i}`;
      const treeChanged = new Promise<number>((resolve) => {
        const off = model.onDidChange((changes) => {
          if (!changes.some((c) => (c.kind === 'pod' || c.kind === 'namespace') && c.namespace === namespace)
            || model.getPod(contextName, namespace, name)?.metadata?.labels?.revision !== label) return;
          off();
          model.node(contextName, namespace, name);
          model.node(contextName, namespace);
          resolve(performance.now());
        });
      });
      const t0 = performance.now();
      await core.patchNamespacedPod({ namespace, name, body: { metadata: { labels: { revision: label } } } }, MERGE);
      const done = await treeChanged;
      modifiedEndToEnd.push(done - t0);
      modifiedToTree.push(done - arrivals.get(name)!);
    }
    for (let i = 0; i < EVENTS; i++) {
      const name = `event-${i}`;
      const treeChanged = new Promise<number>((resolve) => {
        const off = model.onDidChange((changes) => {
          if (!changes.some((c) => c.kind === 'namespace' && c.namespace === namespace) || model.getPod(contextName, namespace, name) === undefined) return;
          off();
          model.children(node);
          resolve(performance.now());
        });
      });
      const t0 = performance.now();
      await createPod(core, namespace, gatedPod(name));
      const done = await treeChanged;
      endToEnd.push(done - t0);
      eventToTree.push(done - arrivals.get(name)!);
    }
    model.dispose();

    const kubectlAll: number[] = [];
    const kubectlNamespace: number[] = [];
    const kubectlNamespaceJson: number[] = [];
    if (kubectl) {
      for (let i = 0; i < RUNS; i++) {
        const ns = namespaces[(i * 97) % NAMESPACES]!;
        let t0 = performance.now();
        await run(kubectl, [...kubectlArgs(), 'get', 'pods', '-n', ns]);
        kubectlNamespace.push(performance.now() - t0);
        t0 = performance.now();
        await run(kubectl, [...kubectlArgs(), 'get', 'pods', '-n', ns, '-o', 'json'], { maxBuffer: 64 * 1024 * 1024 });
        kubectlNamespaceJson.push(performance.now() - t0);
      }
      for (let i = 0; i < KUBECTL_ALL_RUNS; i++) {
        const t0 = performance.now();
        await run(kubectl, [...kubectlArgs(), 'get', 'pods', '-A', '-o', 'json'], { maxBuffer: 2048 * 1024 * 1024 });
        kubectlAll.push(performance.now() - t0);
      }
    }

    console.log(`${NAMESPACES * PODS_PER_NAMESPACE} pods in ${NAMESPACES} namespaces created in ${createSeconds.toFixed(1)} s `
      + `(${store !== undefined ? 'the loopback\'s store, in-process' : `through the API, ${CREATE_CONCURRENCY} at a time`}); `
      + `the tree shows ${clusterWide} nodes under the cluster; a namespace's pods are listed in pages of 500\n`);
    printTable('explorer model at 50,000 pods: expand one namespace', 'ms', [
      { label: 'extension: namespaces listed (cluster ready)', values: namespacesReady },
      { label: `extension: expand one namespace (${PODS_PER_NAMESPACE} pods listed until its children are built)`, values: expand },
      ...(kubectl ? [
        { label: 'kubectl get pods -n <ns>', values: kubectlNamespace },
        { label: 'kubectl get pods -n <ns> -o json', values: kubectlNamespaceJson },
        { label: `kubectl get pods -A -o json (${NAMESPACES * PODS_PER_NAMESPACE} pods)`, values: kubectlAll },
      ] : []),
    ]);
    if (kubectl) {
      console.log(ratioLine('expand one namespace, extension / kubectl get pods -n <ns>', expand, kubectlNamespace));
      console.log(ratioLine('expand one namespace, extension / kubectl get pods -A -o json', expand, kubectlAll));
      console.log('');
    }
    printTable(`heap held by the model${(globalThis as { gc?: unknown }).gc ? ' (after GC)' : ' (no --expose-gc: approximate)'}`, 'MiB', [
      { label: `extension: ${NAMESPACES} namespaces, one expanded`, values: heap },
    ]);
    printTable('one watch event in an expanded namespace (no peer: kubectl has no tree)', 'ms', [
      { label: 'MODIFIED at the model → change event → that pod\'s node and its namespace\'s rebuilt', values: modifiedToTree },
      { label: 'ADDED at the model → change event → that namespace\'s children rebuilt', values: eventToTree },
      { label: 'pod labelled through the API → MODIFIED → the same (the request and the watch stream included)', values: modifiedEndToEnd },
      { label: 'pod created through the API → ADDED → the same (the request and the watch stream included)', values: endToEnd },
    ]);
    const verdict = (what: string, value: number, limit: number, unit: string) =>
      console.log(`target ${what} ≤ ${limit} ${unit}: median ${value.toFixed(value < 10 ? 3 : 1)} ${unit}, ${value <= limit ? 'met' : 'NOT met'}`);
    verdict('expand one namespace', median(expand), TARGETS.expandMs, 'ms');
    verdict('one watch event (MODIFIED) → tree change', median(modifiedToTree), TARGETS.eventMs, 'ms');
    verdict('one watch event (ADDED) → tree change', median(eventToTree), TARGETS.eventMs, 'ms');
    verdict('heap held by the model', median(heap), TARGETS.heapMiB, 'MiB');
  });
}

runBenchmark(main);
