/**
 * The loopback API server's apps/v1 and batch/v1 (no kubelet: pods stay Pending): discovery, validation,
 * RBAC per user, kubectl interop, what the controllers make without a kubelet (pods, ReplicaSets, names,
 * labels, ownerReferences), a template change rolling out a new ReplicaSet, and garbage collection.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { ApisApi, AppsV1Api, BatchV1Api, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { startApi, statusOf, type TestApi } from './helpers/api-server';
import { unavailable } from './helpers/requirePods';

const KUBECTL = '/usr/bin/kubectl';
const run = promisify(execFile);

const deployment = (name: string, replicas = 2): V1Deployment => ({
  metadata: { name },
  spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'busybox:1.36' }] } } },
});

describe('loopback API server: workloads (apps/v1, batch/v1)', function () {
  let api: TestApi;
  let apps: AppsV1Api;
  before(async () => {
    api = await startApi();
    api.server.store.createNamespace({ metadata: { name: 'demo' } });
    apps = api.kubeConfig().makeApiClient(AppsV1Api);
  });
  after(() => api?.stop());

  const pods = async (labelSelector: string): Promise<V1Pod[]> => (await api.core().listNamespacedPod({ namespace: 'demo', labelSelector })).items;
  const until = async <T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > deadline) assert.fail(`${what}: ${JSON.stringify(value).slice(0, 400)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it('serves discovery for apps/v1 and batch/v1', async () => {
    const names = (await api.kubeConfig().makeApiClient(ApisApi).getAPIVersions()).groups.map((g) => g.name);
    assert.ok(names.includes('apps') && names.includes('batch'), names.join(', '));
    const resources = (await apps.getAPIResources()).resources.map((r) => `${r.name}:${r.kind}`);
    assert.deepEqual(resources, ['daemonsets:DaemonSet', 'deployments:Deployment', 'replicasets:ReplicaSet', 'statefulsets:StatefulSet']);
  });

  it('makes a Deployment\'s ReplicaSet and pods with the real names, labels and ownerReferences', async () => {
    const created = await apps.createNamespacedDeployment({ namespace: 'demo', body: deployment('web') });
    const web = await until(() => pods('app=web'), (p) => p.length === 2, 'two pods of web');
    const [rs] = (await apps.listNamespacedReplicaSet({ namespace: 'demo' })).items.filter((r) => r.metadata?.name?.startsWith('web-'));
    const hash = rs?.metadata?.labels?.['pod-template-hash'];
    assert.equal(rs?.metadata?.name, `web-${hash}`);
    assert.deepEqual(rs?.metadata?.ownerReferences?.map((o) => [o.kind, o.name, o.uid, o.controller]), [['Deployment', 'web', created.metadata?.uid, true]]);
    for (const pod of web) {
      assert.match(pod.metadata?.name ?? '', new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      assert.deepEqual(pod.metadata?.labels, { app: 'web', 'pod-template-hash': hash });
      assert.equal(pod.metadata?.ownerReferences?.[0]?.uid, rs?.metadata?.uid);
    }
    const status = await until(() => apps.readNamespacedDeployment({ namespace: 'demo', name: 'web' }), (d) => d.status?.replicas === 2, 'status.replicas');
    assert.equal(status.status?.readyReplicas, 0, 'no kubelet: nothing is ready');
  });

  it('rolls a new template out as a new ReplicaSet and scales the old one to 0', async () => {
    const before = (await pods('app=web')).map((p) => p.metadata?.name);
    const body = deployment('web');
    body.spec!.template.spec!.containers[0]!.image = 'busybox:1.37';
    const current = await apps.readNamespacedDeployment({ namespace: 'demo', name: 'web' });
    await apps.replaceNamespacedDeployment({ namespace: 'demo', name: 'web', body: { ...body, metadata: current.metadata } });
    const after = await until(() => pods('app=web'), (p) => p.length === 2 && p.every((x) => !before.includes(x.metadata?.name)), 'the new ReplicaSet\'s pods');
    assert.ok(after.every((p) => p.spec?.containers[0]?.image === 'busybox:1.37'));
    const replicaSets = (await apps.listNamespacedReplicaSet({ namespace: 'demo' })).items.filter((r) => r.metadata?.name?.startsWith('web-'));
    assert.deepEqual(replicaSets.map((r) => r.spec?.replicas).sort(), [0, 2]);
  });

  it('names StatefulSet pods by ordinal and labels Job pods with the job name', async () => {
    await apps.createNamespacedStatefulSet({ namespace: 'demo', body: { metadata: { name: 'db' }, spec: { serviceName: 'db', replicas: 2, selector: { matchLabels: { app: 'db' } },
      template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'busybox:1.36' }] } } } } });
    const db = await until(() => pods('app=db'), (p) => p.length === 1, 'the first ordinal');
    assert.equal(db[0]?.metadata?.name, 'db-0', 'OrderedReady: db-1 waits for db-0 to be ready');
    assert.equal(db[0]?.spec?.hostname, 'db-0');
    const batch = api.kubeConfig().makeApiClient(BatchV1Api);
    const job = await batch.createNamespacedJob({ namespace: 'demo', body: { metadata: { name: 'once' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36' }] } } } } });
    const [jobPod] = await until(() => pods('batch.kubernetes.io/job-name=once'), (p) => p.length === 1, 'the Job\'s pod');
    assert.equal(jobPod?.metadata?.labels?.['batch.kubernetes.io/controller-uid'], job.metadata?.uid);
    assert.deepEqual(job.spec?.selector?.matchLabels, { 'batch.kubernetes.io/controller-uid': job.metadata?.uid });
  });

  it('deletes what a deleted workload owned (ReplicaSets, then pods)', async () => {
    await apps.deleteNamespacedDeployment({ namespace: 'demo', name: 'web' });
    await until(() => pods('app=web'), (p) => p.length === 0, 'the pods of the deleted Deployment');
    assert.deepEqual((await apps.listNamespacedReplicaSet({ namespace: 'demo' })).items.filter((r) => r.metadata?.name?.startsWith('web-')), []);
  });

  it('rejects a selector that does not match the template and a Job that restarts Always (422)', async () => {
    const bad = deployment('bad');
    bad.spec!.selector = { matchLabels: { app: 'other' } };
    const status = await statusOf(apps.createNamespacedDeployment({ namespace: 'demo', body: bad }));
    assert.equal(status.code, 422);
    assert.match(status.message, /^Deployment\.apps "bad" is invalid|^Deployment "bad" is invalid: spec\.template\.metadata\.labels: Invalid value: .*`selector` does not match template `labels`/);
    const job = await statusOf(api.kubeConfig().makeApiClient(BatchV1Api).createNamespacedJob({ namespace: 'demo',
      body: { metadata: { name: 'bad' }, spec: { template: { spec: { containers: [{ name: 'x', image: 'busybox:1.36' }] } } } } }));
    assert.equal(job.code, 422);
    assert.match(job.message, /spec\.template\.spec\.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"/);
    assert.equal((await statusOf(apps.readNamespacedDeployment({ namespace: 'demo', name: 'nope' }))).message, 'deployments.apps "nope" not found');
  });

  it('authorizes per user: the debugger and viewer read workloads, only the admin creates them', async () => {
    for (const user of ['debugger', 'viewer'] as const) {
      const client = api.kubeConfig(user).makeApiClient(AppsV1Api);
      assert.ok((await client.listNamespacedStatefulSet({ namespace: 'demo' })).items.length >= 1, user);
      const denied = await statusOf(client.createNamespacedDeployment({ namespace: 'demo', body: deployment(`by-${user}`) }));
      assert.equal(denied.code, 403);
      assert.match(denied.message, new RegExp(`deployments\\.apps is forbidden: User "${user}" cannot create resource "deployments" in API group "apps" in the namespace "demo"`));
    }
    assert.ok((await api.kubeConfig('debugger').makeApiClient(BatchV1Api).listJobForAllNamespaces()).items.length >= 1);
  });

  // kubectl create sends apps/v1 objects as protobuf only, which this server does not decode: reading is what works.
  it('works with kubectl get (discovery, short names, tables)', async function () {
    if (!existsSync(KUBECTL)) unavailable(this, `${KUBECTL} is not installed`);
    await apps.createNamespacedDeployment({ namespace: 'demo', body: deployment('kc', 1) });
    const kubectl = (...args: string[]) => run(KUBECTL, ['--kubeconfig', api.kubeconfigPath, '--cache-dir', `${api.kubeconfigPath}.cache`, ...args], { timeout: 30_000 });
    assert.match((await kubectl('get', 'deploy', '-n', 'demo', '-o', 'name')).stdout, /^deployment\.apps\/kc$/m);
    assert.match((await kubectl('get', 'statefulsets,jobs', '-n', 'demo')).stdout, /^statefulset\.apps\/db\s+\S+\n[^]*^job\.batch\/once\s/m);
    assert.equal(JSON.parse((await kubectl('get', 'deployment', 'kc', '-n', 'demo', '-o', 'json')).stdout).spec.replicas, 1);
  });
});
