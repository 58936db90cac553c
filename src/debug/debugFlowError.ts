/**
 * The one error type the attach engine throws past its callers: a one-line, actionable message for the
 * notification, a code the UI can branch on (e.g. offer Reattach or another profile), and the server's Status
 * or the cluster's own report when there was one, for "Show Details".
 */
import type { V1Status } from '@kubernetes/client-node';
import type { ClusterReport } from './clusterReport';

export type DebugFlowErrorCode =
  | 'preflight'
  | 'spec'
  | 'cancelled'
  | 'feature-disabled'
  | 'forbidden'
  | 'pod-security'
  | 'invalid'
  | 'name-clash'
  | 'not-found'
  | 'conflict'
  | 'image-pull'
  | 'container-config'
  | 'container-terminated'
  | 'timeout'
  | 'connection-lost'
  | 'pod-deleted'
  | 'exec-failed'
  | 'unknown';

export class DebugFlowError extends Error {
  constructor(
    readonly code: DebugFlowErrorCode,
    message: string,
    /** The API server's Status, when the failure came from it. */
    readonly status?: V1Status,
    /** Extra lines for "Show Details" (e.g. the debug container's last log lines). */
    readonly details?: readonly string[],
    override readonly cause?: unknown,
    /** What the cluster reported besides a Status (the kubelet's container status, the pod's events). */
    readonly clusterReport?: ClusterReport,
  ) {
    super(message);
    this.name = 'DebugFlowError';
  }
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || (error instanceof DebugFlowError && error.code === 'cancelled'));
}

/** Throws a 'cancelled' DebugFlowError when the signal has fired; `what` says what was stopped. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) {
    throw new DebugFlowError('cancelled', `${what} cancelled`);
  }
}

/** A flow's progress and warning reporting: each warning is kept (for the result) and passed on as it happens. */
export function flowReporter(callbacks: { readonly onProgress?: (message: string) => void; readonly onWarning?: (message: string) => void }): {
  readonly progress: (message: string) => void;
  readonly warn: (message: string) => void;
  readonly warnings: string[];
} {
  const warnings: string[] = [];
  return {
    progress: (message) => callbacks.onProgress?.(message),
    warn: (message) => {
      warnings.push(message);
      callbacks.onWarning?.(message);
    },
    warnings,
  };
}
