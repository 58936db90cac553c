/**
 * The session time limit (governance): a debug container whose spec carries DEBUG_SESSION_DEADLINE (written by
 * the spec builder from policy.sessionTimeLimitMinutes) is warned about and then stopped when the deadline
 * passes. The deadline lives in the pod spec, not in the editor, so a reloaded window (or "Clean Up Debug Pods")
 * finds and enforces it again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Pod } from '@kubernetes/client-node';
import type { ClusterApi } from '../cluster/clusterApi';
import { DEBUG_SESSION_DEADLINE_ENV } from './debugContainerSpec';
import { ephemeralContainerSpec, isEphemeralContainerRunning } from './debugContainers';
import { stopDebugContainer } from './stopDebugContainer';

export interface LimitedDebugContainer {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly deadline: Date;
}

/** The deadline written into an ephemeral container's env, if it has a valid one. */
export function debugContainerDeadline(pod: V1Pod, containerName: string): Date | undefined {
  const value = ephemeralContainerSpec(pod, containerName)?.env?.find((e) => e.name === DEBUG_SESSION_DEADLINE_ENV)?.value;
  if (value === undefined) return undefined;
  const deadline = new Date(value);
  return Number.isNaN(deadline.getTime()) ? undefined : deadline;
}

/** Running debug containers that carry a deadline, in these pods. */
export function limitedDebugContainers(pods: readonly V1Pod[]): LimitedDebugContainer[] {
  const found: LimitedDebugContainer[] = [];
  for (const pod of pods) {
    for (const container of pod.spec?.ephemeralContainers ?? []) {
      const deadline = debugContainerDeadline(pod, container.name);
      if (deadline !== undefined && isEphemeralContainerRunning(pod, container.name)) {
        found.push({ namespace: pod.metadata?.namespace ?? '', pod: pod.metadata?.name ?? '', container: container.name, deadline });
      }
    }
  }
  return found;
}

/** Those whose deadline has passed. */
export function expiredDebugContainers(pods: readonly V1Pod[], now: Date): LimitedDebugContainer[] {
  return limitedDebugContainers(pods).filter((c) => c.deadline.getTime() <= now.getTime());
}

/** The longest delay a Node timer takes as given (a 32-bit signed int of milliseconds). */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export type TimeLimitOutcome = 'stopped' | 'already-ended' | 'cancelled';

export interface TimeLimitOptions {
  /** How long before the deadline to warn (ms); 0: no warning. */
  readonly warningMs: number;
  readonly onWarning?: (container: LimitedDebugContainer, msLeft: number) => void;
  readonly onProgress?: (message: string) => void;
  /** Aborting cancels the enforcement (e.g. the window closes); the deadline stays in the pod spec. */
  readonly signal?: AbortSignal;
  readonly now?: () => number;
}

/**
 * Waits for the deadline (warning first) and stops the container. Resolves 'already-ended' when the container
 * ended by itself meanwhile, 'cancelled' when aborted; rejects when stopping fails.
 */
export async function enforceTimeLimit(api: ClusterApi, container: LimitedDebugContainer, options: TimeLimitOptions): Promise<TimeLimitOutcome> {
  const now = options.now ?? Date.now;
  const wait = async (untilMs: number): Promise<boolean> => {
    // Node fires a timer longer than 2^31-1 ms (about 24.8 days) at once, which would stop the container
    // straight away: wait in steps no longer than that.
    for (let delay = untilMs - now(); delay > 0; delay = untilMs - now()) {
      try {
        await sleep(Math.min(delay, MAX_TIMER_DELAY_MS), undefined, { signal: options.signal });
      } catch {
        return false;
      }
    }
    return true;
  };
  const deadlineMs = container.deadline.getTime();
  if (options.warningMs > 0 && deadlineMs - options.warningMs > now()) {
    if (!(await wait(deadlineMs - options.warningMs))) return 'cancelled';
    options.onWarning?.(container, deadlineMs - now());
  }
  if (!(await wait(deadlineMs))) return 'cancelled';
  const pod = await api.readPod(container.namespace, container.pod);
  if (!isEphemeralContainerRunning(pod, container.container)) return 'already-ended';
  await stopDebugContainer(api, container.namespace, container.pod, container.container, { signal: options.signal, onProgress: options.onProgress });
  return 'stopped';
}
