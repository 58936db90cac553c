/**
 * Which debug container "Collect Diagnostics" runs in: the one it was invoked on, else a running one that sees
 * the target's processes (it targets the container, or the pod shares one PID namespace), else a new one to
 * add. Invoked on a debug container without a target, it uses that one: a report of the pod's network. vscode-free.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { defaultTargetContainer, ephemeralContainerSpec, isEphemeralContainerRunning } from '../../debug/debugContainers';

export type DiagnosticsContainerChoice =
  | { readonly use: string; readonly targetContainer?: string }
  | { readonly add: true; readonly targetContainer?: string }
  | { readonly error: string };

/** `container`: the container node or the `container` argument, an ephemeral (debug) or an app container. */
/** `reusable`: whether the policy allows using a running debug container (one that does not is not picked). */
export function chooseDiagnosticsContainer(pod: V1Pod, container?: string, reusable: (name: string) => boolean = () => true): DiagnosticsContainerChoice {
  const podName = pod.metadata?.name ?? '';
  const sharesPids = pod.spec?.shareProcessNamespace === true;
  const named = container !== undefined ? ephemeralContainerSpec(pod, container) : undefined;
  if (named !== undefined) {
    if (!isEphemeralContainerRunning(pod, named.name)) {
      return { error: `debug container ${named.name} in ${podName} is not running; run Collect Diagnostics on the pod to add a new one` };
    }
    // One without a target (and no shared PID namespace) gives the pod's network diagnostics (see collect.ts).
    return { use: named.name, ...(named.targetContainerName !== undefined ? { targetContainer: named.targetContainerName } : {}) };
  }
  const appContainers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].map((c) => c.name);
  if (container !== undefined && !appContainers.includes(container)) {
    return { error: `pod ${podName} has no container ${container}; choose one of ${appContainers.join(', ') || '(none)'}` };
  }
  const target = container ?? defaultTargetContainer(pod);
  const running = (pod.spec?.ephemeralContainers ?? []).filter((c) => isEphemeralContainerRunning(pod, c.name) && reusable(c.name));
  // Prefer one that targets exactly this container; in a pod sharing PIDs any running one sees it.
  const found = running.find((c) => c.targetContainerName !== undefined && c.targetContainerName === target) ?? (sharesPids ? running[0] : undefined);
  if (found !== undefined) return { use: found.name, ...(target !== undefined ? { targetContainer: target } : {}) };
  return { add: true, ...(target !== undefined ? { targetContainer: target } : {}) };
}
