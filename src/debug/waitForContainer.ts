/**
 * Waits for an ephemeral container to run, doing better than kubectl (which waits forever and only warns on
 * ImagePullBackOff): kubelet failures end the wait at once with the kubelet's reason and message, there is a
 * timeout, it can be cancelled, and a vanished API server or pod ends it with a clear message.
 */
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { ClusterError, type ClusterApi, type WatchHandle } from '../cluster/clusterApi';
import { DebugFlowError } from './debugFlowError';
import { containerStartReport } from './clusterReport';
import { ephemeralContainerSpec, ephemeralContainerStatus } from './debugContainers';

export const DEFAULT_WAIT_TIMEOUT_MS = 120_000;

export interface WaitForContainerOptions {
  /** Default 120 s. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Called when the observed state changes, with what is really known (the kubelet reports no sub-steps). */
  readonly onProgress?: (message: string) => void;
  /** Log lines to fetch when the container terminated at once (default 20). */
  readonly logTailLines?: number;
}

/** Waiting reasons after which the kubelet will not start the container without a change from us. */
export const FATAL_WAITING_REASONS: ReadonlySet<string> = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

type Evaluation = { kind: 'running'; pod: V1Pod } | { kind: 'failed'; error: DebugFlowError | Promise<DebugFlowError> } | { kind: 'pending'; progress: string };

/** Resolves with the pod once the container runs; rejects with a DebugFlowError otherwise. */
export function waitForEphemeralContainer(api: ClusterApi, pod: V1Pod, containerName: string, options: WaitForContainerOptions = {}): Promise<V1Pod> {
  return new ContainerWaiter(api, pod, containerName, options).run();
}

class ContainerWaiter {
  private readonly namespace: string;
  private readonly podName: string;
  private resourceVersion: string | undefined;
  private watch: WatchHandle | undefined;
  private lastProgress = '';
  private lastState = 'not reported yet';
  private finished = false;
  private settle!: { resolve: (pod: V1Pod) => void; reject: (error: DebugFlowError) => void };

  constructor(
    private readonly api: ClusterApi,
    private readonly initialPod: V1Pod,
    private readonly containerName: string,
    private readonly options: WaitForContainerOptions,
  ) {
    this.namespace = initialPod.metadata?.namespace ?? api.defaultNamespace;
    this.podName = initialPod.metadata?.name ?? '';
    this.resourceVersion = initialPod.metadata?.resourceVersion;
  }

  run(): Promise<V1Pod> {
    const { signal } = this.options;
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
    return new Promise<V1Pod>((resolve, reject) => {
      this.settle = { resolve, reject };
      if (signal?.aborted) {
        this.fail(this.cancelled());
        return;
      }
      const timer = setTimeout(() => this.fail(this.timedOut(timeoutMs)), timeoutMs);
      const onAbort = (): void => this.fail(this.cancelled());
      signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.watch?.stop();
      };
      this.settle = {
        resolve: (pod) => {
          cleanup();
          resolve(pod);
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
      };
      if (this.observe(this.initialPod)) {
        return;
      }
      void this.watchLoop();
    });
  }

  /** Applies one observation; true when the wait is over. */
  private observe(pod: V1Pod): boolean {
    if (this.finished) {
      return true;
    }
    this.resourceVersion = pod.metadata?.resourceVersion ?? this.resourceVersion;
    const evaluation = this.evaluate(pod);
    if (evaluation.kind === 'running') {
      this.finished = true;
      this.settle.resolve(pod);
      return true;
    }
    if (evaluation.kind === 'failed') {
      this.finished = true;
      Promise.resolve(evaluation.error).then((error) => this.settle.reject(error));
      return true;
    }
    if (evaluation.progress !== this.lastProgress) {
      this.lastProgress = evaluation.progress;
      this.options.onProgress?.(evaluation.progress);
    }
    return false;
  }

  private evaluate(pod: V1Pod): Evaluation {
    const status = ephemeralContainerStatus(pod, this.containerName);
    const image = ephemeralContainerSpec(pod, this.containerName)?.image ?? 'the debug image';
    const state = status?.state;
    if (state?.running !== undefined) {
      return { kind: 'running', pod };
    }
    if (state?.terminated !== undefined) {
      return { kind: 'failed', error: this.terminatedError(status as V1ContainerStatus) };
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      return { kind: 'failed', error: new DebugFlowError('container-terminated', `Pod ${this.podName} finished (${phase}) before debug container ${this.containerName} started`) };
    }
    const waiting = state?.waiting;
    if (waiting?.reason !== undefined && FATAL_WAITING_REASONS.has(waiting.reason)) {
      return { kind: 'failed', error: this.waitingError(pod, status as V1ContainerStatus, waiting.reason, waiting.message, image) };
    }
    if (waiting !== undefined) {
      this.lastState = waiting.reason ?? 'Waiting';
      // The kubelet reports no sub-steps; an imageID means the pull is done.
      const step = status?.imageID ? 'creating the container' : `pulling image ${image} or creating the container`;
      return { kind: 'pending', progress: `${step} (${waiting.reason ?? 'Waiting'})…` };
    }
    return { kind: 'pending', progress: 'waiting for the kubelet to pick up the debug container…' };
  }

  /** The kubelet's reason in one line; its container status and the pod's events about it for Show Details. */
  private async waitingError(pod: V1Pod, status: V1ContainerStatus, reason: string, message: string | undefined, image: string): Promise<DebugFlowError> {
    const report = await containerStartReport(this.api, pod, status, 'status.ephemeralContainerStatuses');
    const kubelet = message ? `: ${message}` : '';
    if (reason === 'CreateContainerConfigError' || reason === 'CreateContainerError' || reason === 'RunContainerError') {
      return new DebugFlowError('container-config', `Debug container ${this.containerName} cannot start (${reason})${kubelet}`, undefined, undefined, undefined, report);
    }
    const hint =
      reason === 'InvalidImageName'
        ? 'fix the image reference'
        : 'debug images are pulled with the pod\'s imagePullSecrets only: pick an image the node can pull, or a digest from a registry it reaches';
    return new DebugFlowError('image-pull', `Image ${image} could not be pulled (${reason})${kubelet}; ${hint}`, undefined, undefined, undefined, report);
  }

  private async terminatedError(status: V1ContainerStatus): Promise<DebugFlowError> {
    const terminated = status.state?.terminated;
    const exitCode = terminated?.exitCode ?? -1;
    let logLines: string[] = [];
    try {
      const log = await this.api.readLog(this.namespace, this.podName, this.containerName, { tailLines: this.options.logTailLines ?? 20 });
      logLines = log.split('\n').filter((line) => line.trim() !== '');
    } catch {
      // The log is a courtesy; the exit code already tells what happened.
    }
    const said = terminated?.message?.trim() || logLines[logLines.length - 1];
    return new DebugFlowError(
      'container-terminated',
      `Debug container ${this.containerName} exited at once with code ${exitCode}${terminated?.reason ? ` (${terminated.reason})` : ''}${said ? `: ${said}` : ''}`,
      undefined,
      logLines,
    );
  }

  /** Watches from the last seen resourceVersion; re-reads and resumes when the server ends the watch. */
  private async watchLoop(): Promise<void> {
    while (!this.finished) {
      try {
        this.watch = await this.api.watchPods(
          this.namespace,
          { fieldSelector: `metadata.name=${this.podName}`, resourceVersion: this.resourceVersion },
          (type, pod) => {
            if (type === 'DELETED') {
              this.fail(new DebugFlowError('pod-deleted', `Pod ${this.podName} was deleted while waiting for debug container ${this.containerName}`));
            } else if (type !== 'BOOKMARK') {
              this.observe(pod);
            } else {
              this.resourceVersion = pod.metadata?.resourceVersion ?? this.resourceVersion;
            }
          },
        );
        if (this.finished) {
          this.watch.stop();
          return;
        }
        await this.watch.done;
      } catch (error) {
        if (this.finished) {
          return;
        }
        if (!(error instanceof ClusterError && error.code === 410)) {
          this.fail(this.connectionError(error));
          return;
        }
        // 410 Gone: the resourceVersion is too old; the re-read below relists.
      }
      if (this.finished) {
        return;
      }
      // The watch ended (server timeout, network, or our API server going away): re-read to tell which.
      try {
        const pod = await this.api.readPod(this.namespace, this.podName);
        this.observe(pod);
      } catch (error) {
        if (error instanceof ClusterError && error.code === 404) {
          this.fail(new DebugFlowError('pod-deleted', `Pod ${this.podName} was deleted while waiting for debug container ${this.containerName}`, error.status));
        } else {
          this.fail(this.connectionError(error));
        }
        return;
      }
    }
  }

  private connectionError(error: unknown): DebugFlowError {
    const text = error instanceof Error ? error.message : String(error);
    const status = error instanceof ClusterError ? error.status : undefined;
    return new DebugFlowError(
      'connection-lost',
      `Lost the connection to the API server while waiting for debug container ${this.containerName} (${text}); it may still start: reattach once the cluster is reachable`,
      status,
      undefined,
      error,
    );
  }

  private timedOut(timeoutMs: number): DebugFlowError {
    return new DebugFlowError(
      'timeout',
      `Debug container ${this.containerName} did not start within ${Math.round(timeoutMs / 1000)} s (last state: ${this.lastState}); it may still start: reattach later or raise the timeout`,
    );
  }

  private cancelled(): DebugFlowError {
    return new DebugFlowError('cancelled', `Stopped waiting for debug container ${this.containerName}; it was already added and may still start (ephemeral containers cannot be removed)`);
  }

  private fail(error: DebugFlowError): void {
    if (this.finished) {
      return;
    }
    this.finished = true;
    this.settle.reject(error);
  }
}
