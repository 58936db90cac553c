/**
 * The explorer model against the test cluster through the real ClusterApi: the demo tree, precise change
 * events, kubectl-like pod status, resume after compaction (410 → relist), errors as data and recovery,
 * and filters.
 */
import assert from 'node:assert/strict';
import { KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { startTestCluster, type TestCluster } from '../../cluster/testCluster';
import { isRunning, waitForPod } from '../loopback/helpers/client';
import { createClusterApi } from '../../../src/cluster/client';
import type { ClusterApi, WatchHandle } from '../../../src/cluster/clusterApi';
import { clusterId, type NodeDescriptor } from '../../../src/explorer/descriptors';
import { ExplorerModel, type ExplorerChange, type ExplorerContext } from '../../../src/explorer/explorerModel';
import { requireRealPods } from '../loopback/helpers/requirePods';
import { withCredentials } from './helpers/kubeconfigs';
import { loopbackOnly } from './helpers/loopbackOnly';
import { uncheckedContainerForTest } from './helpers/policyChecked';

const BACKOFF = { initialMs: 50, maxMs: 400 };

/** Delegates to a real facade; can hold watches back and end the running ones, and counts lists. */
class ControlledApi {
  lists = 0;
  gate: Promise<void> = Promise.resolve();
  readonly handles = new Set<WatchHandle>();
  constructor(private readonly inner: ClusterApi) {}
  api(): ClusterApi {
    const inner = this.inner;
    return {
      contextName: inner.contextName,
      defaultNamespace: inner.defaultNamespace,
      listNamespaces: () => inner.listNamespaces(),
      readNamespace: (n) => inner.readNamespace(n),
      watchNamespaces: (o, e) => inner.watchNamespaces(o, e),
      listPods: (ns, o) => { this.lists += 1; return inner.listPods(ns, o); },
      readPod: (ns, n) => inner.readPod(ns, n),
      watchPods: async (ns, o, e) => {
        await this.gate;
        const handle = await inner.watchPods(ns, o, e);
        this.handles.add(handle);
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
  let controlled: ControlledApi;
  let changes: ExplorerChange[][];
  let admin: string;
  let viewer: string;

  const kubeConfig = () => {
    const fresh = new KubeConfig();
    fresh.loadFromString(cluster.kubeconfigYaml()); // re-read: a restarted server has a new CA
    return fresh;
  };
  const context = (name: string, current: boolean, config: () => KubeConfig = kubeConfig): ExplorerContext => ({
    name, current, server: cluster.server,
    createApi: () => {
      const api = createClusterApi(config(), { context: name });
      if (name !== admin) return api;
      controlled = new ControlledApi(api);
      return controlled.api();
    },
  });
  const root = (name: string): NodeDescriptor => model.roots().find((r) => r.contextName === name)!;
  const find = (nodes: NodeDescriptor[], label: string) => {
    const node = nodes.find((n) => n.label === label);
    assert.ok(node, `no node "${label}" among ${nodes.map((n) => n.label).join(', ')}`);
    return node;
  };
  const podNodeOf = (namespace: string, pod: string) => {
    const ns = find(model.children(root(admin)), namespace);
    return model.children(ns).find((n) => n.label === pod);
  };

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
    const demoPods = model.children(find(model.children(root(admin)), 'demo')).map((n) => n.label);
    assert.deepEqual(demoPods, ['crashloop', 'go-app', 'java-app', 'node-app', 'python-app', 'shared-pid']);
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

  loopbackOnly.it('relists when a watch resumes from a compacted resourceVersion (410 Gone)', async () => {
    const listsBefore = controlled.lists;
    let open!: () => void;
    controlled.gate = new Promise((resolve) => { open = resolve; });
    for (const handle of controlled.handles) handle.stop(); // as client-node's 30-s idle end would
    controlled.handles.clear();
    cluster.loopback!.api.store.createPod({ metadata: { name: 'late', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] } } as V1Pod);
    cluster.loopback!.api.store.compact();
    open();
    await until(() => controlled.lists > listsBefore && model.getPod(admin, 'default', 'late') !== undefined,
      () => `lists ${controlled.lists - listsBefore}, late ${model.getPod(admin, 'default', 'late') ? 'seen' : 'missing'}`);
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
    assert.equal(podNodeOf('demo', 'node-app')?.label, 'node-app');
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

  it('stops every watch and timer on dispose', async () => {
    const disposable = new ExplorerModel({ contexts: [context(viewer, true)], backoff: BACKOFF });
    disposable.watch(viewer);
    await until(() => disposable.status(viewer)?.phase === 'ready', () => 'viewer not ready');
    assert.equal(disposable.roots()[0]?.id, clusterId(viewer));
    disposable.dispose();
    assert.deepEqual(disposable.roots(), []);
  });
});

async function until(condition: () => boolean, explain: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(explain());
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
