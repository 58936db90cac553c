/**
 * The workload kinds the extension knows (apps/v1 and batch/v1 controllers that own pods), their API
 * resources, and the ownerReference helpers every layer uses to tie a pod to its workload.
 */
import type { V1DaemonSet, V1Deployment, V1Job, V1ObjectMeta, V1OwnerReference, V1ReplicaSet, V1StatefulSet } from '@kubernetes/client-node';

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];
export type Workload = V1Deployment | V1StatefulSet | V1DaemonSet | V1ReplicaSet | V1Job;

export interface WorkloadResource {
  readonly group: 'apps' | 'batch';
  /** The plural resource name (RBAC, URLs). */
  readonly resource: string;
  /** The launch.json attribute naming one (`"deployment": "web"`). */
  readonly attribute: string;
}

export const WORKLOAD_RESOURCES: Readonly<Record<WorkloadKind, WorkloadResource>> = {
  Deployment: { group: 'apps', resource: 'deployments', attribute: 'deployment' },
  StatefulSet: { group: 'apps', resource: 'statefulsets', attribute: 'statefulSet' },
  DaemonSet: { group: 'apps', resource: 'daemonsets', attribute: 'daemonSet' },
  ReplicaSet: { group: 'apps', resource: 'replicasets', attribute: 'replicaSet' },
  Job: { group: 'batch', resource: 'jobs', attribute: 'job' },
};

/** One workload, by name: what a tree node, a remembered choice and a launch configuration refer to. */
export interface WorkloadRef {
  readonly kind: WorkloadKind;
  readonly namespace: string;
  readonly name: string;
}

export function isWorkloadKind(value: unknown): value is WorkloadKind {
  return typeof value === 'string' && (WORKLOAD_KINDS as readonly string[]).includes(value);
}

/** The managing controller of an object (the ownerReference with `controller: true`), if any. */
export function controllerOf(metadata: V1ObjectMeta | undefined): V1OwnerReference | undefined {
  return metadata?.ownerReferences?.find((o) => o.controller === true);
}

/** `Deployment web in namespace demo` */
export function describeWorkload(ref: WorkloadRef): string {
  return `${ref.kind} ${ref.name} in namespace ${ref.namespace}`;
}
