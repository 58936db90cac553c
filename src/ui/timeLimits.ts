/**
 * Enforces the session time limit (governance) for the debug containers this window started: a warning
 * `timeLimitWarningMinutes` before the deadline, then Stop Debug Container. A window that closes stops
 * enforcing; the deadline stays in the container's env, and Clean Up Debug Pods stops expired ones later.
 */
import * as vscode from 'vscode';
import type { ClusterApi, Logger } from '../cluster/clusterApi';
import { debugContainerDeadline, enforceTimeLimit, type LimitedDebugContainer } from '../debug/sessionTimeLimit';
import type { V1Pod } from '@kubernetes/client-node';
import type { SettingsReader } from './settings';

export class TimeLimits implements vscode.Disposable {
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly settings: SettingsReader,
    private readonly logger: Logger,
  ) {}

  /** Starts enforcing the deadline of `container` in `pod` if its spec carries one; a no-op otherwise. */
  track(api: ClusterApi, pod: V1Pod, container: string, onEnded?: (outcome: string) => void): void {
    const deadline = debugContainerDeadline(pod, container);
    if (deadline === undefined) return;
    const limited: LimitedDebugContainer = { namespace: pod.metadata?.namespace ?? '', pod: pod.metadata?.name ?? '', container, deadline };
    const key = `${api.contextName}/${limited.namespace}/${limited.pod}/${container}`;
    if (this.running.has(key)) return;
    const abort = new AbortController();
    this.running.set(key, abort);
    const where = `${limited.namespace}/${limited.pod}/${container}`;
    this.logger.info(`time limit: ${where} will be stopped at ${deadline.toISOString()}`);
    enforceTimeLimit(api, limited, {
      warningMs: this.settings.current.timeLimitWarningMinutes * 60_000,
      signal: abort.signal,
      onWarning: (_c, msLeft) => {
        void vscode.window.showWarningMessage(
          `Debug container ${where} reaches the session time limit in ${Math.max(1, Math.round(msLeft / 60_000))} min and will then be stopped (ephemeralDebug.governance.sessionTimeLimitMinutes).`,
        );
      },
    }).then(
      (outcome) => {
        if (outcome === 'stopped') {
          this.logger.info(`time limit: stopped ${where}`);
          void vscode.window.showInformationMessage(`Debug container ${where} was stopped: its session time limit was reached.`);
        }
        onEnded?.(outcome);
      },
      (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        this.logger.warn(`time limit: could not stop ${where}: ${message}`);
        void vscode.window.showWarningMessage(`The session time limit of ${where} passed, but stopping it failed: ${message}. Stop it from the Clusters view.`);
        onEnded?.('failed');
      },
    ).finally(() => this.running.delete(key));
  }

  dispose(): void {
    this.running.forEach((abort) => abort.abort());
    this.running.clear();
  }
}
