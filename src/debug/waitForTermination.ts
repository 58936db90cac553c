/** Waits until an ephemeral container's status says Terminated (after Stop). */
import type { V1Pod } from '@kubernetes/client-node';
import { ClusterError, type ClusterApi } from '../cluster/clusterApi';
import { DebugFlowError } from './debugFlowError';
import { ephemeralContainerStatus } from './debugContainers';

export interface TerminationWaitOptions {
  /** Default 30 s. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export async function waitForEphemeralTermination(api: ClusterApi, namespace: string, podName: string, containerName: string, options: TerminationWaitOptions = {}): Promise<V1Pod> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const pod = await api.readPod(namespace, podName);
  if (ephemeralContainerStatus(pod, containerName)?.state?.terminated !== undefined) {
    return pod;
  }
  return new Promise<V1Pod>((resolve, reject) => {
    let done = false;
    let stopWatch: (() => void) | undefined;
    const finish = (outcome: { pod: V1Pod } | { error: DebugFlowError }): void => {
      if (done) {
        return;
      }
      done = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      stopWatch?.();
      if ('pod' in outcome) {
        resolve(outcome.pod);
      } else {
        reject(outcome.error);
      }
    };
    const timer = setTimeout(
      () => finish({ error: new DebugFlowError('timeout', `Debug container ${containerName} was not reported terminated within ${Math.round(timeoutMs / 1000)} s; its main process may be PID 1 of its own PID namespace, which ignores signals from inside`) }),
      timeoutMs,
    );
    const onAbort = (): void => finish({ error: new DebugFlowError('cancelled', `Stopped waiting for ${containerName} to terminate`) });
    if (options.signal?.aborted) {
      onAbort();
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    api
      .watchPods(namespace, { fieldSelector: `metadata.name=${podName}`, resourceVersion: pod.metadata?.resourceVersion }, (type, updated) => {
        if (type === 'DELETED') {
          finish({ pod: updated });
        } else if (ephemeralContainerStatus(updated, containerName)?.state?.terminated !== undefined) {
          finish({ pod: updated });
        }
      })
      .then(
        (handle) => {
          stopWatch = () => handle.stop();
          if (done) {
            handle.stop();
          }
          handle.done.then(
            () => recheck(),
            () => recheck(),
          );
        },
        (error: unknown) => finish({ error: asConnectionError(error, containerName) }),
      );
    // If the watch ends early (server timeout or restart), a read settles it or reports the failure.
    const recheck = (): void => {
      if (done) {
        return;
      }
      api.readPod(namespace, podName).then(
        (latest) => {
          if (ephemeralContainerStatus(latest, containerName)?.state?.terminated !== undefined) {
            finish({ pod: latest });
          } else {
            finish({ error: new DebugFlowError('connection-lost', `The watch on pod ${podName} ended before ${containerName} terminated; check its status again`) });
          }
        },
        (error: unknown) => finish({ error: asConnectionError(error, containerName) }),
      );
    };
  });
}

function asConnectionError(error: unknown, containerName: string): DebugFlowError {
  const status = error instanceof ClusterError ? error.status : undefined;
  return new DebugFlowError('connection-lost', `Lost the API server while waiting for ${containerName} to terminate: ${error instanceof Error ? error.message : String(error)}`, status, undefined, error);
}
