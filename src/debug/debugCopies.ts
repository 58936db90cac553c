/**
 * Finding and cleaning up debug copies: pods labelled `ephemeral-debug.io/copy=true` (see podCopy.ts), with
 * where they came from, who made them and when. Deletion re-reads each pod and refuses one that is not labelled
 * as a copy, so a stale or hand-made list can never delete an application pod.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { ClusterError, type ClusterApi } from '../cluster/clusterApi';
import { DebugFlowError } from './debugFlowError';
import { isNodeDebugPod, NODE_DEBUG_LABEL, NODE_DEBUG_SELECTOR, nodeOfDebugPod } from './nodeDebugPods';
import { COPIED_FROM_ANNOTATION, COPY_LABEL, COPY_OF_LABEL, CREATED_AT_ANNOTATION, CREATED_BY_ANNOTATION, DEBUG_COPY_SELECTOR } from './podCopy';

/** A copy is deleted at once (it holds nothing worth a graceful stop). */
export const COPY_DELETE_GRACE_SECONDS = 1;

export interface DebugCopy {
  readonly namespace: string;
  readonly name: string;
  /** A copy of a pod (the default), or a node debug pod (Debug Node…; also ours only, by our label). */
  readonly kind?: 'copy' | 'node';
  /** `<namespace>/<name>` of the source pod (from the annotation, else the label); `node/<node>` for a node debug pod. */
  readonly origin: string;
  readonly creator?: string;
  /** From the created-at annotation, else the pod's creationTimestamp. */
  readonly createdAt?: Date;
  /** Milliseconds since createdAt at listing time; undefined when createdAt is unknown. */
  readonly ageMs?: number;
  /** Pending, Running, Succeeded, Failed, Unknown; `Terminating` while being deleted. */
  readonly phase: string;
}

export interface ListDebugCopiesOptions {
  /** All namespaces when undefined. */
  readonly namespace?: string;
  /** The clock ages are computed from; injectable for tests. */
  readonly now?: () => Date;
}

export interface DeleteCopyResult {
  readonly namespace: string;
  readonly name: string;
  /** `deleted`, or already `gone`, or `refused` (not a debug copy), or `failed`. */
  readonly outcome: 'deleted' | 'gone' | 'refused' | 'failed';
  /** One line when not deleted. */
  readonly message?: string;
}

export async function listDebugCopies(api: ClusterApi, options: ListDebugCopiesOptions = {}): Promise<DebugCopy[]> {
  const now = (options.now?.() ?? new Date()).getTime();
  let pods: V1Pod[];
  try {
    // Two selectors (a label selector cannot say "or"): the copies, and the node debug pods we made.
    const [copies, nodePods] = await Promise.all([DEBUG_COPY_SELECTOR, NODE_DEBUG_SELECTOR].map((labelSelector) => api.listPods(options.namespace, { labelSelector })));
    pods = [...copies.items, ...nodePods.items];
  } catch (error) {
    if (error instanceof ClusterError && error.code === 403) {
      const where = options.namespace !== undefined ? `in namespace ${options.namespace}` : 'in all namespaces';
      throw new DebugFlowError('forbidden', `You cannot list pods ${where} (context ${api.contextName}): ${options.namespace === undefined ? 'pick one namespace, or ' : ''}ask for RBAC 'list' on 'pods'`, error.status, undefined, error);
    }
    throw error;
  }
  return pods
    .filter(isDebugPod) // defence in depth: a server that ignored the selector must not make others look like copies
    .map((pod) => toDebugCopy(pod, now))
    .sort((a, b) => (a.createdAt?.getTime() ?? 0) - (b.createdAt?.getTime() ?? 0) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

export function isDebugCopy(pod: V1Pod): boolean {
  return pod.metadata?.labels?.[COPY_LABEL] === 'true';
}

/** A pod Clean Up may delete: a debug copy or a node debug pod, by our own labels. */
export function isDebugPod(pod: V1Pod): boolean {
  return isDebugCopy(pod) || isNodeDebugPod(pod);
}

function toDebugCopy(pod: V1Pod, now: number): DebugCopy {
  const metadata = pod.metadata ?? {};
  const namespace = metadata.namespace ?? '';
  const createdAt = parseTime(metadata.annotations?.[CREATED_AT_ANNOTATION]) ?? parseTime(metadata.creationTimestamp);
  const copyOf = metadata.labels?.[COPY_OF_LABEL];
  return {
    namespace,
    name: metadata.name ?? '',
    kind: isDebugCopy(pod) ? 'copy' : 'node',
    origin: !isDebugCopy(pod) ? `node/${nodeOfDebugPod(pod) ?? 'unknown'}` : metadata.annotations?.[COPIED_FROM_ANNOTATION] ?? (copyOf ? `${namespace}/${copyOf}` : 'unknown'),
    creator: metadata.annotations?.[CREATED_BY_ANNOTATION],
    createdAt,
    ageMs: createdAt !== undefined ? Math.max(0, now - createdAt.getTime()) : undefined,
    phase: metadata.deletionTimestamp !== undefined ? 'Terminating' : (pod.status?.phase ?? 'Unknown'),
  };
}

function parseTime(value: string | Date | undefined): Date | undefined {
  if (value === undefined) {
    return undefined;
  }
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Copies created more than `maxAgeMs` before `now`; a copy of unknown age is never selected. */
export function selectOlderThan(copies: readonly DebugCopy[], maxAgeMs: number, now: Date = new Date()): DebugCopy[] {
  return copies.filter((copy) => copy.createdAt !== undefined && now.getTime() - copy.createdAt.getTime() > maxAgeMs);
}

/** Deletes each copy independently; one failure does not stop the others. */
export async function deleteDebugCopies(api: ClusterApi, copies: readonly Pick<DebugCopy, 'namespace' | 'name'>[]): Promise<DeleteCopyResult[]> {
  return Promise.all(copies.map((copy) => deleteOne(api, copy.namespace, copy.name)));
}

async function deleteOne(api: ClusterApi, namespace: string, name: string): Promise<DeleteCopyResult> {
  try {
    const pod = await api.readPod(namespace, name);
    if (!isDebugPod(pod)) {
      return { namespace, name, outcome: 'refused', message: `Pod ${namespace}/${name} is not labelled ${COPY_LABEL}=true or ${NODE_DEBUG_LABEL}=true, so it is not a debug pod of ours: it was not deleted` };
    }
    // A debug copy holds nothing worth a graceful stop, and its interactive shell ignores SIGTERM: 1 s, not 30.
    await api.deletePod(namespace, name, { gracePeriodSeconds: COPY_DELETE_GRACE_SECONDS });
    return { namespace, name, outcome: 'deleted' };
  } catch (error) {
    if (error instanceof ClusterError && error.code === 404) {
      return { namespace, name, outcome: 'gone' };
    }
    const message = error instanceof ClusterError && error.code === 403
      ? `You cannot delete pod ${namespace}/${name} (context ${api.contextName}): ask for RBAC 'delete' on 'pods'`
      : `Deleting pod ${namespace}/${name} failed: ${error instanceof Error ? error.message : String(error)}`;
    return { namespace, name, outcome: 'failed', message };
  }
}
