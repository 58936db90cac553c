/**
 * The `contextValue` of each tree node, which package.json's menus match: `ephemeralDebug.<kind>` followed by
 * `.flag` words, e.g. `ephemeralDebug.container.ephemeral.running.started.hasTarget`. Menus test flags with
 * `viewItem =~ /^ephemeralDebug\.container\b.*\.running\b/`. The one place that grammar is written: the
 * explorer's descriptors use it, and a unit test checks every menu `when` clause against it.
 */
import type { V1ContainerStatus, V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';
import { isDebugCopy } from '../debug/debugCopies';
import { isNodeDebugPod } from '../debug/nodeDebugPods';

export type ContainerKind = 'init' | 'regular' | 'ephemeral';

/** `active`: the context the extension uses (chosen with Use Context, else the kubeconfig's current-context). */
export function clusterContextValue(flags: { active: boolean; error: boolean }): string {
  return ['ephemeralDebug.cluster', flags.active ? 'active' : '', flags.error ? 'error' : ''].filter(Boolean).join('.');
}

export const NAMESPACE_CONTEXT_VALUE = 'ephemeralDebug.namespace';

/** `ephemeralDebug.workload.deployment.ready`: `ready` when at least one of its pods is ready (the debug actions pick one). */
export function workloadContextValue(kind: string, hasReadyPod: boolean): string {
  return ['ephemeralDebug.workload', kind.toLowerCase(), hasReadyPod ? 'ready' : ''].filter(Boolean).join('.');
}

export function messageContextValue(severity: 'info' | 'error'): string {
  return `ephemeralDebug.message.${severity}`;
}

/** A pod can get an ephemeral container unless it finished or is being deleted. */
export function isPodDebuggable(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && pod.metadata?.deletionTimestamp === undefined;
}


/**
 * `troubled`: crashing or failing readiness (the explorer's "needs debug"), which adds the inline Debug action;
 * `copy`: a debug copy made by this extension (Clean Up applies, Debug a Copy does not); `nodedebug`: a node
 * debug pod made by Debug Node… (Clean Up and Copy kubectl Command apply).
 */
export function podContextValue(pod: V1Pod, troubled: boolean): string {
  const debuggable = isPodDebuggable(pod);
  const copy = isDebugCopy(pod);
  return ['ephemeralDebug.pod', debuggable ? 'debuggable' : '', troubled ? 'troubled' : '', copy ? 'copy' : '', isNodeDebugPod(pod) ? 'nodedebug' : ''].filter(Boolean).join('.');
}

function statusOf(pod: V1Pod, kind: ContainerKind, name: string): V1ContainerStatus | undefined {
  const list = kind === 'init' ? pod.status?.initContainerStatuses : kind === 'ephemeral' ? pod.status?.ephemeralContainerStatuses : pod.status?.containerStatuses;
  return list?.find((s) => s.name === name);
}

/**
 * Flags: `running`; `started` (has a log: running, terminated, or restarted); `targetable` (a regular or
 * sidecar container of a debuggable pod: Attach targets it); `hasTarget` (an ephemeral container sharing a
 * target's process namespace: Shell in Target Root).
 */
export function containerContextValue(pod: V1Pod, kind: ContainerKind, name: string): string {
  const status = statusOf(pod, kind, name);
  const running = status?.state?.running !== undefined;
  const started = running || status?.state?.terminated !== undefined || (status?.restartCount ?? 0) > 0 || status?.lastState?.terminated !== undefined;
  const sidecar = kind === 'init' && (pod.spec?.initContainers ?? []).some((c) => c.name === name && c.restartPolicy === 'Always');
  const targetable = (kind === 'regular' || sidecar) && isPodDebuggable(pod);
  const ephemeral: V1EphemeralContainer | undefined = kind === 'ephemeral' ? pod.spec?.ephemeralContainers?.find((c) => c.name === name) : undefined;
  const hasTarget = ephemeral?.targetContainerName !== undefined && ephemeral.targetContainerName !== '';
  return ['ephemeralDebug.container', kind, running ? 'running' : '', started ? 'started' : '', targetable ? 'targetable' : '', hasTarget ? 'hasTarget' : ''].filter(Boolean).join('.');
}
