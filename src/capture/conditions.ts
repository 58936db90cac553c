/**
 * "Capture When…": the conditions a capture rule waits for, judged from the pod as the API server reports it.
 * Pure: the monitor feeds each pod update (and, for readiness, the clock) to `evaluateCondition`.
 * - restart: a watched container's restartCount rose above what it was when the rule was armed;
 * - oomKilled: a watched container was killed for memory since the rule was armed;
 * - crashLoopBackOff: a watched container waits in CrashLoopBackOff;
 * - notReady: the pod (or the watched container) has not been Ready for N seconds in a row.
 */
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';

export type CaptureCondition =
  | { readonly kind: 'restart' }
  | { readonly kind: 'oomKilled' }
  | { readonly kind: 'crashLoopBackOff' }
  | { readonly kind: 'notReady'; readonly seconds: number };

export const CAPTURE_CONDITION_KINDS = ['restart', 'oomKilled', 'crashLoopBackOff', 'notReady'] as const;

/** What the pod looked like when the rule was armed: restarts after it count, earlier ones do not. */
export interface CaptureBaseline {
  readonly podUid: string;
  readonly restartCounts: Readonly<Record<string, number>>;
}

/** A workload rule's baselines: each pod it had when armed, by uid (pods created later start from zero). */
export type WorkloadBaseline = Readonly<Record<string, Readonly<Record<string, number>>>>;

export function workloadBaseline(pods: readonly V1Pod[]): WorkloadBaseline {
  return Object.fromEntries(pods.map((pod) => [pod.metadata?.uid ?? '', captureBaseline(pod).restartCounts]));
}

export type ConditionVerdict =
  | { readonly fired: true; readonly reason: string }
  | { readonly fired: false; readonly notReadySince?: number; readonly checkAgainAt?: number };

export function describeCondition(condition: CaptureCondition): string {
  switch (condition.kind) {
    case 'restart': return 'the container restarts';
    case 'oomKilled': return 'the container is OOMKilled';
    case 'crashLoopBackOff': return 'the container is in CrashLoopBackOff';
    case 'notReady': return `readiness fails for ${condition.seconds} s`;
  }
}

export function captureBaseline(pod: V1Pod): CaptureBaseline {
  const restartCounts: Record<string, number> = {};
  for (const status of pod.status?.containerStatuses ?? []) restartCounts[status.name] = status.restartCount ?? 0;
  return { podUid: pod.metadata?.uid ?? '', restartCounts };
}

/**
 * Whether `condition` holds for `pod` now. `container` limits it to one container (all app containers
 * otherwise). `notReadySince` is the verdict's own memory between calls (ms since the epoch, or undefined).
 */
export function evaluateCondition(
  condition: CaptureCondition,
  pod: V1Pod,
  baseline: CaptureBaseline,
  container: string | undefined,
  now: number,
  notReadySince: number | undefined,
): ConditionVerdict {
  const statuses = (pod.status?.containerStatuses ?? []).filter((s) => container === undefined || s.name === container);
  switch (condition.kind) {
    case 'restart': {
      const restarted = statuses.find((s) => (s.restartCount ?? 0) > (baseline.restartCounts[s.name] ?? 0));
      return restarted
        ? { fired: true, reason: `${restarted.name} restarted (restart count ${baseline.restartCounts[restarted.name] ?? 0} → ${restarted.restartCount}${lastExit(restarted)})` }
        : { fired: false };
    }
    case 'oomKilled': {
      const killed = statuses.find((s) => s.state?.terminated?.reason === 'OOMKilled'
        || (s.lastState?.terminated?.reason === 'OOMKilled' && (s.restartCount ?? 0) > (baseline.restartCounts[s.name] ?? 0)));
      return killed ? { fired: true, reason: `${killed.name} was OOMKilled` } : { fired: false };
    }
    case 'crashLoopBackOff': {
      const looping = statuses.find((s) => s.state?.waiting?.reason === 'CrashLoopBackOff');
      return looping ? { fired: true, reason: `${looping.name} is in CrashLoopBackOff${lastExit(looping)}` } : { fired: false };
    }
    case 'notReady': {
      const ready = container === undefined
        ? pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True'
        : statuses.some((s) => s.ready === true);
      if (ready) return { fired: false };
      const since = notReadySince ?? now;
      const due = since + condition.seconds * 1000;
      if (now >= due) return { fired: true, reason: `${container ?? 'the pod'} not Ready for ${Math.round((now - since) / 1000)} s` };
      return { fired: false, notReadySince: since, checkAgainAt: due };
    }
  }
}

function lastExit(status: V1ContainerStatus): string {
  const last = status.lastState?.terminated;
  if (!last) return '';
  return `; last exit ${last.exitCode}${last.reason ? ` (${last.reason})` : ''}`;
}
