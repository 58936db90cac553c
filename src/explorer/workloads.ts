/**
 * Workloads in the explorer, vscode-free: the Deployments, StatefulSets, DaemonSets, ReplicaSets and Jobs of
 * the expanded namespaces (list in pages + watch per kind, started and stopped with the namespace's pods), the grouping of
 * pods under them by ownerReferences (a Deployment's pods are owned by its ReplicaSet: they are shown under the
 * Deployment, and a ReplicaSet is shown on its own only when no watched Deployment owns it), and their nodes.
 * A kind the user may not list (403) or the server does not serve (404) is simply left out.
 */
import type { V1DaemonSet, V1Deployment, V1Job, V1Pod, V1ReplicaSet, V1StatefulSet } from '@kubernetes/client-node';
import type { ClusterApi } from '../cluster/clusterApi';
import { controllerOf, isWorkloadKind, WORKLOAD_KINDS, type Workload, type WorkloadKind, type WorkloadRef } from '../cluster/workloadKinds';
import { workloadContextValue } from './contextValues';
import { code, md, type NodeDescriptor } from './descriptors';
import { LIST_PAGE_SIZE, listAllPages, ListWatch, type BackoffOptions } from './listWatch';
import { isPodReady } from './podStatus';

export const workloadId = (context: string, ref: WorkloadRef) => `workload:${context}/${ref.namespace}/${ref.kind}/${ref.name}`;

const keyOf = (kind: WorkloadKind, name: string) => `${kind}/${name}`;

/** What the watches know: namespace → `Kind/name` → workload. */
export class WorkloadCache {
  private readonly byNamespace = new Map<string, Map<string, Workload>>();

  clear(): void {
    this.byNamespace.clear();
  }

  /** Forget one namespace's workloads (it was collapsed). */
  clearNamespace(namespace: string): void {
    this.byNamespace.delete(namespace);
  }

  /** A fresh list of one kind (in one namespace, or all when undefined) replaces what was known of it. */
  replace(kind: WorkloadKind, namespace: string | undefined, items: readonly Workload[]): void {
    for (const [ns, workloads] of this.byNamespace) {
      if (namespace !== undefined && ns !== namespace) continue;
      for (const key of [...workloads.keys()]) if (key.startsWith(`${kind}/`)) workloads.delete(key);
    }
    for (const item of items) this.apply(kind, 'ADDED', item);
  }

  apply(kind: WorkloadKind, type: 'ADDED' | 'MODIFIED' | 'DELETED', workload: Workload): void {
    const namespace = workload.metadata?.namespace ?? '';
    const key = keyOf(kind, workload.metadata?.name ?? '');
    let workloads = this.byNamespace.get(namespace);
    if (!workloads) this.byNamespace.set(namespace, (workloads = new Map()));
    if (type === 'DELETED') workloads.delete(key);
    else workloads.set(key, workload);
  }

  get(ref: WorkloadRef): Workload | undefined {
    return this.byNamespace.get(ref.namespace)?.get(keyOf(ref.kind, ref.name));
  }

  /** The workload a pod is shown under, if any (see the file comment). */
  ownerOf(pod: V1Pod): WorkloadRef | undefined {
    const namespace = pod.metadata?.namespace ?? '';
    const controller = controllerOf(pod.metadata);
    if (controller === undefined || !isWorkloadKind(controller.kind)) return undefined;
    const direct = this.owned({ kind: controller.kind, namespace, name: controller.name }, controller.uid);
    if (direct === undefined || direct.kind !== 'ReplicaSet') return direct;
    return this.deploymentOf(direct) ?? direct;
  }

  /** The workloads shown in a namespace: all but the ReplicaSets a watched Deployment owns, in kind order then by name. */
  shown(namespace: string): { ref: WorkloadRef; workload: Workload }[] {
    const workloads = this.byNamespace.get(namespace);
    if (!workloads) return [];
    const shown: { ref: WorkloadRef; workload: Workload }[] = [];
    for (const [key, workload] of workloads) {
      const [kind, name] = splitKey(key);
      const ref = { kind, namespace, name };
      if (kind === 'ReplicaSet' && this.deploymentOf(ref) !== undefined) continue;
      shown.push({ ref, workload });
    }
    return shown.sort((a, b) => WORKLOAD_KINDS.indexOf(a.ref.kind) - WORKLOAD_KINDS.indexOf(b.ref.kind) || a.ref.name.localeCompare(b.ref.name));
  }

  /** `ref` when the cache has it (and its uid matches the owner reference's, when both are known). */
  private owned(ref: WorkloadRef, uid: string | undefined): WorkloadRef | undefined {
    const workload = this.get(ref);
    if (workload === undefined) return undefined;
    const known = workload.metadata?.uid;
    return uid && known && uid !== known ? undefined : ref;
  }

  private deploymentOf(replicaSet: WorkloadRef): WorkloadRef | undefined {
    const controller = controllerOf(this.get(replicaSet)?.metadata);
    if (controller?.kind !== 'Deployment') return undefined;
    return this.owned({ kind: 'Deployment', namespace: replicaSet.namespace, name: controller.name }, controller.uid);
  }
}

function splitKey(key: string): [WorkloadKind, string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash) as WorkloadKind, key.slice(slash + 1)];
}

/** One list + watch loop per kind and namespace (undefined: all namespaces); a 403 or 404 stops that loop quietly. */
export function workloadLoops(
  namespaces: readonly (string | undefined)[],
  api: () => ClusterApi,
  cache: WorkloadCache,
  emit: (namespace: string | undefined) => void,
  backoff: BackoffOptions,
  pageSize = LIST_PAGE_SIZE,
): ListWatch<Workload>[] {
  return namespaces.flatMap((namespace) => WORKLOAD_KINDS.map((kind) => {
    const loop: ListWatch<Workload> = new ListWatch<Workload>(() => {
      const facade = api();
      return {
        list: () => listAllPages((page) => facade.listWorkloads(kind, namespace, page), pageSize),
        watch: (resourceVersion, onEvent) => facade.watchWorkloads(kind, namespace, { resourceVersion, allowWatchBookmarks: true }, onEvent),
      };
    }, {
      onList: (items) => {
        cache.replace(kind, namespace, items);
        emit(namespace);
      },
      onEvent: (type, workload) => {
        cache.apply(kind, type, workload);
        emit(workload.metadata?.namespace ?? '');
      },
      // Not the cluster's health: the pods' loops report an unreachable server. Only what cannot change by
      // retrying stops the loop (no permission, no such API); anything else is retried with back-off.
      onError: (error) => {
        if (error.code === 403 || error.code === 404) loop.stop();
      },
    }, backoff);
    return loop;
  }));
}

/** The counts a workload's node shows, like kubectl get's READY (or COMPLETIONS for a Job) column. */
export function workloadStatus(kind: WorkloadKind, workload: Workload): { ready: number; desired: number; text: string } {
  switch (kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'ReplicaSet': {
      const w = workload as V1Deployment | V1StatefulSet | V1ReplicaSet;
      const ready = w.status?.readyReplicas ?? 0;
      const desired = w.spec?.replicas ?? 1;
      return { ready, desired, text: `${ready}/${desired} ready` };
    }
    case 'DaemonSet': {
      const status = (workload as V1DaemonSet).status;
      const ready = status?.numberReady ?? 0;
      const desired = status?.desiredNumberScheduled ?? 0;
      return { ready, desired, text: `${ready}/${desired} ready` };
    }
    case 'Job': {
      const job = workload as V1Job;
      const succeeded = job.status?.succeeded ?? 0;
      const desired = job.spec?.completions ?? 1;
      const active = job.status?.active ?? 0;
      const failed = job.status?.failed ?? 0;
      return { ready: active, desired, text: [`${succeeded}/${desired} completed`, active ? `${active} active` : '', failed ? `${failed} failed` : ''].filter(Boolean).join(' · ') };
    }
  }
}

const KIND_ICONS: Record<WorkloadKind, string> = {
  Deployment: 'layers', StatefulSet: 'database', DaemonSet: 'server-process', ReplicaSet: 'copy', Job: 'run-all',
};

export function workloadNode(contextName: string, ref: WorkloadRef, workload: Workload, pods: readonly V1Pod[]): NodeDescriptor {
  const status = workloadStatus(ref.kind, workload);
  const readyPods = pods.filter(isPodReady).length;
  const short = status.ready < status.desired && ref.kind !== 'Job';
  return {
    id: workloadId(contextName, ref),
    kind: 'workload',
    label: ref.name,
    description: `${ref.kind} · ${status.text}`,
    tooltip: [
      `**${ref.kind} ${md(ref.name)}** in ${code(ref.namespace)}`,
      `${md(status.text)}; ${pods.length} pods, ${readyPods} ready`,
      readyPods > 0 ? '$(debug) Debug actions pick one of its ready pods (you choose when there are several).' : 'No ready pod to debug yet.',
    ].join('\n\n'),
    icon: { id: KIND_ICONS[ref.kind], color: short ? 'list.warningForeground' : undefined },
    contextValue: workloadContextValue(ref.kind, readyPods > 0),
    // Nothing to expand until it has pods (a namespace change re-reads this node when they come).
    collapsible: pods.length > 0 ? 'collapsed' : 'none',
    contextName,
    namespace: ref.namespace,
    workload: { kind: ref.kind, name: ref.name },
  };
}
