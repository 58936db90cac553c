/**
 * How a node debug pod (kubectl `debug node/<node>`, built by buildNodeDebugPod in debugContainerSpec.ts) is
 * marked, and how one is recognised: kubectl 1.34+'s `app.kubernetes.io/managed-by: kubectl-debug` label, plus
 * our own label so Clean Up finds ours only (kubectl's own node debug pods carry the first label, not the second).
 *
 * - label `ephemeral-debug.io/node-debug: "true"`: the selector of every node debug pod we made;
 * - label `ephemeral-debug.io/node: <node name>` (truncated to a valid label value);
 * - annotation `ephemeral-debug.io/node-name: <node name>` (exact, any length) and `ephemeral-debug.io/profile`;
 * - annotations `ephemeral-debug.io/created-by` and `ephemeral-debug.io/created-at`, as on debug copies.
 */
import type { V1Pod } from '@kubernetes/client-node';

export const KUBECTL_MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const KUBECTL_DEBUG_MANAGER = 'kubectl-debug';
export const NODE_DEBUG_LABEL = 'ephemeral-debug.io/node-debug';
export const NODE_DEBUG_NODE_LABEL = 'ephemeral-debug.io/node';
export const NODE_DEBUG_NODE_ANNOTATION = 'ephemeral-debug.io/node-name';
/** The profile asked for: legacy and general make the same node pod, so the pod alone cannot tell. */
export const NODE_DEBUG_PROFILE_ANNOTATION = 'ephemeral-debug.io/profile';
/** The label selector of every node debug pod this extension made. */
export const NODE_DEBUG_SELECTOR = `${NODE_DEBUG_LABEL}=true`;
/** kubectl's container name in a node debug pod. */
export const NODE_DEBUG_CONTAINER = 'debugger';
/** Where kubectl mounts the node's `/` (volume `host-root`). */
export const NODE_HOST_ROOT = '/host';
export const NODE_HOST_ROOT_VOLUME = 'host-root';

export function isNodeDebugPod(pod: V1Pod): boolean {
  return pod.metadata?.labels?.[NODE_DEBUG_LABEL] === 'true';
}

/** The node a node debug pod debugs: the exact annotation, else the label, else where it is scheduled. */
export function nodeOfDebugPod(pod: V1Pod): string | undefined {
  return pod.metadata?.annotations?.[NODE_DEBUG_NODE_ANNOTATION] ?? pod.metadata?.labels?.[NODE_DEBUG_NODE_LABEL] ?? pod.spec?.nodeName;
}

/**
 * Whether `container` of the pod sees the node's root at `root`: a regular container mounting a hostPath `/`
 * volume there. The target filesystem's root-path variant requires it, so a pod that merely carries our label
 * cannot pass its own files off as the node's.
 */
export function mountsHostRoot(pod: V1Pod, container: string, root: string = NODE_HOST_ROOT): boolean {
  const hostRootVolumes = new Set((pod.spec?.volumes ?? []).filter((v) => v.hostPath?.path === '/').map((v) => v.name));
  const spec = (pod.spec?.containers ?? []).find((c) => c.name === container);
  return (spec?.volumeMounts ?? []).some((m) => m.mountPath === root && hostRootVolumes.has(m.name) && (m.subPath ?? '') === '');
}
