/**
 * Capture on a condition, on the test cluster: a rule armed on a pod whose app exits after a while fires once
 * when the kubelet restarts it, and what it runs (a debug container and Collect Diagnostics, as the editor's
 * action does) leaves the report as a session artifact. A deleted pod ends its rule without firing. On the
 * real node the restart, its count and the last exit come from the real kubelet and containerd.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { CaptureMonitor, type CaptureRule } from '../../../src/capture/captureMonitor';
import { captureBaseline, workloadBaseline } from '../../../src/capture/conditions';
import { labelSelectorString, podsOfWorkload } from '../../../src/debug/workloadPods';
import { waitForPods } from '../../cluster/testWorkloads';
import { createClusterApi } from '../../../src/cluster/client';
import type { ClusterApi } from '../../../src/cluster/clusterApi';
import { attachDebugContainer } from '../../../src/debug/attachFlow';
import { collectDiagnostics } from '../../../src/diagnostics/collect';
import { SessionJournal } from '../../../src/session';
import { startTestCluster, type TestCluster } from '../../cluster/testCluster';
import { requireRealPods } from '../loopback/helpers/requirePods';

const NAMESPACE = 'capture-test';

async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('capture on a condition', function () {
  this.timeout(180_000);
  let cluster: TestCluster;
  let api: ClusterApi;
  let dir: string;

  before(async function () {
    requireRealPods(this);
    cluster = await startTestCluster({ demo: false, pullDelayMs: 20, backoffBaseMs: 200 });
    api = createClusterApi(cluster.kubeConfig('admin'));
    await cluster.createNamespace(NAMESPACE);
    dir = await mkdtemp(join(tmpdir(), 'capture-test-'));
  });

  after(async () => {
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A pod whose app runs `seconds` then exits 3; the kubelet restarts it (restartPolicy Always). */
  async function crashingPod(name: string, seconds: number): Promise<V1Pod> {
    await cluster.createPod(NAMESPACE, {
      metadata: { name },
      spec: {
        terminationGracePeriodSeconds: 0,
        containers: [{ name: 'app', image: 'busybox:1.36', command: ['sh', '-c', `echo started; sleep ${seconds}; exit 3`] }],
      },
    });
    return waitUntil(`${name} running`, async () => {
      const pod = await api.readPod(NAMESPACE, name);
      return pod.status?.containerStatuses?.[0]?.state?.running ? pod : undefined;
    });
  }

  function rule(pod: V1Pod, id: string): CaptureRule {
    return {
      id, context: api.contextName, namespace: NAMESPACE, pod: pod.metadata!.name!, condition: { kind: 'restart' }, action: { kind: 'diagnostics' },
      armedAt: new Date().toISOString(), baseline: captureBaseline(pod),
    };
  }

  it('fires once when the container restarts, and the diagnostics it runs land in the journal', async () => {
    const pod = await crashingPod('crashes-later', 15);
    const journal = await SessionJournal.open(dir, { retentionDays: 1 });
    const fired: string[] = [];
    let ran: Promise<string> | undefined;
    const monitor = new CaptureMonitor({
      api: async () => api,
      onFire: (r, reason) => {
        fired.push(reason);
        // What the editor's action does: a debug container, Collect Diagnostics, the report as an artifact.
        ran = (async () => {
          const record = await journal.start({ kind: 'diagnostics', identity: { username: 'admin', groups: [], source: 'kubeconfig' }, context: api.contextName, namespace: r.namespace, pod: r.pod });
          const attached = await attachDebugContainer(api, { namespace: r.namespace, podName: r.pod, image: 'busybox:1.36', targetContainer: 'app', profile: 'general' }, { skipPrivilegedConfirmation: true });
          const report = await collectDiagnostics(api, { namespace: r.namespace, pod: r.pod, debugContainer: attached.containerName });
          const artifact = await record.addArtifact({ fileName: 'diagnostics.md', kind: 'diagnostics', description: reason, mediaType: 'text/markdown' }, report.markdown);
          await record.end({ status: 'completed' });
          return record.artifactPath(artifact.fileName);
        })();
      },
      onEnd: (_r, why) => assert.fail(`ended without firing: ${why}`),
    });
    monitor.arm(rule(pod, 'restart-rule'));
    assert.equal(monitor.rules().length, 1);
    await waitUntil('the rule to fire', async () => (fired.length > 0 ? true : undefined));
    assert.equal(monitor.rules().length, 0, 'a fired rule is disarmed');
    assert.match(fired[0]!, /^app restarted \(restart count 0 → 1; last exit 3/);
    const path = await ran!;
    const sessions = await journal.list();
    const report = sessions.at(-1)!.artifacts.find((a) => a.fileName === 'diagnostics.md');
    assert.ok(report && report.size > 0 && path.endsWith('diagnostics.md'));
    assert.equal(fired.length, 1, 'fired once');
    monitor.dispose();
  });

  it('a rule on a Deployment follows its pods: a pod deleted by a rollout does not end it, a pod\'s restart fires it on that pod', async () => {
    const labels = { app: 'capture-deploy' };
    await cluster.createWorkload(NAMESPACE, {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'capture-deploy' },
      spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: {
        terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image: 'busybox:1.36', command: ['sh', '-c', 'echo up; sleep 20; exit 3'] }],
      } } },
    });
    const [first] = await waitForPods(cluster.kubeConfig('admin'), NAMESPACE, 'app=capture-deploy', (pods) => pods.length === 1 && pods[0]!.status?.containerStatuses?.[0]?.state?.running !== undefined, 'the Deployment\'s pod running');
    const { workload, pods } = await podsOfWorkload(api, { kind: 'Deployment', namespace: NAMESPACE, name: 'capture-deploy' });
    assert.deepEqual(pods.map((p) => p.metadata?.name), [first!.metadata?.name]);
    const fired: { reason: string; pod: string }[] = [];
    const ended: string[] = [];
    const monitor = new CaptureMonitor({ api: async () => api, onFire: (_r, reason, pod) => fired.push({ reason, pod }), onEnd: (_r, why) => ended.push(why) });
    monitor.arm({
      id: 'deployment-rule', context: api.contextName, namespace: NAMESPACE, pod: 'capture-deploy', condition: { kind: 'restart' }, action: { kind: 'diagnostics' },
      armedAt: new Date().toISOString(), baseline: { podUid: '', restartCounts: {} },
      workload: { kind: 'Deployment', labelSelector: labelSelectorString(workload.spec?.selector), baselines: workloadBaseline(pods) },
    });
    // A rollout's deletion: the ReplicaSet makes a new pod, the rule goes on.
    await api.deletePod(NAMESPACE, first!.metadata!.name!, { gracePeriodSeconds: 0 });
    const fire = await waitUntil('the rule to fire on the new pod', async () => fired[0], 120_000);
    assert.deepEqual(ended, []);
    assert.notEqual(fire.pod, first!.metadata!.name, 'fired on the replacement pod');
    assert.match(fire.reason, new RegExp(`^pod ${fire.pod}: app restarted \\(restart count 0 → 1; last exit 3`));
    assert.equal(monitor.rules().length, 0);
    monitor.dispose();
  });

  it('ends a rule whose pod is deleted, without firing', async () => {
    const pod = await crashingPod('deleted-while-armed', 3600);
    const ended: string[] = [];
    const monitor = new CaptureMonitor({
      api: async () => api,
      onFire: (_r, reason) => assert.fail(`fired: ${reason}`),
      onEnd: (_r, why) => ended.push(why),
    });
    monitor.arm(rule(pod, 'deleted-rule'));
    await api.deletePod(NAMESPACE, 'deleted-while-armed', { gracePeriodSeconds: 0 });
    await waitUntil('the rule to end', async () => (ended.length > 0 ? true : undefined));
    assert.deepEqual(ended, [`${NAMESPACE}/deleted-while-armed was deleted`]);
    assert.equal(monitor.rules().length, 0);
    monitor.dispose();
  });
});
