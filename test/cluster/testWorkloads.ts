/**
 * Workloads a test suite creates on a test cluster (loopback or shared), through the API like any client:
 * created as admin (a leftover of an earlier run replaced), deleted with the pods they own, and pods waited
 * for by polling the API (never fixed sleeps). Works against the real kube-controller-manager and the
 * loopback's controllers alike.
 */
import * as k8s from '@kubernetes/client-node';
import { isNotFound, pollUntil } from './demoReset';

/** A Deployment, StatefulSet, DaemonSet, ReplicaSet (apps/v1) or Job (batch/v1) manifest. */
export interface TestWorkload extends k8s.KubernetesObject {
  apiVersion: 'apps/v1' | 'batch/v1';
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'ReplicaSet' | 'Job';
  metadata: k8s.V1ObjectMeta & { name: string };
  spec: { selector?: k8s.V1LabelSelector; template: k8s.V1PodTemplateSpec; replicas?: number } & Record<string, unknown>;
}

const header = (namespace: string, w: Pick<TestWorkload, 'apiVersion' | 'kind'> & { metadata: { name: string } }) =>
  ({ apiVersion: w.apiVersion, kind: w.kind, metadata: { name: w.metadata.name, namespace } });

/** Deletes the workload (background propagation), then its remaining pods with grace 0; resolves when all are gone. */
export async function deleteWorkloadAndWait(kc: k8s.KubeConfig, namespace: string, workload: TestWorkload): Promise<void> {
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const target = header(namespace, workload);
  try {
    await objects.delete(target, undefined, undefined, undefined, undefined, 'Background');
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  await pollUntil(() => objects.read(target).then(() => false, (e: unknown) => {
    if (isNotFound(e)) return true;
    throw e;
  }), `${workload.kind} ${namespace}/${workload.metadata.name} to be deleted`);
  // Its pods: the garbage collector deletes them with their grace period; do not wait that out.
  const labelSelector = Object.entries(workload.spec.template.metadata?.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  if (labelSelector === '') return;
  const owned = async () => (await core.listNamespacedPod({ namespace, labelSelector })).items;
  for (const pod of await owned()) {
    await core.deleteNamespacedPod({ namespace, name: pod.metadata!.name!, gracePeriodSeconds: 0 }).catch((e: unknown) => {
      if (!isNotFound(e)) throw e;
    });
  }
  await pollUntil(async () => (await owned()).length === 0, `the pods of ${workload.kind} ${namespace}/${workload.metadata.name} to be deleted`);
}

export async function createWorkload(kc: k8s.KubeConfig, namespace: string, workload: TestWorkload): Promise<TestWorkload> {
  await deleteWorkloadAndWait(kc, namespace, workload);
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  return objects.create({ ...workload, metadata: { ...workload.metadata, namespace } });
}

/** Polls the pods matching `labelSelector` until `done(pods)`; returns them. Fails with `what` and the pods' states. */
export async function waitForPods(kc: k8s.KubeConfig, namespace: string, labelSelector: string, done: (pods: k8s.V1Pod[]) => boolean,
  what: string, timeoutMs = 120_000): Promise<k8s.V1Pod[]> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  let pods: k8s.V1Pod[] = [];
  try {
    await pollUntil(async () => {
      pods = (await core.listNamespacedPod({ namespace, labelSelector })).items;
      return done(pods);
    }, what, timeoutMs);
  } catch (error) {
    const states = pods.map((p) => `${p.metadata?.name} ${p.status?.phase}${p.metadata?.deletionTimestamp ? ' (terminating)' : ''}`).join(', ');
    throw new Error(`${(error as Error).message} (pods: ${states || 'none'})`);
  }
  return pods;
}

/** Running, Ready, not being deleted. */
export function isReadyPod(pod: k8s.V1Pod): boolean {
  return pod.metadata?.deletionTimestamp === undefined && pod.status?.phase === 'Running'
    && (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}
