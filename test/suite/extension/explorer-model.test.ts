/**
 * The explorer model against the test cluster through the real ClusterApi: the demo tree, precise change
 * events, kubectl-like pod status, namespaces' pods listed (in pages) and watched only while expanded, resume
 * after compaction (410 → relist of that namespace only), errors as data and recovery, and filters.
 */
import assert from 'node:assert/strict';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { startTestCluster, type TestCluster } from '../../cluster/testCluster';
import { isRunning, waitForPod } from '../loopback/helpers/client';
import { createClusterApi } from '../../../src/cluster/client';
import type { ClusterApi, Logger, PageOptions, WatchHandle } from '../../../src/cluster/clusterApi';
import { clusterId, type NodeDescriptor } from '../../../src/explorer/descriptors';
import { ExplorerModel, type ExplorerChange, type ExplorerContext } from '../../../src/explorer/explorerModel';
import { requireRealPods } from '../loopback/helpers/requirePods';
import { withCredentials } from './helpers/kubeconfigs';
import { loopbackOnly } from './helpers/loopbackOnly';
import { uncheckedContainerForTest } from './helpers/policyChecked';

const BACKOFF = { initialMs: 50, maxMs: 400 };

/** A pod list page the model asked for. */
interface PodListCall { namespace: string | undefined; options: PageOptions }
/** A pod watch the model opened: its namespace and whether it is still open (its `done` has not settled). */
interface PodWatchCall { namespace: string | undefined; handle: WatchHandle; open: boolean }

/** Delegates to a real facade; can hold watches back and end the running ones, and records pod lists and watches. */
class ControlledApi {
  readonly podLists: PodListCall[] = [];
  readonly podWatches: PodWatchCall[] = [];
  gate: Promise<void> = Promise.resolve();
  openPodWatches(namespace?: string): PodWatchCall[] {
    return this.podWatches.filter((w) => w.open && (namespace === undefined || w.namespace === namespace));
  }
  /** `inner` wrapped: every facade the models create (they re-create it after failures) records here. */
  api(inner: ClusterApi): ClusterApi {
    return {
      contextName: inner.contextName,
      defaultNamespace: inner.defaultNamespace,
      listNamespaces: () => inner.listNamespaces(),
      readNamespace: (n) => inner.readNamespace(n),
      watchNamespaces: (o, e) => inner.watchNamespaces(o, e),
      listPods: (ns, o) => { this.podLists.push({ namespace: ns, options: { ...o } }); return inner.listPods(ns, o); },
      readPod: (ns, n) => inner.readPod(ns, n),
      watchPods: async (ns, o, e) => {
        await this.gate;
        const handle = await inner.watchPods(ns, o, e);
        const call: PodWatchCall = { namespace: ns, handle, open: true };
        this.podWatches.push(call);
        void handle.done.catch(() => undefined).finally(() => { call.open = false; });
        return handle;
      },
      listWorkloads: (k, ns, o) => inner.listWorkloads(k, ns, o),
      readWorkload: (k, ns, n) => inner.readWorkload(k, ns, n),
      watchWorkloads: (k, ns, o, e) => inner.watchWorkloads(k, ns, o, e),
      listEvents: (ns, o) => inner.listEvents(ns, o),
      createEvent: (ns, e) => inner.createEvent(ns, e),
      addEphemeralContainer: (p, c) => inner.addEphemeralContainer(p, c),
      createPod: (ns, p) => inner.createPod(ns, p),
      deletePod: (ns, n, o) => inner.deletePod(ns, n, o),
      whoAmI: () => inner.whoAmI(),
      canI: (a) => inner.canI(a),
      exec: (...args) => inner.exec(...args),
      attach: (...args) => inner.attach(...args),
      streamLog: (...args) => inner.streamLog(...args),
      readLog: (...args) => inner.readLog(...args),
    };
  }
}

describe('explorer model (live, watch-driven)', function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  let kc: KubeConfig;
  let model: ExplorerModel;
  const controlled = new ControlledApi();
  let changes: ExplorerChange[][];
  let admin: string;
  let viewer: string;
  /** The admin context's API request log (one line per call: method, path, status): what the model asked for. */
  const requests: string[] = [];
  const requestLog: Logger = { debug: (line) => requests.push(line), info: () => undefined, warn: () => undefined, error: () => undefined };

  const kubeConfig = () => {
    const fresh = new KubeConfig();
    fresh.loadFromString(cluster.kubeconfigYaml()); // re-read: a restarted server has a new CA
    return fresh;
  };
  const context = (name: string, current: boolean, config: () => KubeConfig = kubeConfig): ExplorerContext => ({
    name, current, server: cluster.server,
    createApi: () => {
      if (name !== admin) return createClusterApi(config(), { context: name });
      return controlled.api(createClusterApi(config(), { context: name, logger: requestLog }));
    },
  });
  const root = (name: string): NodeDescriptor => model.roots().find((r) => r.contextName === name)!;
  const find = (nodes: NodeDescriptor[], label: string) => {
    const node = nodes.find((n) => n.label === label);
    assert.ok(node, `no node "${label}" among ${nodes.map((n) => n.label).join(', ')}`);
    return node;
  };
  const namespaceNodeOf = (namespace: string) => find(model.children(root(admin)), namespace);
  /** Asking for a namespace's children expands it: its pods are listed and watched from then on. */
  const podNodeOf = (namespace: string, pod: string) => model.children(namespaceNodeOf(namespace)).find((n) => n.label === pod);
  const podLabels = (namespace: string) => model.children(namespaceNodeOf(namespace)).map((n) => n.label);

  before(async function () {
    requireRealPods(this);
    cluster = await startTestCluster({ pullDelayMs: 20, backoffBaseMs: 200 });
    kc = kubeConfig();
    admin = cluster.context('admin');
    viewer = cluster.context('viewer');
    model = new ExplorerModel({
      contexts: [
        context(admin, true),
        context(viewer, false),
        context('bad-token', false, () => withCredentials(cluster.kubeConfig(), { token: 'wrong' }, 'bad-token')),
      ],
      backoff: BACKOFF,
    });
    changes = [];
    model.onDidChange((batch) => changes.push([...batch]));
  });

  after(async () => {
    model?.dispose();
    await cluster?.stop();
  });

  it('shows the demo tree, the current context marked', async () => {
    assert.deepEqual(model.roots().map((r) => r.contextValue), ['ephemeralDebug.cluster.active', 'ephemeralDebug.cluster', 'ephemeralDebug.cluster']);
    assert.equal(model.children(root(admin))[0]?.label, 'Loading…');
    await until(() => model.status(admin)?.phase === 'ready', () => JSON.stringify(model.status(admin)));
    const namespaces = model.children(root(admin)).map((n) => n.label);
    for (const ns of ['default', 'demo', 'restricted']) assert.ok(namespaces.includes(ns), namespaces.join(', '));
    // Collapsed namespaces: no pod listed, no count shown.
    assert.equal(controlled.podLists.length, 0, 'no pod is listed before a namespace is expanded');
    assert.equal(namespaceNodeOf('demo').description, undefined);
    assert.deepEqual(podLabels('demo'), ['Loading…'], 'expanding lists the namespace\'s pods');
    await until(() => podLabels('demo')[0] !== 'Loading…', () => podLabels('demo').join(', '));
    assert.deepEqual(podLabels('demo'), ['crashloop', 'go-app', 'java-app', 'node-app', 'python-app', 'shared-pid']);
    assert.match(namespaceNodeOf('demo').description ?? '', /^6 pods\b/);
    assert.deepEqual(controlled.podLists.map((l) => l.namespace), ['demo'], 'only the expanded namespace is listed');
    assert.equal(controlled.podLists[0]?.options.limit, 500, 'listed in pages');
    await waitForPod(kc, 'demo', 'node-app', isRunning('app'));
    await until(() => /^Running · 1\/1/.test(podNodeOf('demo', 'node-app')?.description ?? ''), () => String(podNodeOf('demo', 'node-app')?.description));
    const containers = model.children(podNodeOf('demo', 'node-app'));
    assert.deepEqual(containers.map((c) => [c.label, c.contextValue]), [['app', 'ephemeralDebug.container.regular.running.started.targetable']]);
    assert.match(containers[0]!.description ?? '', /loopback\.local\/demo\/node-app:1\.0 · running/);
  });

  it('turns an ephemeral container into pod change events only, and a container node', async () => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    changes.length = 0;
    const api = createClusterApi(kc);
    const pod = await api.readPod('demo', 'node-app');
    await api.addEphemeralContainer(pod, uncheckedContainerForTest({ name: 'debugger-exp01', image: 'busybox:1.36', targetContainerName: 'app', command: ['sleep', '3600'] }));
    await until(() => model.children(podNodeOf('demo', 'node-app')).some((c) => /^ephemeralDebug\.container\.ephemeral\.running\b/.test(c.contextValue)),
      () => JSON.stringify(model.children(podNodeOf('demo', 'node-app')).map((c) => c.description)));
    // Other demo pods (crashloop) keep changing meanwhile: look at what names node-app or is wider than a namespace.
    const kinds = changes.flat().filter((c) => c.kind === 'root' || c.kind === 'cluster' || (c.kind === 'pod' && c.pod === 'node-app'))
      .map((c) => (c.kind === 'pod' ? `${c.kind} ${c.namespace}/${c.pod}` : c.kind));
    assert.ok(kinds.length >= 1);
    assert.deepEqual([...new Set(kinds)], ['pod demo/node-app'], 'only that pod changed');
    const node = model.children(podNodeOf('demo', 'node-app')).find((c) => c.label === 'debugger-exp01')!;
    assert.equal(node.containerKind, 'ephemeral');
    assert.equal(node.description, 'ephemeral · busybox:1.36 · → app · running');
    assert.match(node.tooltip, /It sees the processes and files of app/);
    assert.match(podNodeOf('demo', 'node-app')?.description ?? '', /1 debug/);
  });

  it('shows crashloop as CrashLoopBackOff with restarts, marked for Debug', async () => {
    await until(() => /^CrashLoopBackOff · 0\/1 · [1-9]\d* restarts/.test(podNodeOf('demo', 'crashloop')?.description ?? ''),
      () => String(podNodeOf('demo', 'crashloop')?.description));
    const node = podNodeOf('demo', 'crashloop')!;
    assert.equal(node.contextValue, 'ephemeralDebug.pod.debuggable.troubled');
    assert.equal(node.needsDebug, true);
    assert.deepEqual(node.icon, { id: 'error', color: 'testing.iconFailed' });
    assert.match(find(model.children(root(admin)), 'demo').description ?? '', /need attention/);
  });

  it('lists an expanded namespace in limit/continue pages, applies its watch events, and stops watching it when collapsed', async () => {
    const namespace = 'explorer-paging';
    await cluster.createNamespace(namespace);
    const core = cluster.kubeConfig().makeApiClient(CoreV1Api);
    const names = Array.from({ length: 7 }, (_, i) => `paged-${i}`);
    for (const name of names) await createGatedPod(core, namespace, name);
    const paged = new ExplorerModel({ contexts: [context(admin, true)], backoff: BACKOFF, pageSize: 3 });
    try {
      paged.watch(admin);
      const namespaceNode = () => paged.children(paged.roots()[0]).find((n) => n.label === namespace);
      await until(() => namespaceNode() !== undefined, () => 'namespace not listed');
      const listsBefore = controlled.podLists.length;
      const labels = () => paged.children(namespaceNode()!).map((n) => n.label);
      await until(() => labels().length === names.length && labels().every((l) => /^paged-/.test(l)), () => labels().join(', '));
      assert.deepEqual(labels(), names);
      const pages = controlled.podLists.slice(listsBefore).filter((p) => p.namespace === namespace);
      assert.deepEqual(pages.map((p) => [p.namespace, p.options.limit, p.options.continue !== undefined]),
        [[namespace, 3, false], [namespace, 3, true], [namespace, 3, true]], 'three pages of 3, 3 and 1 pods');

      // A watch event in the expanded namespace changes the model and names that namespace.
      const seen: ExplorerChange[] = [];
      const off = paged.onDidChange((batch) => seen.push(...batch));
      await createGatedPod(core, namespace, 'paged-late');
      // The model applies an event as it arrives and announces it on the next turn of the event loop.
      await until(() => labels().includes('paged-late') && seen.some((c) => c.kind === 'namespace' && c.namespace === namespace),
        () => `${labels().join(', ')}; changes ${JSON.stringify(seen)}`);
      off();
      assert.ok(paged.getPod(admin, namespace, 'paged-late'));
      assert.equal(controlled.openPodWatches(namespace).length, 1, 'one watch for the expanded namespace');
      const loopback = cluster.loopback;
      if (loopback !== undefined) {
        // What the server serves matches what the models hold open (a resume may be between the two for a moment).
        const served = () => JSON.stringify(loopback.api.openWatches().filter((w) => w.resource === 'pods').map((w) => w.namespace ?? '(all)').sort());
        const held = () => JSON.stringify(controlled.openPodWatches().map((w) => w.namespace).sort());
        await until(() => served() === held(), () => `served ${served()}, held ${held()}`);
        assert.ok(!served().includes('(all)'), 'no pod watch of all namespaces');
      }

      // Collapsed: the watch ends, the pods are forgotten, the node is announced so that expanding lists again.
      seen.length = 0;
      const offCollapse = paged.onDidChange((batch) => seen.push(...batch));
      paged.collapsed(namespaceNode()!);
      assert.equal(paged.isWatching(admin, namespace), false);
      assert.equal(paged.getPod(admin, namespace, 'paged-0'), undefined, 'its pods are freed');
      await until(() => controlled.openPodWatches(namespace).length === 0, () => `${controlled.openPodWatches(namespace).length} watches still open`);
      const loopbackApi = cluster.loopback?.api;
      if (loopbackApi !== undefined) {
        await until(() => !loopbackApi.openWatches().some((w) => w.namespace === namespace),
          () => `the server still serves ${JSON.stringify(loopbackApi.openWatches().filter((w) => w.namespace === namespace))}`);
      }
      await until(() => seen.some((c) => c.kind === 'namespace' && c.namespace === namespace), () => JSON.stringify(seen));
      offCollapse();
      assert.equal(namespaceNode()?.description, undefined, 'no pod count once collapsed');
      await until(() => labels().length === names.length + 1, () => labels().join(', '));
      await until(() => controlled.openPodWatches(namespace).length === 1, () => 'not watched again once expanded again');
    } finally {
      paged.dispose();
    }
    await until(() => controlled.openPodWatches(namespace).length === 0, () => 'dispose left a watch open');
  });

  loopbackOnly.it('relists only that namespace when its watch resumes from a compacted resourceVersion (410 Gone)', async () => {
    assert.ok(podNodeOf('default', 'late') === undefined);
    await until(() => controlled.openPodWatches('default').length === 1 && controlled.openPodWatches('demo').length === 1,
      () => JSON.stringify(controlled.openPodWatches().map((w) => w.namespace)));
    const listsBefore = controlled.podLists.length;
    let open!: () => void;
    controlled.gate = new Promise((resolve) => { open = resolve; });
    for (const watch of controlled.openPodWatches('default')) watch.handle.stop(); // as client-node's 30-s idle end would
    cluster.loopback!.api.store.createPod({ metadata: { name: 'late', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] } } as V1Pod);
    cluster.loopback!.api.store.compact();
    open();
    await until(() => controlled.podLists.length > listsBefore && model.getPod(admin, 'default', 'late') !== undefined,
      () => `lists ${controlled.podLists.length - listsBefore}, late ${model.getPod(admin, 'default', 'late') ? 'seen' : 'missing'}`);
    assert.deepEqual([...new Set(controlled.podLists.slice(listsBefore).map((l) => l.namespace))], ['default'], 'demo is not relisted');
    assert.equal(controlled.openPodWatches('demo').length, 1, 'demo\'s watch went on');
  });

  it('reports 401 as cluster error data, never thrown', async () => {
    const bad = root('bad-token');
    model.children(bad);
    await until(() => model.status('bad-token')?.phase === 'error', () => JSON.stringify(model.status('bad-token')));
    assert.match(model.status('bad-token')!.error!.message, /401 Unauthorized/);
    assert.match(root('bad-token').contextValue, /^ephemeralDebug\.cluster\b.*\.error$/);
    const [message] = model.children(root('bad-token'));
    assert.equal(message?.kind, 'message');
    assert.match(message?.label ?? '', /rejected the credentials .* \(retrying in \d+ s\)/);
  });

  it('filters by namespace and label selector', async () => {
    model.setFilters({ namespaces: ['demo'], labelSelector: 'app=node-app' });
    await until(() => model.status(admin)?.phase === 'ready' && model.children(root(admin)).filter((n) => n.kind === 'namespace').length === 1
      && model.children(model.children(root(admin))[0]).length === 1, () => model.children(root(admin)).map((n) => n.label).join(','));
    assert.equal(model.children(root(admin))[0]?.label, 'demo');
    await until(() => podNodeOf('demo', 'node-app') !== undefined, () => podLabels('demo').join(', '));
    assert.deepEqual(podLabels('demo'), ['node-app']);
    assert.equal(model.isWatching(admin, 'default'), false, 'one the filter hides is no longer watched');
    model.setFilters({});
    await until(() => model.status(admin)?.phase === 'ready' && model.children(root(admin)).length >= 3, () => 'filters not cleared');
  });

  loopbackOnly.it('goes to an error state when the API server stops, and recovers when it is back', async () => {
    const loopback = cluster.loopback!;
    await until(() => model.status(admin)?.phase === 'ready', () => 'not ready');
    await loopback.api.stop();
    await until(() => /cannot reach the API server/.test(model.status(admin)?.error?.message ?? ''), () => JSON.stringify(model.status(admin)));
    assert.equal(root(admin).contextValue, 'ephemeralDebug.cluster.active.error');
    await loopback.api.start(loopback.port);
    await until(() => model.status(admin)?.phase === 'ready', () => JSON.stringify(model.status(admin)), 15_000);
    assert.ok(model.getPod(admin, 'demo', 'node-app'));
    assert.ok(changes.flat().some((c) => c.kind === 'cluster' && c.contextName === admin));
  });

  it('never listed or watched pods or workloads of all namespaces', () => {
    const paths = requests.map((line) => line.split(' ')[1] ?? '');
    assert.ok(paths.some((p) => /^\/api\/v1\/namespaces\/demo\/pods$/.test(p)), requests.slice(0, 20).join('\n'));
    const clusterWide = paths.filter((p) => p === '/api/v1/pods' || /^\/apis\/(apps|batch)\/v1\/[a-z]+$/.test(p));
    assert.deepEqual(clusterWide, []);
    assert.ok(controlled.podLists.every((l) => l.namespace !== undefined) && controlled.podWatches.every((w) => w.namespace !== undefined));
    // Watches are logged when they end: the open ones are asked of the loopback.
    const open = cluster.loopback?.api.openWatches() ?? [];
    assert.deepEqual(open.filter((w) => w.namespace === undefined && w.resource !== 'namespaces' && w.resource !== 'nodes'), []);
  });

  it('stops every watch and timer on dispose', async () => {
    const disposable = new ExplorerModel({ contexts: [context(viewer, true)], backoff: BACKOFF });
    disposable.watch(viewer);
    await until(() => disposable.status(viewer)?.phase === 'ready', () => 'viewer not ready');
    assert.equal(disposable.roots()[0]?.id, clusterId(viewer));
    disposable.dispose();
    assert.deepEqual(disposable.roots(), []);
  });
});

/** A pod that never runs (a scheduling gate holds it), so that it behaves the same on every cluster. */
async function createGatedPod(core: CoreV1Api, namespace: string, name: string): Promise<void> {
  const body: V1Pod = { metadata: { name }, spec: { schedulingGates: [{ name: 'test.ephemeral-debug/hold' }], automountServiceAccountToken: false,
    containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', '3600'] }] } };
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await core.createNamespacedPod({ namespace, body });
      return;
    } catch (error) {
      // A real API server refuses pods in a new namespace until its default service account exists.
      if (!/service ?account/i.test(String((error as { body?: unknown }).body ?? error)) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function until(condition: () => boolean, explain: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(explain());
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
