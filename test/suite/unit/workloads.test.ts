/**
 * Workloads without a cluster: grouping pods under their workload by ownerReferences, the pick rule for a
 * workload's pod, selectors as query text, the node's counts, and launch.json's workload attributes.
 */
import assert from 'node:assert/strict';
import type { V1Deployment, V1Job, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { describePick, labelSelectorString, pickReadyPod, WorkloadPodError } from '../../../src/debug/workloadPods';
import { WorkloadCache, workloadStatus } from '../../../src/explorer/workloads';
import { parseLaunchConfiguration } from '../../../src/launch/launchConfiguration';
import { LaunchError } from '../../../src/launch/launchError';

const owner = (kind: string, name: string, uid: string) => [{ apiVersion: 'apps/v1', kind, name, uid, controller: true }];

function pod(name: string, options: { ready?: boolean; owner?: ReturnType<typeof owner>; created?: string; deleting?: boolean; phase?: string } = {}): V1Pod {
  return {
    metadata: { name, namespace: 'shop', ownerReferences: options.owner, creationTimestamp: new Date(options.created ?? '2026-01-01T00:00:00Z'),
      ...(options.deleting ? { deletionTimestamp: new Date('2026-01-02T00:00:00Z') } : {}) },
    spec: { containers: [{ name: 'app' }] },
    status: { phase: options.phase ?? 'Running', conditions: [{ type: 'Ready', status: options.ready === false ? 'False' : 'True' }] },
  };
}

const web = { kind: 'Deployment' as const, namespace: 'shop', name: 'web' };

describe('workloads: grouping pods under their workload', () => {
  const cache = new WorkloadCache();
  const deployment: V1Deployment = { metadata: { name: 'web', namespace: 'shop', uid: 'd1' } };
  const replicaSet: V1ReplicaSet = { metadata: { name: 'web-abc', namespace: 'shop', uid: 'rs1', ownerReferences: owner('Deployment', 'web', 'd1') } };
  const lonely: V1ReplicaSet = { metadata: { name: 'legacy', namespace: 'shop', uid: 'rs2' } };
  const orphanOfDeployment: V1ReplicaSet = { metadata: { name: 'gone-xyz', namespace: 'shop', uid: 'rs3', ownerReferences: owner('Deployment', 'gone', 'd9') } };
  const job: V1Job = { metadata: { name: 'backup', namespace: 'shop', uid: 'j1' } };
  cache.replace('Deployment', undefined, [deployment]);
  cache.replace('ReplicaSet', undefined, [replicaSet, lonely, orphanOfDeployment]);
  cache.replace('Job', 'shop', [job]);

  it('puts a Deployment\'s pods (owned by its ReplicaSet) under the Deployment, and hides that ReplicaSet', () => {
    assert.deepEqual(cache.ownerOf(pod('web-abc-12345', { owner: owner('ReplicaSet', 'web-abc', 'rs1') })), web);
    assert.deepEqual(cache.shown('shop').map((s) => `${s.ref.kind}/${s.ref.name}`), ['Deployment/web', 'ReplicaSet/gone-xyz', 'ReplicaSet/legacy', 'Job/backup']);
  });

  it('shows a ReplicaSet on its own when no watched Deployment owns it', () => {
    assert.deepEqual(cache.ownerOf(pod('legacy-1', { owner: owner('ReplicaSet', 'legacy', 'rs2') })), { kind: 'ReplicaSet', namespace: 'shop', name: 'legacy' });
    assert.deepEqual(cache.ownerOf(pod('gone-xyz-1', { owner: owner('ReplicaSet', 'gone-xyz', 'rs3') })), { kind: 'ReplicaSet', namespace: 'shop', name: 'gone-xyz' });
  });

  it('leaves bare pods, pods of unknown controllers and pods of a same-named but other object (uid) at the namespace level', () => {
    assert.equal(cache.ownerOf(pod('bare')), undefined);
    assert.equal(cache.ownerOf(pod('cron', { owner: owner('CronJob', 'nightly', 'c1') })), undefined);
    assert.equal(cache.ownerOf(pod('stale', { owner: owner('Job', 'backup', 'j0') })), undefined, 'an earlier Job of that name');
    assert.deepEqual(cache.ownerOf(pod('backup-x', { owner: owner('Job', 'backup', 'j1') })), { kind: 'Job', namespace: 'shop', name: 'backup' });
  });

  it('forgets what a fresh list or a DELETED event no longer has', () => {
    const local = new WorkloadCache();
    local.replace('Job', undefined, [job]);
    local.apply('Job', 'DELETED', job);
    assert.deepEqual(local.shown('shop'), []);
    local.replace('Job', undefined, [job]);
    local.replace('Job', 'shop', []);
    assert.deepEqual(local.shown('shop'), []);
  });

  it('counts like kubectl get: READY for replicas, COMPLETIONS for a Job', () => {
    assert.deepEqual(workloadStatus('Deployment', { spec: { replicas: 3, selector: {}, template: {} }, status: { readyReplicas: 2 } }), { ready: 2, desired: 3, text: '2/3 ready' });
    assert.equal(workloadStatus('DaemonSet', { status: { numberReady: 1, desiredNumberScheduled: 1, currentNumberScheduled: 1, numberMisscheduled: 0 } }).text, '1/1 ready');
    assert.equal(workloadStatus('Job', { spec: { completions: 2, template: {} }, status: { succeeded: 1, active: 1, failed: 1 } }).text, '1/2 completed · 1 active · 1 failed');
  });
});

describe('workloads: picking a ready pod', () => {
  const older = pod('web-a', { created: '2026-01-01T00:00:00Z' });
  const newer = pod('web-b', { created: '2026-01-01T01:00:00Z' });
  const unready = pod('web-c', { ready: false });
  const terminating = pod('web-d', { deleting: true });

  it('uses the only ready pod; ignores unready and terminating ones', () => {
    const pick = pickReadyPod(web, [unready, newer, terminating], undefined, true);
    assert.ok('pod' in pick && pick.pod === newer && pick.why === 'only');
  });

  it('asks among several (oldest first) when interactive, else takes the oldest', () => {
    const ask = pickReadyPod(web, [newer, older], undefined, true);
    assert.ok('ask' in ask);
    assert.deepEqual(ask.ask, [older, newer]);
    const auto = pickReadyPod(web, [newer, older], undefined, false);
    assert.ok('pod' in auto && auto.pod === older && auto.why === 'oldest');
    assert.equal(describePick(web, older, 'oldest', 2), 'Deployment web in namespace shop: using pod web-a (the oldest of 2 ready pods)');
  });

  it('reuses the remembered pod while it exists and is ready, and not once it is unready or gone', () => {
    const remembered = pickReadyPod(web, [older, newer], 'web-b', true);
    assert.ok('pod' in remembered && remembered.pod === newer && remembered.why === 'remembered');
    assert.ok('ask' in pickReadyPod(web, [older, newer, unready], 'web-c', true), 'remembered but unready: ask again');
    assert.ok('ask' in pickReadyPod(web, [older, newer], 'web-z', true), 'remembered but gone: ask again');
  });

  it('says in one line why nothing can be picked, and what to do', () => {
    assert.throws(() => pickReadyPod(web, [unready, terminating], undefined, true), (error: unknown) => error instanceof WorkloadPodError && error.reason === 'no-ready-pod'
      && error.message === 'Deployment web in namespace shop has no ready pod to debug (web-c: Running, web-d: Terminating): wait until one is ready, or debug one of its pods from under it in the Clusters view');
    assert.throws(() => pickReadyPod(web, [], undefined, false), /\(it has no pods\)/);
  });

  it('writes label selectors as the API reads them', () => {
    assert.equal(labelSelectorString({ matchLabels: { app: 'web', tier: 'front' },
      matchExpressions: [{ key: 'env', operator: 'In', values: ['a', 'b'] }, { key: 'x', operator: 'NotIn', values: ['c'] }, { key: 'y', operator: 'Exists' }, { key: 'z', operator: 'DoesNotExist' }] }),
    'app=web,tier=front,env in (a,b),x notin (c),y,!z');
    assert.equal(labelSelectorString(undefined), '');
  });
});

describe('workloads: launch configurations', () => {
  const base = { type: 'kubernetes-ephemeral', request: 'attach', name: 'x', namespace: 'shop' };
  const invalid = (raw: Record<string, unknown>, message: RegExp) =>
    assert.throws(() => parseLaunchConfiguration({ ...base, ...raw }), (error: unknown) => error instanceof LaunchError && error.code === 'invalid-configuration' && message.test(error.message));

  it('reads each workload attribute into the request', () => {
    for (const [attribute, kind] of [['deployment', 'Deployment'], ['statefulSet', 'StatefulSet'], ['daemonSet', 'DaemonSet'], ['replicaSet', 'ReplicaSet'], ['job', 'Job']]) {
      const { request } = parseLaunchConfiguration({ ...base, [attribute!]: 'web' });
      assert.deepEqual(request.workload, { kind, name: 'web' });
      assert.equal(request.pod, undefined);
    }
  });

  it('refuses both a pod and a workload, two workloads, or neither, naming them', () => {
    invalid({ pod: 'web-1', deployment: 'web' }, /^set only one of "pod", "deployment": each chooses the pod to debug$/);
    invalid({ deployment: 'web', job: 'web' }, /^set only one of "deployment", "job"/);
    invalid({ labelSelector: 'app=web', statefulSet: 'db' }, /^set only one of "labelSelector", "statefulSet"/);
    invalid({}, /^set "pod", a workload \("deployment", "statefulSet", "daemonSet", "replicaSet", "job"\) or "labelSelector" to choose the pod to debug$/);
    invalid({ deployment: 42 }, /^"deployment" must be a string$/);
  });
});
