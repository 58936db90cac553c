/**
 * A workload → the pod a debug action acts on, vscode-free. The pods of a workload are the ones its controller
 * owns (ownerReferences by uid; a Deployment's through its ReplicaSets), found among the pods its selector
 * matches. The pick: the one remembered for this workload while it is still ready, else the only ready pod, else
 * ask (interactive) or the oldest ready one (a launch configuration); no ready pod is a one-line error.
 */
import type { V1LabelSelector, V1Pod } from '@kubernetes/client-node';
import { ClusterError, type ClusterApi } from '../cluster/clusterApi';
import { controllerOf, describeWorkload, WORKLOAD_RESOURCES, type Workload, type WorkloadRef } from '../cluster/workloadKinds';
import { isPodDebuggable } from '../explorer/contextValues';
import { isPodReady, summarizePod } from '../explorer/podStatus';

export class WorkloadPodError extends Error {
  constructor(message: string, readonly reason: 'not-found' | 'no-ready-pod') {
    super(message);
    this.name = 'WorkloadPodError';
  }
}

/** A label selector as the API's query string (`app=web,tier in (a,b),!legacy`). */
export function labelSelectorString(selector: V1LabelSelector | undefined): string {
  const parts = Object.entries(selector?.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const e of selector?.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

/** Ready (its Ready condition is True) and still debuggable (not finished, not being deleted). */
export function isReadyToDebug(pod: V1Pod): boolean {
  return isPodDebuggable(pod) && isPodReady(pod);
}

/** Oldest first (creationTimestamp, then name): the pod least likely to be replaced next. */
export function byAge(a: V1Pod, b: V1Pod): number {
  const time = (p: V1Pod) => new Date(p.metadata?.creationTimestamp ?? 0).getTime();
  return time(a) - time(b) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

/** The workload and the pods it owns now (any state), oldest first. */
export async function podsOfWorkload(api: ClusterApi, ref: WorkloadRef): Promise<{ workload: Workload; pods: V1Pod[] }> {
  let workload: Workload;
  try {
    workload = await api.readWorkload(ref.kind, ref.namespace, ref.name);
  } catch (error) {
    if (error instanceof ClusterError && error.code === 404) {
      throw new WorkloadPodError(`${describeWorkload(ref)} not found: check the name and namespace `
        + `(kubectl get ${WORKLOAD_RESOURCES[ref.kind].resource} -n ${ref.namespace})`, 'not-found');
    }
    throw error;
  }
  const labelSelector = labelSelectorString(workload.spec?.selector) || undefined;
  const owners = new Set<string>([workload.metadata?.uid ?? '']);
  if (ref.kind === 'Deployment') {
    // Its pods are owned by its ReplicaSets (the current one and, during a rollout, the old ones).
    owners.clear();
    const replicaSets = await api.listWorkloads('ReplicaSet', ref.namespace, { labelSelector });
    for (const rs of replicaSets.items) {
      if (controllerOf(rs.metadata)?.uid === workload.metadata?.uid && rs.metadata?.uid) owners.add(rs.metadata.uid);
    }
  }
  const pods = (await api.listPods(ref.namespace, { labelSelector })).items
    .filter((pod) => owners.has(controllerOf(pod.metadata)?.uid ?? '\0'));
  return { workload, pods: pods.sort(byAge) };
}

export type PodPick =
  | { readonly pod: V1Pod; readonly why: 'remembered' | 'only' | 'oldest' }
  | { readonly ask: readonly V1Pod[] };

/**
 * The pick rule over a workload's pods. `remembered`: the pod chosen last time for this workload (used while it
 * exists and is ready). Several ready and no usable memory: `ask` when interactive, else the oldest ready pod.
 */
export function pickReadyPod(ref: WorkloadRef, pods: readonly V1Pod[], remembered: string | undefined, interactive: boolean): PodPick {
  const ready = pods.filter(isReadyToDebug).sort(byAge);
  const memory = remembered !== undefined ? ready.find((p) => p.metadata?.name === remembered) : undefined;
  if (memory !== undefined) return { pod: memory, why: 'remembered' };
  if (ready.length === 1) return { pod: ready[0]!, why: 'only' };
  if (ready.length > 1) return interactive ? { ask: ready } : { pod: ready[0]!, why: 'oldest' };
  const states = pods.slice(0, 3).map((p) => `${p.metadata?.name}: ${summarizePod(p).status}`).join(', ');
  const more = pods.length > 3 ? `, +${pods.length - 3} more` : '';
  throw new WorkloadPodError(`${describeWorkload(ref)} has no ready pod to debug (${pods.length === 0 ? 'it has no pods' : `${states}${more}`}): `
    + 'wait until one is ready, or debug one of its pods from under it in the Clusters view', 'no-ready-pod');
}

/** Where a pick came from, for the log and the debug console: `using pod web-7d9c-abcde (the only ready pod of Deployment web …)`. */
export function describePick(ref: WorkloadRef, pod: V1Pod, why: 'remembered' | 'only' | 'oldest' | 'chosen', readyCount: number): string {
  const reason = why === 'only' ? 'its only ready pod'
    : why === 'remembered' ? `the pod chosen before, of ${readyCount} ready`
      : why === 'oldest' ? `the oldest of ${readyCount} ready pods`
        : `chosen of ${readyCount} ready pods`;
  return `${describeWorkload(ref)}: using pod ${pod.metadata?.name} (${reason})`;
}

/** The key a choice is remembered under (per context, namespace, kind and name). */
export function workloadMemoryKey(context: string, ref: WorkloadRef): string {
  return `${context}/${ref.namespace}/${ref.kind}/${ref.name}`;
}
