/**
 * Why a container keeps crashing, in one place: its state, exit code, restarts, the last termination the
 * kubelet recorded, and the last log lines of the instance that died (kubectl logs --previous), so a user can
 * decide what to replace its command with in a copy.
 */
import type { V1ContainerStateTerminated, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { ClusterApi } from '../cluster/clusterApi';

export const CRASH_LOG_TAIL_LINES = 20;

/** Termination reasons that are a failure (Completed and a zero exit code are not). */
const FAILURE_REASONS = new Set(['Error', 'OOMKilled', 'ContainerCannotRun', 'StartError', 'DeadlineExceeded']);

export interface LastTermination {
  readonly reason?: string;
  readonly message?: string;
  readonly exitCode?: number;
  readonly signal?: number;
  readonly finishedAt?: Date;
}

export interface CrashingContainer {
  readonly container: string;
  readonly init: boolean;
  /** CrashLoopBackOff, Error, OOMKilled, …: what the container is in now (or what last ended it, when running again). */
  readonly reason: string;
  readonly state: 'waiting' | 'terminated' | 'running';
  /** Of the current termination when terminated, else of the last one. */
  readonly exitCode?: number;
  readonly restartCount: number;
  readonly lastTermination?: LastTermination;
  /** The kubelet's back-off message, e.g. `back-off 40s restarting failed container=…`. */
  readonly message?: string;
}

export interface CrashedContainerInfo extends CrashingContainer {
  /** The last lines of its log, oldest first (empty lines dropped). */
  readonly logLines: readonly string[];
  /** `previous`: the instance that died; `current`: the only one there is; `none`: no log could be read. */
  readonly logSource: 'previous' | 'current' | 'none';
  /** Why no log could be read, one line. */
  readonly logError?: string;
}

export interface CrashInfo {
  readonly namespace: string;
  readonly podName: string;
  readonly containers: readonly CrashedContainerInfo[];
}

/** Containers (init and regular) in CrashLoopBackOff, terminated with a failure, or running again after an OOM kill. */
export function crashingContainers(pod: V1Pod): CrashingContainer[] {
  const statuses: [V1ContainerStatus, boolean][] = [
    ...(pod.status?.initContainerStatuses ?? []).map((s): [V1ContainerStatus, boolean] => [s, true]),
    ...(pod.status?.containerStatuses ?? []).map((s): [V1ContainerStatus, boolean] => [s, false]),
  ];
  const crashing: CrashingContainer[] = [];
  for (const [status, init] of statuses) {
    const entry = crashOf(status, init);
    if (entry !== undefined) {
      crashing.push(entry);
    }
  }
  return crashing;
}

function crashOf(status: V1ContainerStatus, init: boolean): CrashingContainer | undefined {
  const last = status.lastState?.terminated;
  const lastTermination = last !== undefined ? toTermination(last) : undefined;
  const base = { container: status.name, init, restartCount: status.restartCount ?? 0, lastTermination };
  const { waiting, terminated, running } = status.state ?? {};
  if (waiting?.reason === 'CrashLoopBackOff') {
    return { ...base, reason: 'CrashLoopBackOff', state: 'waiting', exitCode: last?.exitCode, message: waiting.message };
  }
  if (terminated !== undefined && isFailure(terminated)) {
    return { ...base, reason: terminated.reason ?? 'Error', state: 'terminated', exitCode: terminated.exitCode, message: terminated.message, lastTermination: lastTermination ?? toTermination(terminated) };
  }
  if (running !== undefined && last?.reason === 'OOMKilled') {
    return { ...base, reason: 'OOMKilled', state: 'running', exitCode: last.exitCode };
  }
  return undefined;
}

function isFailure(terminated: V1ContainerStateTerminated): boolean {
  return terminated.exitCode !== 0 || FAILURE_REASONS.has(terminated.reason ?? '');
}

function toTermination(terminated: V1ContainerStateTerminated): LastTermination {
  return {
    reason: terminated.reason,
    message: terminated.message?.trim() || undefined,
    exitCode: terminated.exitCode,
    signal: terminated.signal,
    finishedAt: terminated.finishedAt !== undefined ? new Date(terminated.finishedAt) : undefined,
  };
}

/** What crashes in `pod`, with each container's last log lines; undefined when nothing does. */
export async function describeCrash(api: ClusterApi, pod: V1Pod, tailLines = CRASH_LOG_TAIL_LINES): Promise<CrashInfo | undefined> {
  const crashing = crashingContainers(pod);
  if (crashing.length === 0) {
    return undefined;
  }
  const namespace = pod.metadata?.namespace ?? api.defaultNamespace;
  const podName = pod.metadata?.name ?? '';
  const containers = await Promise.all(crashing.map((entry) => withLog(api, namespace, podName, entry, tailLines)));
  return { namespace, podName, containers };
}

async function withLog(api: ClusterApi, namespace: string, podName: string, entry: CrashingContainer, tailLines: number): Promise<CrashedContainerInfo> {
  // The instance that died is the previous one while the kubelet backs off or after a restart; a container
  // that terminated and was not restarted (restartPolicy Never) has only the current one.
  const order: ('previous' | 'current')[] = entry.state === 'terminated' && entry.restartCount === 0 ? ['current'] : ['previous', 'current'];
  let logError: string | undefined;
  for (const source of order) {
    try {
      const text = await api.readLog(namespace, podName, entry.container, { tailLines, previous: source === 'previous' });
      return { ...entry, logLines: text.split('\n').filter((line) => line.trim() !== ''), logSource: source };
    } catch (error) {
      logError = error instanceof Error ? error.message.split('\n')[0] : String(error);
    }
  }
  return { ...entry, logLines: [], logSource: 'none', logError };
}

/** One line for a notification, e.g. `app: CrashLoopBackOff, exit code 1 (Error), 4 restarts: <last log line>`. */
export function summarizeCrash(entry: CrashedContainerInfo | CrashingContainer): string {
  const parts = [`${entry.init ? 'init container ' : ''}${entry.container}: ${entry.reason}`];
  const termination = entry.lastTermination;
  if (entry.exitCode !== undefined) {
    const why = termination?.reason && termination.reason !== entry.reason ? ` (${termination.reason})` : '';
    parts.push(`exit code ${entry.exitCode}${why}`);
  }
  if (entry.restartCount > 0) {
    parts.push(`${entry.restartCount} restart${entry.restartCount === 1 ? '' : 's'}`);
  }
  const said = termination?.message ?? ('logLines' in entry ? entry.logLines[entry.logLines.length - 1] : undefined);
  return parts.join(', ') + (said ? `: ${said}` : '');
}
