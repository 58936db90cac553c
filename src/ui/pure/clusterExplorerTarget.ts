/**
 * Turns what the Kubernetes extension's Cluster Explorer passes to a command into {namespace, pod}.
 * Preferred input is the node resolved by its public API (`clusterExplorer.v1.resolveCommandTarget`); when the
 * API is not available the raw tree node is read by shape. vscode-free.
 */

export interface ClusterExplorerPodTarget {
  /** undefined: the Kubernetes extension did not say (its current namespace); the caller picks the default. */
  readonly namespace?: string;
  readonly pod: string;
}

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

const nonEmpty = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);

/** Whether a resource kind (API's `resourceKind`, or the raw node's `kind`) is Pod. */
function isPodKind(kind: unknown): boolean {
  const record = asRecord(kind);
  if (record === undefined) {
    return false;
  }
  const manifestKind = nonEmpty(record.manifestKind);
  const abbreviation = nonEmpty(record.abbreviation);
  return manifestKind === 'Pod' || abbreviation === 'pod' || abbreviation === 'po' || abbreviation === 'pods';
}

/**
 * `node`: a ClusterExplorerV1 node (`{nodeType: 'resource', resourceKind, name, namespace, metadata}`) or, when
 * the API is missing, the raw command argument. Returns an error line when it is not a pod.
 */
export function resolveClusterExplorerPod(node: unknown): { value: ClusterExplorerPodTarget } | { error: string } {
  const record = asRecord(node);
  if (record === undefined) {
    return { error: 'the Cluster Explorer did not pass a node; right-click a pod under Workloads → Pods' };
  }
  if (record.nodeType !== undefined && record.nodeType !== 'resource') {
    return { error: `the selected Cluster Explorer node is a ${String(record.nodeType)}, not a pod; right-click a pod` };
  }
  const kind = record.resourceKind ?? record.kind;
  if (!isPodKind(kind)) {
    const metadataKind = nonEmpty(asRecord(kind)?.manifestKind);
    return { error: `the selected Cluster Explorer node is ${metadataKind !== undefined ? `a ${metadataKind}` : 'not a resource'}, not a pod; right-click a pod` };
  }
  const metadata = asRecord(record.metadata);
  const pod = nonEmpty(record.name) ?? nonEmpty(metadata?.name) ?? podFromKindName(record.kindName);
  if (pod === undefined) {
    return { error: 'the selected Cluster Explorer node has no pod name; refresh the Cluster Explorer and try again' };
  }
  const namespace = nonEmpty(record.namespace) ?? nonEmpty(metadata?.namespace);
  return { value: { pod, ...(namespace !== undefined ? { namespace } : {}) } };
}

/** `pod/web-1` → `web-1`. */
function podFromKindName(kindName: unknown): string | undefined {
  const text = nonEmpty(kindName);
  const slash = text?.indexOf('/') ?? -1;
  return text !== undefined && slash > 0 ? nonEmpty(text.slice(slash + 1)) : undefined;
}

/** The API broker the Kubernetes extension exports from `activate()`. */
export interface KubernetesExtensionApiBroker {
  get(component: string, version: string): unknown;
}

export interface ClusterExplorerV1Like {
  resolveCommandTarget(target?: unknown): unknown;
}

/** Reads `{available: true, api}` from the broker's answer; undefined for anything else. */
export function clusterExplorerFromBrokerAnswer(answer: unknown): ClusterExplorerV1Like | undefined {
  const record = asRecord(answer);
  const api = asRecord(record?.api);
  if (record?.available === true && api !== undefined && typeof api.resolveCommandTarget === 'function') {
    return api as unknown as ClusterExplorerV1Like;
  }
  return undefined;
}
