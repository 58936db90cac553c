/**
 * Waits until the containers that make a pod copy usable run, and says why when they will not: image pull
 * failures and config errors at once, a replaced command that exits (CrashLoopBackOff, or terminated for good)
 * with its exit code and last log lines, a failed init container, the pod finishing or being deleted, a
 * timeout, cancellation. Watches from the created pod's resourceVersion, re-reading when the watch ends.
 */
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { ClusterError, type ClusterApi, type WatchHandle } from '../cluster/clusterApi';
import { containerStartReport, type ClusterReport } from './clusterReport';
import { describeCrash, summarizeCrash } from './crashInfo';
import { DebugFlowError } from './debugFlowError';
import { FATAL_WAITING_REASONS } from './waitForContainer';

export const DEFAULT_COPY_WAIT_TIMEOUT_MS = 180_000;
/** How long the containers must keep running before the copy counts as up: a command that exits at once is caught. */
export const DEFAULT_COPY_STABLE_MS = 2_000;

export interface CopyWaitOptions {
  /** Default 180 s: a copy may be scheduled and pull images, more than a debug container does. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (message: string) => void;
  /** Default 2 s; 0 resolves as soon as the containers run (kubectl's behaviour). */
  readonly stableForMs?: number;
  /** How messages name the pod and what they advise; default: a debug copy's. */
  readonly wording?: Partial<WaitWording>;
}

/** The words of the wait's messages, so a node debug pod's wait speaks of itself, not of a copy. */
export interface WaitWording {
  /** `copy`, `node debug pod`: written before the pod name. */
  readonly noun: string;
  /** How to get rid of a pod left behind. */
  readonly cleanup: string;
  readonly configHint: string;
  readonly imageHint: string;
  readonly exitHint: string;
}

const COPY_WORDING: WaitWording = {
  noun: 'copy',
  cleanup: 'Clean Up Debug Copies',
  configHint: "fix the copy's settings (command, image, securityContext) and copy again",
  imageHint: "pick an image the node can pull (the copy uses the pod's imagePullSecrets), or a digest from a registry it reaches",
  exitHint: 'its command exits: replace it with one that stays alive (e.g. sleep 3600) to inspect the copy',
};

const capitalized = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);


type Verdict = { kind: 'running' } | { kind: 'failed'; error: () => Promise<DebugFlowError> } | { kind: 'pending'; progress: string };

/** Resolves with the pod once every container in `containers` runs; rejects with a DebugFlowError otherwise. */
export async function waitForCopyRunning(api: ClusterApi, created: V1Pod, containers: readonly string[], options: CopyWaitOptions = {}): Promise<V1Pod> {
  const namespace = created.metadata?.namespace ?? api.defaultNamespace;
  const podName = created.metadata?.name ?? '';
  const timeoutMs = options.timeoutMs ?? DEFAULT_COPY_WAIT_TIMEOUT_MS;
  const words: WaitWording = { ...COPY_WORDING, ...options.wording };
  const named = `${words.noun} ${podName}`;
  let resourceVersion = created.metadata?.resourceVersion;
  let lastProgress = '';
  let lastState = 'not scheduled yet';
  let watch: WatchHandle | undefined;
  const stableForMs = options.stableForMs ?? DEFAULT_COPY_STABLE_MS;
  let stability: NodeJS.Timeout | undefined;

  return new Promise<V1Pod>((resolve, reject) => {
    let finished = false;
    const finish = (outcome: { pod: V1Pod } | { error: DebugFlowError }): void => {
      if (finished) {
        return;
      }
      finished = true;
      clearTimeout(timer);
      clearTimeout(stability);
      options.signal?.removeEventListener('abort', onAbort);
      watch?.stop();
      if ('pod' in outcome) {
        resolve(outcome.pod);
      } else {
        reject(outcome.error);
      }
    };
    const timer = setTimeout(
      () =>
        finish({
          error: new DebugFlowError('timeout', `${capitalized(named)} did not start within ${Math.round(timeoutMs / 1000)} s (last state: ${lastState}); it is still there: check it later, or delete it with ${words.cleanup}`),
        }),
      timeoutMs,
    );
    const onAbort = (): void =>
      finish({ error: new DebugFlowError('cancelled', `Stopped waiting for ${named}; it was created and may still start: delete it with ${words.cleanup} if unwanted`) });
    if (options.signal?.aborted) {
      onAbort();
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const observe = (pod: V1Pod): void => {
      if (finished) {
        return;
      }
      resourceVersion = pod.metadata?.resourceVersion ?? resourceVersion;
      const verdict = judge(pod);
      if (verdict.kind === 'running') {
        if (stableForMs <= 0) {
          finish({ pod });
        } else if (stability === undefined) {
          // Running now is not staying up: re-judge once the containers have had time to exit if they will.
          const restartsAtStart = restarts(pod);
          stability = setTimeout(() => {
            api.readPod(namespace, podName).then(
              (latest) => {
                stability = undefined;
                if (judge(latest).kind === 'running' && restarts(latest) === restartsAtStart) {
                  finish({ pod: latest });
                } else {
                  observe(latest);
                }
              },
              (error: unknown) => finish({ error: error instanceof ClusterError && error.code === 404 ? new DebugFlowError('pod-deleted', `${capitalized(named)} was deleted while waiting for it to start`) : connectionError(named, error) }),
            );
          }, stableForMs);
          const message = `${named} is running; checking that it stays up…`;
          if (message !== lastProgress) {
            lastProgress = message;
            options.onProgress?.(message);
          }
        }
      } else if (verdict.kind === 'failed') {
        finished = true; // no other outcome while the explanation (logs) is fetched
        clearTimeout(timer);
        clearTimeout(stability);
        options.signal?.removeEventListener('abort', onAbort);
        watch?.stop();
        verdict.error().then(reject, reject);
      } else {
        clearTimeout(stability); // stopped running: the window starts again when it runs again
        stability = undefined;
        if (verdict.progress === lastProgress) {
          return;
        }
        lastProgress = verdict.progress;
        options.onProgress?.(verdict.progress);
      }
    };

    const restarts = (pod: V1Pod): number =>
      [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].filter((s) => containers.includes(s.name)).reduce((sum, s) => sum + (s.restartCount ?? 0), 0);

    const judge = (pod: V1Pod): Verdict => {
      const phase = pod.status?.phase;
      const statuses = new Map<string, { status: V1ContainerStatus; init: boolean }>();
      for (const status of pod.status?.initContainerStatuses ?? []) statuses.set(status.name, { status, init: true });
      for (const status of pod.status?.containerStatuses ?? []) statuses.set(status.name, { status, init: false });

      // Anything that blocks for good: a failing init container holds back every regular container.
      for (const { status, init } of statuses.values()) {
        if (!init && !containers.includes(status.name)) {
          continue;
        }
        const waiting = status.state?.waiting;
        if (waiting?.reason !== undefined && FATAL_WAITING_REASONS.has(waiting.reason)) {
          const field = init ? 'status.initContainerStatuses' : 'status.containerStatuses';
          return { kind: 'failed', error: async () => waitingError(named, words, status, init, waiting.reason!, waiting.message, await containerStartReport(api, pod, status, field)) };
        }
        const terminated = status.state?.terminated;
        const stuckInit = init && terminated !== undefined && terminated.exitCode !== 0 && !containers.includes(status.name);
        if (waiting?.reason === 'CrashLoopBackOff' || stuckInit || (terminated !== undefined && containers.includes(status.name) && !restartsAfterExit(pod, init, terminated.exitCode))) {
          return { kind: 'failed', error: () => crashError(api, pod, words, status.name, init) };
        }
      }
      if (phase === 'Failed' || phase === 'Succeeded') {
        return { kind: 'failed', error: () => crashError(api, pod, words, containers[0], false, phase) };
      }
      const notRunning = containers.filter((name) => statuses.get(name)?.status.state?.running === undefined);
      if (notRunning.length === 0 && containers.length > 0) {
        return { kind: 'running' };
      }
      if (pod.spec?.nodeName === undefined || pod.spec.nodeName === '') {
        lastState = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False')?.message ?? 'Pending, not scheduled';
        return { kind: 'pending', progress: `waiting for ${named} to be scheduled (${lastState})…` };
      }
      const first = statuses.get(notRunning[0]);
      const reason = first?.status.state?.waiting?.reason ?? first?.status.state?.terminated?.reason ?? phase ?? 'Pending';
      lastState = `${notRunning[0]}: ${reason}`;
      const step = first?.status.imageID ? 'starting' : 'pulling the image of or starting';
      return { kind: 'pending', progress: `${step} container ${notRunning[0]} of ${named} (${reason})…` };
    };

    const watchLoop = async (): Promise<void> => {
      while (!finished) {
        try {
          watch = await api.watchPods(namespace, { fieldSelector: `metadata.name=${podName}`, resourceVersion }, (type, pod) => {
            if (type === 'DELETED') {
              finish({ error: new DebugFlowError('pod-deleted', `${capitalized(named)} was deleted while waiting for it to start`) });
            } else if (type === 'BOOKMARK') {
              resourceVersion = pod.metadata?.resourceVersion ?? resourceVersion;
            } else {
              observe(pod);
            }
          });
          if (finished) {
            watch.stop();
            return;
          }
          await watch.done;
        } catch (error) {
          if (finished) {
            return;
          }
          if (!(error instanceof ClusterError && error.code === 410)) {
            finish({ error: connectionError(named, error) });
            return;
          }
        }
        if (finished) {
          return;
        }
        // The watch ended (server timeout, 410, network): a read tells which, and relists.
        try {
          observe(await api.readPod(namespace, podName));
        } catch (error) {
          if (error instanceof ClusterError && error.code === 404) {
            finish({ error: new DebugFlowError('pod-deleted', `${capitalized(named)} was deleted while waiting for it to start`, error.status) });
          } else {
            finish({ error: connectionError(named, error) });
          }
          return;
        }
      }
    };

    observe(created);
    if (!finished) {
      void watchLoop();
    }
  });
}

/** Whether the kubelet restarts a regular (or restartable init) container that exited. */
function restartsAfterExit(pod: V1Pod, init: boolean, exitCode: number): boolean {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  return policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0) || (init && policy !== 'Never' && exitCode !== 0);
}

function waitingError(named: string, words: WaitWording, status: V1ContainerStatus, init: boolean, reason: string, message: string | undefined, report: ClusterReport): DebugFlowError {
  const which = `${init ? 'init container' : 'container'} ${status.name} of ${named}`;
  const kubelet = message ? `: ${message.split('\n')[0]}` : '';
  if (reason === 'CreateContainerConfigError' || reason === 'CreateContainerError' || reason === 'RunContainerError') {
    return new DebugFlowError('container-config', `The ${which} cannot start (${reason})${kubelet}; ${words.configHint}`, undefined, undefined, undefined, report);
  }
  const image = status.image ?? 'its image';
  const hint = reason === 'InvalidImageName' ? 'fix the image reference' : words.imageHint;
  return new DebugFlowError('image-pull', `Image ${image} of the ${which} could not be pulled (${reason})${kubelet}; ${hint}`, undefined, undefined, undefined, report);
}

async function crashError(api: ClusterApi, pod: V1Pod, words: WaitWording, container: string | undefined, init: boolean, phase?: string): Promise<DebugFlowError> {
  const podName = pod.metadata?.name ?? '';
  let info: Awaited<ReturnType<typeof describeCrash>>;
  try {
    info = await describeCrash(api, pod);
  } catch {
    info = undefined; // the crash summary is a courtesy; the state already says what happened
  }
  const entry = info?.containers.find((c) => c.container === container) ?? info?.containers[0];
  const which = entry !== undefined ? `${entry.init ? 'Init container' : 'Container'} ${entry.container}` : `${init ? 'Init container' : 'Container'} ${container ?? ''}`.trim();
  const what = entry !== undefined ? summarizeCrash(entry) : phase !== undefined ? `pod phase ${phase}` : 'it exited';
  const hint = entry?.reason === 'OOMKilled' ? `it ran out of memory: raise its memory limit in the ${words.noun}` : words.exitHint;
  return new DebugFlowError('container-terminated', `${which} of ${words.noun} ${podName} does not stay running (${what}); ${hint}`, undefined, entry?.logLines);
}

function connectionError(named: string, error: unknown): DebugFlowError {
  const text = error instanceof Error ? error.message : String(error);
  const status = error instanceof ClusterError ? error.status : undefined;
  return new DebugFlowError('connection-lost', `Lost the connection to the API server while waiting for ${named} (${text}); it may still start: look for it once the cluster is reachable`, status, undefined, error);
}
