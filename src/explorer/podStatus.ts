/**
 * A pod's one-word status as kubectl's STATUS column prints it (kubectl `printPod`), its READY count and
 * RESTARTS, and whether it deserves a "Debug" quick action (crashing, failing to start, or not ready).
 */
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';

export interface PodSummary {
  /** Running, Pending, ContainerCreating, CrashLoopBackOff, ImagePullBackOff, Completed, Error, Init:0/1, Terminating, … */
  status: string;
  ready: number;
  total: number;
  restarts: number;
  health: PodHealth;
}

/** ok: running and ready; crashing: a failure a user would debug; unready: running but failing readiness. */
export type PodHealth = 'ok' | 'pending' | 'crashing' | 'unready' | 'completed' | 'terminating';

const CRASHING = new Set(['CrashLoopBackOff', 'Error', 'ErrImagePull', 'ImagePullBackOff', 'InvalidImageName',
  'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError', 'OOMKilled', 'ContainerCannotRun',
  'StartError', 'Failed', 'Evicted']);

export function summarizePod(pod: V1Pod): PodSummary {
  const spec = pod.spec;
  const status = pod.status;
  const total = spec?.containers?.length ?? 0;
  let reason = status?.reason || status?.phase || 'Unknown';
  let ready = 0;
  let restarts = 0;

  let initializing = false;
  const initStatuses = status?.initContainerStatuses ?? [];
  const initCount = spec?.initContainers?.length ?? 0;
  for (const [index, init] of initStatuses.entries()) {
    restarts += init.restartCount ?? 0;
    if (isSidecar(pod, init) && init.started) continue; // restartable init containers run alongside
    const terminated = init.state?.terminated;
    if (terminated && terminated.exitCode === 0) continue;
    initializing = true;
    const waiting = init.state?.waiting;
    if (terminated) {
      reason = terminated.reason ? `Init:${terminated.reason}`
        : terminated.signal ? `Init:Signal:${terminated.signal}` : `Init:ExitCode:${terminated.exitCode}`;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${index}/${initCount}`;
    }
    break;
  }

  if (!initializing) {
    let hasRunning = false;
    const statuses = [...(status?.containerStatuses ?? [])].reverse();
    for (const container of statuses) {
      restarts += container.restartCount ?? 0;
      const state = container.state;
      if (state?.waiting?.reason) {
        reason = state.waiting.reason;
      } else if (state?.terminated?.reason) {
        reason = state.terminated.reason;
      } else if (state?.terminated) {
        reason = state.terminated.signal ? `Signal:${state.terminated.signal}` : `ExitCode:${state.terminated.exitCode}`;
      } else if (container.ready && state?.running) {
        hasRunning = true;
        ready += 1;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = isPodReady(pod) ? 'Running' : 'NotReady';
  }

  if (pod.metadata?.deletionTimestamp) reason = status?.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return { status: reason, ready, total, restarts, health: healthOf(pod, reason, ready, total) };
}

function healthOf(pod: V1Pod, reason: string, ready: number, total: number): PodHealth {
  if (reason === 'Terminating') return 'terminating';
  if (reason === 'Completed' || pod.status?.phase === 'Succeeded') return 'completed';
  const bare = reason.replace(/^Init:/, '');
  if (CRASHING.has(bare) || /^(Init:)?(Signal|ExitCode):/.test(reason) || pod.status?.phase === 'Failed') return 'crashing';
  if (pod.status?.phase === 'Running') return ready < total ? 'unready' : 'ok';
  return 'pending';
}

/** The pod's Ready condition is True (kubectl's READY, what a Service routes to). */
export function isPodReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function isSidecar(pod: V1Pod, status: V1ContainerStatus): boolean {
  return pod.spec?.initContainers?.find((c) => c.name === status.name)?.restartPolicy === 'Always';
}

/** Exit codes of a process ended by SIGTERM or SIGKILL (128 + signal). */
const SIGNAL_EXITS: Readonly<Record<number, string>> = { 137: 'SIGKILL', 143: 'SIGTERM' };

/** `running`, `waiting: ImagePullBackOff`, `terminated: Completed (0)`, `stopped (SIGKILL)`, or `unknown`. */
export function describeContainerState(status: V1ContainerStatus | undefined): { state: 'running' | 'waiting' | 'terminated' | 'unknown'; text: string } {
  const state = status?.state;
  if (state?.running) return { state: 'running', text: 'running' };
  if (state?.terminated) {
    const t = state.terminated;
    // Ended by a signal (Stop Debug Container, a time limit, a delete): say so rather than "Error (137)".
    const signal = t.reason === undefined || t.reason === 'Error' ? SIGNAL_EXITS[t.exitCode] : undefined;
    if (signal !== undefined) return { state: 'terminated', text: `stopped (${signal})` };
    return { state: 'terminated', text: `terminated: ${t.reason ?? 'exited'} (${t.exitCode})` };
  }
  if (state?.waiting) return { state: 'waiting', text: `waiting${state.waiting.reason ? `: ${state.waiting.reason}` : ''}` };
  return { state: 'unknown', text: 'not started' };
}
