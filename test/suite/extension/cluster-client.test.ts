/**
 * The ClusterApi facade over the real client-node against the test cluster: calls, streams, the
 * strategic-merge patch, and the one-line messages each failure maps to.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { LoopbackCluster } from '../../cluster/cluster';
import { startTestCluster, type TestCluster } from '../../cluster/testCluster';
import { containerStatus, isRunning, waitForPod } from '../loopback/helpers/client';
import { createClusterApi } from '../../../src/cluster/client';
import { ClusterError, type ClusterApi, type Logger } from '../../../src/cluster/clusterApi';
import { requireRealPods } from '../loopback/helpers/requirePods';
import { withCredentials } from './helpers/kubeconfigs';
import { loopbackOnly } from './helpers/loopbackOnly';
import { uncheckedContainerForTest } from './helpers/policyChecked';

class Lines implements Logger {
  readonly lines: string[] = [];
  debug(message: string): void { this.lines.push(message); }
  info(message: string): void { this.lines.push(message); }
  warn(message: string): void { this.lines.push(message); }
  error(message: string): void { this.lines.push(message); }
}

class Collector extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString('utf8');
    callback();
  }
}

function kubeConfig(yaml: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(yaml);
  return kc;
}

async function failure(promise: Promise<unknown>): Promise<ClusterError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ClusterError, `not a ClusterError: ${String(error)}`);
    return error;
  }
  assert.fail('expected a failure');
}

describe('cluster client (ClusterApi over client-node)', function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  let kc: KubeConfig;
  let log: Lines;
  let admin: ClusterApi;

  before(async function () {
    requireRealPods(this);
    cluster = await startTestCluster({ pullDelayMs: 20, backoffBaseMs: 200 });
    kc = cluster.kubeConfig();
    log = new Lines();
    admin = createClusterApi(kc, { context: cluster.context('admin'), logger: log });
    await waitForPod(kc, 'demo', 'node-app', isRunning('app'));
  });

  after(async () => {
    await cluster?.stop();
  });

  it('lists, reads and watches, from the listed resourceVersion', async () => {
    const pods = await admin.listPods('demo');
    assert.ok(pods.items.some((p) => p.metadata?.name === 'node-app'));
    assert.match(pods.resourceVersion, /^\d+$/);
    const all = await admin.listPods(undefined, { labelSelector: 'app=node-app' });
    assert.deepEqual(all.items.map((p) => p.metadata?.name), ['node-app']);
    assert.equal((await admin.readPod('demo', 'node-app')).spec?.containers[0]?.name, 'app');

    const namespaces = await admin.listNamespaces();
    const seen: string[] = [];
    const watch = await admin.watchNamespaces({ resourceVersion: namespaces.resourceVersion }, (type, ns) => seen.push(`${type} ${ns.metadata?.name}`));
    await cluster.createNamespace('client-watch');
    await until(() => seen.includes('ADDED client-watch'), () => seen.join(', '));
    watch.stop();
    await watch.done;
    assert.equal(admin.contextName, cluster.context('admin'));
    assert.equal(admin.defaultNamespace, 'default');
  });

  loopbackOnly.it('rejects a watch from a compacted resourceVersion with 410 Gone', async () => {
    const { resourceVersion } = await admin.listPods('demo');
    cluster.loopback!.api.store.createNamespace({ metadata: { name: 'client-compact' } });
    cluster.loopback!.api.store.compact();
    const watch = await admin.watchPods('demo', { resourceVersion }, () => undefined);
    const error = await failure(watch.done);
    assert.equal(error.code, 410);
    assert.match(error.message, /too old \(410 Gone\).*list again/);
  });

  it('adds an ephemeral container with a strategic-merge patch, twice, and it runs', async () => {
    const debuggerApi = createClusterApi(kc, { context: cluster.context('debugger'), logger: log });
    for (const name of ['debugger-cli01', 'debugger-cli02']) {
      const pod = await debuggerApi.readPod('demo', 'node-app');
      const patched = await debuggerApi.addEphemeralContainer(pod, uncheckedContainerForTest({ name, image: 'busybox:1.36', targetContainerName: 'app', command: ['sleep', '3600'] }));
      assert.ok(patched.spec?.ephemeralContainers?.some((c) => c.name === name));
      const running = await waitForPod(kc, 'demo', 'node-app', isRunning(name));
      assert.ok(containerStatus(running, name)?.state?.running);
    }
    assert.ok(log.lines.some((l) => /^PATCH \/api\/v1\/namespaces\/demo\/pods\/node-app\/ephemeralcontainers 200 \d+ms$/.test(l)), log.lines.join('\n'));
  });

  it('leaves a pod held by a scheduling gate Pending and unbound, and deletes it at once (no kubelet to wait for)', async () => {
    const name = 'client-gated';
    await cluster.createPod('demo', { metadata: { name }, spec: { schedulingGates: [{ name: 'example.com/hold' }],
      containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '3600'] }] } });
    await new Promise((resolve) => setTimeout(resolve, 1000)); // time for a kubelet that wrongly runs it to report
    const pod = await admin.readPod('demo', name);
    assert.equal(pod.spec?.nodeName, undefined, 'not bound to a node');
    assert.equal(pod.status?.phase, 'Pending');
    assert.equal(pod.status?.containerStatuses, undefined, 'no kubelet reports its containers');
    const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    assert.deepEqual([scheduled?.status, scheduled?.reason], ['False', 'SchedulingGated']);
    await admin.deletePod('demo', name); // the pod's own grace period: an unbound pod goes at once regardless
    const gone = await failure(admin.readPod('demo', name));
    assert.equal(gone.code, 404);
  });

  it('refuses a duplicate ephemeral container name before sending anything', async () => {
    const pod = await admin.readPod('demo', 'node-app');
    const error = await failure(admin.addEphemeralContainer(pod, uncheckedContainerForTest({ name: 'debugger-cli01', image: 'busybox' })));
    assert.match(error.message, /already has an ephemeral container named "debugger-cli01"/);
  });

  it('answers canI per user', async () => {
    const patch = { verb: 'patch', resource: 'pods', subresource: 'ephemeralcontainers', namespace: 'demo' };
    const del = { verb: 'delete', resource: 'pods', namespace: 'demo' };
    assert.deepEqual(await admin.canI([patch, del]), [true, true]);
    assert.deepEqual(await createClusterApi(kc, { context: cluster.context('debugger') }).canI([patch, del]), [true, false]);
    assert.deepEqual(await createClusterApi(kc, { context: cluster.context('viewer') }).canI([patch, del]), [false, false]);
  });

  it('execs and resolves `closed` with the channel-3 Status', async () => {
    const stdout = new Collector();
    const ok = await admin.exec('demo', 'node-app', 'debugger-cli01', ['sh', '-c', 'echo hello'], { stdout, stderr: new Collector(), tty: false });
    assert.equal((await ok.closed)?.status, 'Success');
    assert.equal(stdout.text, 'hello\n');
    const failed = await admin.exec('demo', 'node-app', 'debugger-cli01', ['sh', '-c', 'exit 3'], { stdout: new Collector(), tty: false });
    const status = await failed.closed;
    assert.equal(status?.reason, 'NonZeroExitCode');
    assert.equal(status?.details?.causes?.find((c) => c.reason === 'ExitCode')?.message, '3');
    assert.ok(log.lines.some((l) => /^GET \/api\/v1\/namespaces\/demo\/pods\/node-app\/exec 101 \d+ms \(upgrade, v5\.channel\.k8s\.io\)$/.test(l)), log.lines.join('\n'));
  });

  it('reads and streams logs', async () => {
    const text = await admin.readLog('demo', 'node-app', 'app', { tailLines: 5 });
    assert.equal(typeof text, 'string');
    const out = new Collector();
    const controller = new AbortController();
    const streaming = admin.streamLog('demo', 'node-app', 'app', { follow: true }, out, controller.signal);
    setTimeout(() => controller.abort(), 300);
    await streaming;
    assert.equal(out.writableEnded, false, 'the caller keeps its stream');
  });

  it('maps 401 to a re-login message', async () => {
    const wrong = withCredentials(cluster.kubeConfig(), { token: 'not-a-valid-token' });
    const error = await failure(createClusterApi(wrong).listPods('demo'));
    assert.equal(error.code, 401);
    assert.match(error.message, new RegExp(`rejected the credentials of context "${cluster.context('admin')}" \\(401 Unauthorized\\): log in again`));
  });

  it('maps 403 to the verb, resource and namespace, with the server\'s reason', async () => {
    const viewer = createClusterApi(kc, { context: cluster.context('viewer') });
    const pod = await viewer.readPod('demo', 'node-app');
    const error = await failure(viewer.addEphemeralContainer(pod, uncheckedContainerForTest({ name: 'debugger-view1', image: 'busybox' })));
    assert.equal(error.code, 403);
    assert.match(error.message, /^forbidden: you cannot patch pods\/ephemeralcontainers in namespace demo: ask for RBAC patch on pods\/ephemeralcontainers \(pods "node-app" is forbidden: /);
    const exec = await failure(viewer.exec('demo', 'node-app', 'app', ['true'], { stdout: null, tty: false }));
    assert.equal(exec.code, 403);
    assert.match(exec.message, /you cannot create pods\/exec in namespace demo/);
  });

  it('maps 404 (missing pod) and 422 (each cause)', async () => {
    const missing = await failure(admin.readPod('demo', 'no-such-pod'));
    assert.equal(missing.code, 404);
    assert.match(missing.message, /pods "no-such-pod" not found/);
    const pod = await admin.readPod('demo', 'node-app');
    const invalid = await failure(admin.addEphemeralContainer(pod, uncheckedContainerForTest({ name: 'Bad_Name', image: '', ports: [{ containerPort: 80 }] } as never)));
    assert.equal(invalid.code, 422);
    assert.equal(invalid.reason, 'Invalid');
    assert.match(invalid.message, /rejected as invalid: .*name.*; .*image.*/);
  });

  loopbackOnly.it('says ephemeral containers are disabled when the subresource 404s', async () => {
    const old = await LoopbackCluster.start({ ephemeralContainersEnabled: false });
    try {
      const api = createClusterApi(kubeConfig(old.kubeconfigYaml()));
      const pod: V1Pod = { metadata: { name: 'x', namespace: 'default' }, spec: { containers: [{ name: 'app', image: 'busybox' }] } };
      const error = await failure(api.addEphemeralContainer(pod, uncheckedContainerForTest({ name: 'debugger-old01', image: 'busybox' })));
      assert.equal(error.code, 404);
      assert.match(error.message, /^ephemeral containers are disabled for this cluster \(Kubernetes < 1\.25 or the feature gate is off\)/);
    } finally {
      await old.stop();
    }
  });

  it('names the server when it cannot be reached, for calls and watches', async () => {
    const port = await closedPort();
    const unreachable = cluster.kubeConfig();
    unreachable.clusters = unreachable.clusters.map((c) => ({ ...c, server: `https://127.0.0.1:${port}` }));
    const api = createClusterApi(unreachable, { logger: log });
    const error = await failure(api.listNamespaces());
    assert.equal(error.code, 0);
    assert.equal(error.reason, 'ECONNREFUSED');
    assert.equal(error.message, `cannot reach the API server at https://127.0.0.1:${port}: ECONNREFUSED; check the context's server and your network`);
    const watch = await failure(api.watchPods(undefined, {}, () => undefined));
    assert.equal(watch.reason, 'ECONNREFUSED');
  });

  it('says which exec credential plugin failed and what to do', async () => {
    const withPlugin = (command: string) => withCredentials(cluster.kubeConfig(), {
      exec: { apiVersion: 'client.authentication.k8s.io/v1', command, args: ['-c', 'echo token expired, run login >&2; exit 1'], interactiveMode: 'Never' },
    });
    const admin = cluster.context('admin');
    const missing = await failure(createClusterApi(withPlugin('/nonexistent/kube-login')).listPods('demo'));
    assert.equal(missing.reason, 'ExecPluginFailed');
    assert.match(missing.message, new RegExp(`^the exec credential plugin "/nonexistent/kube-login" of context "${admin}" failed: .*ENOENT.*; check that it is installed and on PATH, then log in again with it$`));
    const failing = await failure(createClusterApi(withPlugin('/bin/sh')).listPods('demo'));
    assert.match(failing.message, new RegExp(`plugin "/bin/sh" of context "${admin}" failed: token expired, run login;`));
  });

  it('logs method, path, status and time, and never a token', () => {
    assert.ok(log.lines.some((l) => /^GET \/api\/v1\/namespaces\/demo\/pods 200 \d+ms$/.test(l)), log.lines.join('\n'));
    assert.ok(log.lines.some((l) => /^GET \/api\/v1\/namespaces 200 \d+ms \(watch, \d+ events, stopped\)$/.test(l)), log.lines.join('\n'));
    assert.ok(log.lines.some((l) => /^GET \/api\/v1\/namespaces ECONNREFUSED \d+ms$/.test(l)), log.lines.join('\n'));
    const all = log.lines.join('\n');
    for (const credential of cluster.credentials()) assert.ok(!all.includes(credential), 'a credential was logged');
    assert.ok(!/Bearer /.test(all));
  });
});

/** A port nobody listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function until(condition: () => boolean, explain: () => string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(explain());
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
