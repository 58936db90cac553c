/**
 * Workloads on the test cluster, through the real ClusterApi and the real controllers (kube-controller-manager
 * on the real node, the loopback's own controllers): what they make (names, ownerReferences, labels, status),
 * the Clusters view's model showing pods under their workload, the pick of a ready pod (only / remembered /
 * ask / oldest / none), garbage collection of owned pods, and a launch configuration naming a Deployment that
 * survives its pod being replaced.
 */
import assert from 'node:assert/strict';
import type * as k8s from '@kubernetes/client-node';
import { createClusterApi } from '../../../src/cluster/client';
import type { ClusterApi } from '../../../src/cluster/clusterApi';
import { controllerOf, type WorkloadRef } from '../../../src/cluster/workloadKinds';
import { pickReadyPod, podsOfWorkload } from '../../../src/debug/workloadPods';
import type { NodeDescriptor } from '../../../src/explorer/descriptors';
import { ExplorerModel } from '../../../src/explorer/explorerModel';
import { startDebugAttachSession, type DebugAttachSession } from '../../../src/launch/debugAttachSession';
import { parseLaunchConfiguration } from '../../../src/launch/launchConfiguration';
import { LaunchError } from '../../../src/launch/launchError';
import { startTestCluster, type TestCluster } from '../../cluster/testCluster';
import { isReadyPod, waitForPods, type TestWorkload } from '../../cluster/testWorkloads';
import { requireRealPods } from '../loopback/helpers/requirePods';
import { nodeAppDeployment } from '../../cluster/demo/nodeAppDeployment';

const NS = 'demo';

/** A busybox that sleeps; ends at once on SIGTERM-less delete (grace 1) so that tests do not wait out 30 s. */
function template(app: string, restartPolicy: 'Always' | 'Never' = 'Always'): k8s.V1PodTemplateSpec {
  return {
    metadata: { labels: { app } },
    spec: { terminationGracePeriodSeconds: 1, restartPolicy, containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '3600'] }] },
  };
}

const apps = (kind: 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'ReplicaSet', name: string, spec: Record<string, unknown> = {}): TestWorkload => ({
  apiVersion: 'apps/v1', kind, metadata: { name },
  spec: { selector: { matchLabels: { app: name } }, template: template(name), ...(kind === 'StatefulSet' ? { serviceName: name } : {}), ...spec },
});

const job: TestWorkload = {
  apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'wl-batch' },
  spec: { backoffLimit: 0, template: template('wl-batch', 'Never') },
};

const nodeDeployment = nodeAppDeployment('wl-node') as TestWorkload;

const readyCount = (n: number) => (pods: k8s.V1Pod[]) => pods.filter(isReadyPod).length === n && pods.every((p) => !p.metadata?.deletionTimestamp);

describe('workloads: controllers, tree, pick a ready pod, launch by workload', function () {
  this.timeout(240_000);
  let cluster: TestCluster;
  let kc: k8s.KubeConfig;
  let api: ClusterApi;
  const sessions: DebugAttachSession[] = [];
  const ref = (kind: WorkloadRef['kind'], name: string): WorkloadRef => ({ kind, namespace: NS, name });

  before(async function () {
    requireRealPods(this);
    cluster = await startTestCluster({ pullDelayMs: 20, backoffBaseMs: 200 });
    kc = cluster.kubeConfig();
    api = createClusterApi(kc);
    await cluster.createWorkload(NS, apps('Deployment', 'wl-web', { replicas: 2 }));
    await cluster.createWorkload(NS, apps('StatefulSet', 'wl-db', { replicas: 2 }));
    await cluster.createWorkload(NS, apps('DaemonSet', 'wl-agent'));
    await cluster.createWorkload(NS, apps('ReplicaSet', 'wl-rs', { replicas: 1 }));
    await cluster.createWorkload(NS, apps('Deployment', 'wl-empty', { replicas: 0 }));
    await cluster.createWorkload(NS, job);
    await waitForPods(kc, NS, 'app=wl-web', readyCount(2), 'two ready pods of Deployment wl-web');
    await waitForPods(kc, NS, 'app=wl-db', readyCount(2), 'two ready pods of StatefulSet wl-db');
    await waitForPods(kc, NS, 'app=wl-agent', readyCount(1), 'the ready pod of DaemonSet wl-agent');
    await waitForPods(kc, NS, 'app=wl-rs', readyCount(1), 'the ready pod of ReplicaSet wl-rs');
    await waitForPods(kc, NS, 'app=wl-batch', readyCount(1), 'the running pod of Job wl-batch');
  });

  after(async () => {
    await Promise.allSettled(sessions.map((s) => s.dispose()));
    await cluster?.stop();
  });

  it('makes what the controllers make: names, ownerReferences, template labels', async () => {
    const web = (await api.listPods(NS, { labelSelector: 'app=wl-web' })).items;
    assert.equal(web.length, 2);
    for (const pod of web) {
      const owner = controllerOf(pod.metadata);
      assert.equal(owner?.kind, 'ReplicaSet');
      assert.match(owner?.name ?? '', /^wl-web-[a-z0-9]+$/);
      assert.match(pod.metadata?.name ?? '', new RegExp(`^${owner?.name}-[a-z0-9]{5}$`));
      assert.ok(pod.metadata?.labels?.['pod-template-hash'], 'a Deployment\'s pods carry pod-template-hash');
      const rs = await api.readWorkload('ReplicaSet', NS, owner!.name);
      assert.equal(controllerOf(rs.metadata)?.kind, 'Deployment');
      assert.equal(controllerOf(rs.metadata)?.name, 'wl-web');
    }
    const db = (await api.listPods(NS, { labelSelector: 'app=wl-db' })).items.map((p) => p.metadata?.name).sort();
    assert.deepEqual(db, ['wl-db-0', 'wl-db-1']);
    const [agent] = (await api.listPods(NS, { labelSelector: 'app=wl-agent' })).items;
    assert.equal(controllerOf(agent?.metadata)?.kind, 'DaemonSet');
    assert.ok(agent?.spec?.nodeName, 'the DaemonSet\'s pod runs on a node');
    const [batch] = (await api.listPods(NS, { labelSelector: 'batch.kubernetes.io/job-name=wl-batch' })).items;
    assert.equal(controllerOf(batch?.metadata)?.kind, 'Job');
    assert.equal(batch?.metadata?.labels?.app, 'wl-batch', 'the template\'s labels');
  });

  it('shows workloads in the namespace with their pods under them; a Deployment\'s ReplicaSet is not shown, bare pods are', async () => {
    const model = new ExplorerModel({ contexts: [{ name: cluster.context('debugger'), server: cluster.server, current: true, createApi: () => createClusterApi(cluster.kubeConfig('debugger')) }], backoff: { initialMs: 50, maxMs: 400 } });
    try {
      const context = cluster.context('debugger');
      const namespaceChildren = (): NodeDescriptor[] => {
        const ns = model.children(model.roots()[0]).find((n) => n.label === NS);
        return ns ? model.children(ns) : [];
      };
      const label = (n: NodeDescriptor) => `${n.kind}:${n.workload?.kind ?? ''}:${n.label}:${n.description ?? ''}`;
      model.watch(context);
      await until(() => {
        const children = namespaceChildren();
        const web = children.find((n) => n.kind === 'workload' && n.label === 'wl-web');
        return web !== undefined && /2\/2 ready/.test(web.description ?? '') && children.some((n) => n.label === 'wl-batch');
      }, () => `namespace children: ${namespaceChildren().map(label).join(', ')}`);
      const children = namespaceChildren();
      // Kinds in a fixed order, then names (a shared cluster may hold other workloads in demo: only ours are compared).
      const expected = ['Deployment/wl-empty', 'Deployment/wl-web', 'StatefulSet/wl-db', 'DaemonSet/wl-agent', 'ReplicaSet/wl-rs', 'Job/wl-batch'];
      const workloads = children.filter((n) => n.kind === 'workload').map((n) => `${n.workload?.kind}/${n.label}`);
      assert.deepEqual(workloads.filter((w) => expected.includes(w)), expected, workloads.join(', '));
      assert.ok(!workloads.some((w) => /^ReplicaSet\/wl-web-/.test(w)), 'the Deployment\'s ReplicaSet is not shown on its own');
      assert.ok(children.some((n) => n.kind === 'pod' && n.label === 'node-app'), 'bare pods stay at the namespace level');
      assert.ok(!children.some((n) => n.kind === 'pod' && /^wl-/.test(n.label)), `no workload pod at the namespace level: ${children.map(label).join(', ')}`);

      const web = children.find((n) => n.label === 'wl-web')!;
      assert.match(web.description ?? '', /^Deployment · 2\/2 ready$/);
      assert.match(web.contextValue, /^ephemeralDebug\.workload\.deployment\.ready$/);
      const webPods = model.children(web);
      assert.equal(webPods.length, 2);
      assert.ok(webPods.every((p) => p.kind === 'pod' && /^wl-web-/.test(p.label) && p.workload?.name === 'wl-web'), webPods.map(label).join(', '));
      // The pod's own descriptor (refreshes) still knows its parent workload.
      assert.equal(model.node(context, NS, webPods[0]!.label)?.workload?.name, 'wl-web');
      assert.deepEqual(model.children(children.find((n) => n.label === 'wl-db')!).map((p) => p.label), ['wl-db-0', 'wl-db-1']);
      const empty = children.find((n) => n.label === 'wl-empty')!;
      assert.equal(model.children(empty).length, 0);
      assert.equal(empty.collapsible, 'none', 'nothing to expand');
      assert.equal(empty.contextValue, 'ephemeralDebug.workload.deployment', 'no ready pod: no debug actions');
      assert.match(children.find((n) => n.label === 'wl-batch')?.description ?? '', /^Job · 0\/1 completed · 1 active$/);
    } finally {
      model.dispose();
    }
  });

  it('picks a ready pod: the only one, the remembered one while ready, asks among several, else the oldest; none is a one-line error', async () => {
    const { pods } = await podsOfWorkload(api, ref('Deployment', 'wl-web'));
    assert.equal(pods.length, 2, 'the Deployment\'s pods, through its ReplicaSet');
    const names = pods.map((p) => p.metadata?.name);
    const ask = pickReadyPod(ref('Deployment', 'wl-web'), pods, undefined, true);
    assert.ok('ask' in ask);
    assert.deepEqual(ask.ask.map((p) => p.metadata?.name), names);
    const remembered = pickReadyPod(ref('Deployment', 'wl-web'), pods, names[1], true);
    assert.ok('pod' in remembered && remembered.why === 'remembered' && remembered.pod.metadata?.name === names[1]);
    const gone = pickReadyPod(ref('Deployment', 'wl-web'), pods, 'wl-web-gone', false);
    assert.ok('pod' in gone && gone.why === 'oldest' && gone.pod.metadata?.name === names[0], 'a remembered pod that is gone is not used');

    const only = await podsOfWorkload(api, ref('Job', 'wl-batch'));
    const pick = pickReadyPod(ref('Job', 'wl-batch'), only.pods, undefined, true);
    assert.ok('pod' in pick && pick.why === 'only');
    const daemon = await podsOfWorkload(createClusterApi(cluster.kubeConfig('debugger')), ref('DaemonSet', 'wl-agent'));
    assert.equal(daemon.pods.length, 1, 'the debugger user may read workloads');

    const empty = await podsOfWorkload(api, ref('Deployment', 'wl-empty'));
    assert.throws(() => pickReadyPod(ref('Deployment', 'wl-empty'), empty.pods, undefined, true),
      /^WorkloadPodError: Deployment wl-empty in namespace demo has no ready pod to debug \(it has no pods\): wait until one is ready/);
    await assert.rejects(podsOfWorkload(api, ref('StatefulSet', 'nope')), /^WorkloadPodError: StatefulSet nope in namespace demo not found: check the name and namespace \(kubectl get statefulsets -n demo\)$/);
  });

  it('deletes what a workload owned when it is deleted (garbage collection)', async () => {
    const rsPods = await waitForPods(kc, NS, 'app=wl-rs', readyCount(1), 'the pod of ReplicaSet wl-rs');
    await kc.makeApiClient((await import('@kubernetes/client-node')).AppsV1Api).deleteNamespacedReplicaSet({ namespace: NS, name: 'wl-rs' });
    await waitForPods(kc, NS, 'app=wl-rs', (pods) => pods.length === 0, `the pod ${rsPods[0]?.metadata?.name} of the deleted ReplicaSet to go`);
  });

  it('a launch configuration naming a Deployment attaches to its pod, and to the new pod once that one was replaced', async () => {
    await cluster.createWorkload(NS, nodeDeployment);
    const [first] = await waitForPods(kc, NS, 'app=wl-node', readyCount(1), 'the ready pod of Deployment wl-node');
    const { request } = parseLaunchConfiguration({ type: 'kubernetes-ephemeral', request: 'attach', name: 'web', namespace: NS, deployment: 'wl-node', runtime: 'node' });
    assert.deepEqual(request.workload, { kind: 'Deployment', name: 'wl-node' });
    const start = async () => {
      const session = await startDebugAttachSession(api, request, { settings: { skipPrivilegedConfirmation: true }, listenTimeoutMs: 20_000 });
      sessions.push(session);
      return session;
    };
    const session = await start();
    assert.equal(session.podName, first?.metadata?.name);
    assert.equal(session.podChoice, `Deployment wl-node in namespace demo: using pod ${first?.metadata?.name} (its only ready pod)`);
    await session.dispose();

    await api.deletePod(NS, first!.metadata!.name!, { gracePeriodSeconds: 0 });
    const [second] = await waitForPods(kc, NS, 'app=wl-node', (pods) => readyCount(1)(pods) && pods[0]?.metadata?.name !== first?.metadata?.name,
      'the replacement pod of Deployment wl-node to be ready');
    const again = await start();
    assert.equal(again.podName, second?.metadata?.name, 'the same configuration finds the new pod');
    assert.notEqual(again.podName, first?.metadata?.name);
    await again.dispose();

    const missing = parseLaunchConfiguration({ type: 'kubernetes-ephemeral', request: 'attach', name: 'x', namespace: NS, deployment: 'wl-missing' }).request;
    await assert.rejects(startDebugAttachSession(api, missing, {}), (error: unknown) =>
      error instanceof LaunchError && error.code === 'no-pod' && /^Deployment wl-missing in namespace demo not found/.test(error.message));
  });
});

async function until(condition: () => boolean, explain: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(explain());
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
