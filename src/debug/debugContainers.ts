/** Reading debug (ephemeral) containers and their status out of a pod. */
import type { V1ContainerStatus, V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';

export function ephemeralContainerStatus(pod: V1Pod, name: string): V1ContainerStatus | undefined {
  return pod.status?.ephemeralContainerStatuses?.find((s) => s.name === name);
}

export function ephemeralContainerSpec(pod: V1Pod, name: string): V1EphemeralContainer | undefined {
  return pod.spec?.ephemeralContainers?.find((c) => c.name === name);
}

export function isEphemeralContainerRunning(pod: V1Pod, name: string): boolean {
  return ephemeralContainerStatus(pod, name)?.state?.running !== undefined;
}

export interface ExistingDebugContainer {
  readonly name: string;
  readonly image: string;
  readonly targetContainerName?: string;
  /** Whether it was started with stdin and a TTY, i.e. whether attaching to it gives a shell. */
  readonly interactive: boolean;
  readonly startedAt?: Date;
}

/** Running ephemeral containers with this image and target: candidates to reattach to instead of adding one. */
export function findRunningDebugContainers(pod: V1Pod, image: string, targetContainerName: string | undefined): ExistingDebugContainer[] {
  return (pod.spec?.ephemeralContainers ?? [])
    .filter((c) => c.image === image && c.targetContainerName === targetContainerName && isEphemeralContainerRunning(pod, c.name))
    .map((c) => ({
      name: c.name,
      image: c.image ?? image,
      targetContainerName: c.targetContainerName,
      interactive: c.stdin === true && c.tty === true,
      startedAt: ephemeralContainerStatus(pod, c.name)?.state?.running?.startedAt,
    }));
}

/** The regular container a debug container targets by default: the only one, else the first running one. */
export function defaultTargetContainer(pod: V1Pod): string | undefined {
  const containers = pod.spec?.containers ?? [];
  if (containers.length <= 1) {
    return containers[0]?.name;
  }
  const running = new Set((pod.status?.containerStatuses ?? []).filter((s) => s.state?.running !== undefined).map((s) => s.name));
  return (containers.find((c) => running.has(c.name)) ?? containers[0])?.name;
}

/** What a debug container reaches in its pod, for the attach terminal's banner and the tree's tooltip. */
export function debugContainerReach(pod: V1Pod, targetContainer: string | undefined): string {
  if (targetContainer !== undefined && targetContainer !== '') {
    return `sees the processes and files of ${targetContainer} (/proc/<pid>/root) and the pod's network`;
  }
  return pod.spec?.shareProcessNamespace === true
    ? "no target: sees the pod's network and its processes (the pod shares its process namespace)"
    : "no target: sees the pod's network, IPC and hostname, not its processes or files";
}
