/** Lists (selectors, pagination, resourceVersion) and watches (resume, 410, bookmarks) via client-node. */
import assert from 'node:assert/strict';
import { makeInformer, type V1Pod, Watch } from '@kubernetes/client-node';
import type { Obj } from '../../cluster/api/store';
import { simplePod, startApi, statusOf, type TestApi } from './helpers/api-server';

interface Event { type: string; object: Obj }

/** Runs a Watch until `until` says stop; always aborts the request. */
async function collect(api: TestApi, path: string, query: Record<string, string | number | boolean>, until: (events: Event[]) => boolean): Promise<Event[]> {
  const events: Event[] = [];
  let req: AbortController | undefined;
  await new Promise<void>((resolve, reject) => {
    new Watch(api.kubeConfig()).watch(path, query, (type, object) => {
      events.push({ type, object });
      if (until(events)) resolve();
    }, (err) => (err && err.name !== 'AbortError' ? reject(err) : resolve())).then((r) => { req = r; if (until(events)) resolve(); }, reject);
  });
  req?.abort();
  return events;
}

describe('loopback API server: lists and watches', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await startApi({ watchWindow: 50, bookmarkIntervalMs: 50 });
    api.server.store.createNamespace({ metadata: { name: 'demo' } });
    api.server.store.createNamespace({ metadata: { name: 'other' } });
  });
  afterEach(() => api.stop());

  const seed = () => {
    const mk = (ns: string, name: string, labels: Record<string, string>) =>
      api.server.store.createPod({ metadata: { name, namespace: ns, labels }, spec: { containers: [{ name: 'app', image: 'x:1' }] } });
    mk('demo', 'a', { app: 'web', tier: 'front' });
    mk('demo', 'b', { app: 'web', tier: 'back' });
    mk('demo', 'c', { app: 'db' });
    mk('other', 'd', { app: 'web', canary: 'true' });
  };

  it('filters by label and field selectors', async () => {
    seed();
    api.server.store.updatePodStatus('demo', 'c', (p) => { p.status!.phase = 'Running'; });
    const names = async (labelSelector?: string, fieldSelector?: string, ns?: string) => {
      const list = ns
        ? await api.core().listNamespacedPod({ namespace: ns, labelSelector, fieldSelector })
        : await api.core().listPodForAllNamespaces({ labelSelector, fieldSelector });
      return list.items.map((p) => p.metadata!.name).sort().join(',');
    };
    assert.equal(await names('app=web'), 'a,b,d');
    assert.equal(await names('app==web,tier!=front'), 'b,d');
    assert.equal(await names('tier in (front,back)'), 'a,b');
    assert.equal(await names('app notin (web)'), 'c');
    assert.equal(await names('canary'), 'd');
    assert.equal(await names('!tier'), 'c,d');
    assert.equal(await names(undefined, 'metadata.name=b'), 'b');
    assert.equal(await names(undefined, 'status.phase=Running'), 'c');
    assert.equal(await names(undefined, 'status.phase!=Running,spec.nodeName=loopback'), 'a,b,d');
    assert.equal(await names(undefined, 'metadata.namespace=other'), 'd');
    assert.equal(await names('app=web', undefined, 'demo'), 'a,b');
  });

  it('paginates with limit/continue over a consistent snapshot', async () => {
    seed();
    const first = await api.core().listPodForAllNamespaces({ limit: 3 });
    assert.equal(first.items.length, 3);
    assert.equal(first.metadata?.remainingItemCount, 1);
    assert.ok(first.metadata?._continue);
    api.server.store.createPod({ metadata: { name: 'e', namespace: 'other' }, spec: { containers: [{ name: 'app', image: 'x' }] } });
    const second = await api.core().listPodForAllNamespaces({ limit: 3, _continue: first.metadata!._continue });
    assert.deepEqual(second.items.map((p) => p.metadata!.name), ['d'], 'the pod created after the first page is not in this list');
    assert.equal(second.metadata?._continue, undefined);
    assert.equal(second.metadata?.resourceVersion, first.metadata?.resourceVersion);
  });

  it('pages one namespace\'s pods (not another\'s with a longer name) over a snapshot; an expired continue is 410', async () => {
    api.server.store.createNamespace({ metadata: { name: 'demo-2' } });
    for (const name of ['p1', 'p2', 'p3', 'p4', 'p5']) api.server.store.createPod({ metadata: { name, namespace: 'demo' }, spec: { containers: [{ name: 'app', image: 'x' }] } });
    api.server.store.createPod({ metadata: { name: 'p0', namespace: 'demo-2' }, spec: { containers: [{ name: 'app', image: 'x' }] } });
    const first = await api.core().listNamespacedPod({ namespace: 'demo', limit: 2 });
    assert.deepEqual(first.items.map((p) => p.metadata!.name), ['p1', 'p2']);
    assert.equal(first.metadata?.remainingItemCount, 3);
    await api.core().deleteNamespacedPod({ namespace: 'demo', name: 'p3', gracePeriodSeconds: 0 });
    const second = await api.core().listNamespacedPod({ namespace: 'demo', limit: 2, _continue: first.metadata!._continue });
    assert.deepEqual(second.items.map((p) => p.metadata!.name), ['p3', 'p4'], 'deleted after the first page: still in this list\'s snapshot');
    const third = await api.core().listNamespacedPod({ namespace: 'demo', limit: 2, _continue: second.metadata!._continue });
    assert.deepEqual(third.items.map((p) => p.metadata!.name), ['p5']);
    assert.equal(third.metadata?._continue, undefined);
    api.server.store.compact();
    const expired = await statusOf(api.core().listNamespacedPod({ namespace: 'demo', limit: 2, _continue: first.metadata!._continue }));
    assert.equal(expired.code, 410);
  });

  it('tells which watches are open, by resource and namespace, until they end', async () => {
    const events: Event[] = [];
    const controller = await new Watch(api.kubeConfig()).watch('/api/v1/namespaces/demo/pods', {}, (type, object) => events.push({ type, object: object as Obj }), () => undefined);
    assert.deepEqual(api.server.openWatches().map((w) => [w.resource, w.namespace]), [['pods', 'demo']]);
    controller.abort();
    const deadline = Date.now() + 5000;
    while (api.server.openWatches().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(api.server.openWatches(), []);
  });

  it('uses one global resourceVersion counter', async () => {
    seed();
    const list = await api.core().listPodForAllNamespaces();
    const rvs = list.items.map((p) => Number(p.metadata!.resourceVersion));
    assert.equal(new Set(rvs).size, rvs.length);
    assert.ok(Math.max(...rvs) <= Number(list.metadata!.resourceVersion));
    const ns = await api.core().readNamespace({ name: 'other' });
    assert.ok(Number(ns.metadata!.resourceVersion) < Math.max(...rvs));
  });

  it('resumes a watch from a resourceVersion with ADDED, MODIFIED and DELETED', async () => {
    const rv = (await api.core().listNamespacedPod({ namespace: 'demo' })).metadata!.resourceVersion!;
    await api.core().createNamespacedPod({ namespace: 'demo', body: simplePod('w') });
    api.server.store.updatePodStatus('demo', 'w', (p) => { p.status!.phase = 'Running'; });
    await api.core().deleteNamespacedPod({ namespace: 'demo', name: 'w' });
    await api.core().createNamespacedPod({ namespace: 'other', body: simplePod('elsewhere') });
    const events = await collect(api, '/api/v1/namespaces/demo/pods', { resourceVersion: rv }, (e) => e.length >= 3);
    assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED w', 'MODIFIED w', 'DELETED w']);
    assert.equal(events[1].object.status.phase, 'Running');
    const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
    assert.deepEqual(rvs, [...rvs].sort((a, b) => a - b));
  });

  it('sends synthetic ADDED events without a resourceVersion, then live changes', async () => {
    seed();
    let created = false;
    const events = await collect(api, '/api/v1/namespaces/demo/pods', { labelSelector: 'app=web' }, (e) => {
      if (e.length === 2 && !created) {
        created = true;
        api.server.store.createPod({ metadata: { name: 'live', namespace: 'demo', labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'x' }] } });
      }
      return e.length >= 3;
    });
    assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED a', 'ADDED b', 'ADDED live']);
  });

  it('answers 410 Gone (Expired) for a compacted resourceVersion, as a watch ERROR and on a list', async () => {
    const old = (await api.core().listNamespacedPod({ namespace: 'demo' })).metadata!.resourceVersion!;
    api.server.store.createPod({ metadata: { name: 'x', namespace: 'demo' }, spec: { containers: [{ name: 'app', image: 'x' }] } });
    api.server.store.compact();
    const events = await collect(api, '/api/v1/namespaces/demo/pods', { resourceVersion: old }, (e) => e.length >= 1);
    assert.equal(events[0].type, 'ERROR');
    assert.deepEqual([events[0].object.code, events[0].object.reason], [410, 'Expired']);
    assert.match(events[0].object.message, /^too old resource version: /);
    const s = await statusOf(api.core().listNamespacedPod({ namespace: 'demo', resourceVersion: old, resourceVersionMatch: 'Exact' }));
    assert.equal(s.code, 410);
  });

  it('compacts by window size', async () => {
    const old = (await api.core().listNamespacedPod({ namespace: 'demo' })).metadata!.resourceVersion!;
    for (let i = 0; i < 60; i++) api.server.store.createPod({ metadata: { name: `p${i}`, namespace: 'other' }, spec: { containers: [{ name: 'app', image: 'x' }] } });
    const events = await collect(api, '/api/v1/pods', { resourceVersion: old }, (e) => e.length >= 1);
    assert.equal(events[0].object.code, 410);
  });

  it('sends BOOKMARK events when allowed', async () => {
    const events = await collect(api, '/api/v1/namespaces/demo/pods', { allowWatchBookmarks: true, resourceVersion: '0' }, (e) => e.some((x) => x.type === 'BOOKMARK'));
    const b = events.find((e) => e.type === 'BOOKMARK')!;
    assert.equal(b.object.kind, 'Pod');
    assert.ok(Number(b.object.metadata.resourceVersion) > 0);
  });

  it('ends a watch after timeoutSeconds', async () => {
    const ended = await new Promise<boolean>((resolve, reject) => {
      new Watch(api.kubeConfig()).watch('/api/v1/pods', { timeoutSeconds: 1 }, () => {}, (err) => (err ? reject(err) : resolve(true))).catch(reject);
    });
    assert.equal(ended, true);
  });

  it('feeds makeInformer', async () => {
    seed();
    const kc = api.kubeConfig();
    const core = api.core();
    const informer = makeInformer<V1Pod>(kc, '/api/v1/namespaces/demo/pods', () => core.listNamespacedPod({ namespace: 'demo' }));
    const seen: string[] = [];
    const done = new Promise<void>((resolve) => {
      informer.on('add', (p) => { seen.push(`add ${p.metadata!.name}`); if (p.metadata!.name === 'late') resolve(); });
    });
    await informer.start();
    try {
      assert.deepEqual(informer.list().map((p) => p.metadata!.name).sort(), ['a', 'b', 'c']);
      await core.createNamespacedPod({ namespace: 'demo', body: simplePod('late') });
      await done;
      assert.ok(seen.includes('add late'));
    } finally {
      await informer.stop();
    }
  });

  it('closes open watches on stop()', async () => {
    let resolveDone = () => {};
    const done = new Promise<void>((resolve) => { resolveDone = resolve; });
    // watch() resolves once the server has answered 200, i.e. the stream is open.
    await new Watch(api.kubeConfig()).watch('/api/v1/pods', {}, () => {}, () => resolveDone());
    await api.server.stop();
    await done;
  });
});
