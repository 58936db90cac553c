/**
 * What happens to a copy after it was created in this window: closing the last terminal this window opened on
 * it offers to delete it (and ends its journaled session), and a copy whose debug container carries a session
 * deadline is warned about and deleted when the deadline passes. A reloaded window forgets both; Clean Up Debug
 * Pods finds such copies again (they are preselected once past their deadline).
 */
import * as vscode from 'vscode';
import { ClusterError, type ClusterApi } from '../cluster/clusterApi';
import type { CopyResult } from '../debug/copyFlow';
import { COPY_DELETE_GRACE_SECONDS, deleteDebugCopies, isDebugCopy } from '../debug/debugCopies';
import { kubectlDeletePodsCommand } from '../debug/kubectlEquivalent';
import type { SessionRecord } from '../session';
import type { FeatureDependencies } from './featureDependencies';
import { copyKey } from './pure/cleanupPlan';
import { CopyTerminalCounter } from './pure/copyPlan';

/** setTimeout's limit; longer waits are re-armed. */
const MAX_TIMER_MS = 2_147_000_000;

interface CopyEntry {
  readonly api: ClusterApi;
  readonly namespace: string;
  readonly name: string;
  readonly record?: SessionRecord;
}

export class CopyLifecycle implements vscode.Disposable {
  private readonly counter = new CopyTerminalCounter<vscode.Terminal>();
  private readonly entries = new Map<string, CopyEntry>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly subscription: vscode.Disposable;

  constructor(private readonly deps: FeatureDependencies) {
    this.subscription = vscode.window.onDidCloseTerminal((terminal) => {
      const key = this.counter.closed(terminal);
      if (key !== undefined) void this.lastTerminalClosed(key);
    });
  }

  private key(api: ClusterApi, namespace: string, name: string): string {
    return `${api.contextName}/${copyKey(namespace, name)}`;
  }

  terminalOpened(api: ClusterApi, copy: Pick<CopyResult, 'namespace' | 'copyName'>, terminal: vscode.Terminal, record: SessionRecord | undefined): void {
    const key = this.key(api, copy.namespace, copy.copyName);
    if (!this.entries.has(key)) this.entries.set(key, { api, namespace: copy.namespace, name: copy.copyName, record });
    this.counter.opened(key, terminal);
  }

  /** How many terminals this window opened on the copy are still open. */
  openTerminals(api: ClusterApi, namespace: string, name: string): number {
    return this.counter.count(this.key(api, namespace, name));
  }

  private async lastTerminalClosed(key: string): Promise<void> {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    const { api, namespace, name, record } = entry;
    await this.deps.sessions.note(record, (r) => r.end({ status: 'completed', message: 'the last terminal on the copy closed' }));
    // Nothing to offer when the copy is already gone (Clean Up Debug Pods, the time limit, kubectl).
    try {
      const pod = await api.readPod(namespace, name);
      if (!isDebugCopy(pod) || pod.metadata?.deletionTimestamp !== undefined) return;
    } catch (error) {
      if (!(error instanceof ClusterError && error.code === 404)) this.deps.logger.warn(`copy ${namespace}/${name}: could not check it after its last terminal closed: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    const answer = await vscode.window.showInformationMessage(`The last terminal on debug copy ${namespace}/${name} closed. Delete the copy?`, 'Delete Copy', 'Keep It');
    if (answer === 'Delete Copy') await this.delete(api, namespace, name, 'deleted after its last terminal closed');
  }

  private async delete(api: ClusterApi, namespace: string, name: string, why: string): Promise<void> {
    const [result] = await deleteDebugCopies(api, [{ namespace, name }]);
    if (result.outcome === 'deleted') {
      this.deps.logger.info(`copy ${namespace}/${name} ${why}; the same with kubectl: ${kubectlDeletePodsCommand({ context: api.contextName, namespace, pods: [name], gracePeriodSeconds: COPY_DELETE_GRACE_SECONDS })}`);
      void vscode.window.showInformationMessage(`Debug copy ${namespace}/${name} ${why}.`);
    } else if (result.outcome !== 'gone') {
      void this.deps.errors.show(new Error(result.message ?? `Deleting copy ${namespace}/${name} failed`), `Delete copy ${namespace}/${name}`);
    }
  }

  /** Warns `timeLimitWarningMinutes` before the copy's session deadline and deletes the copy at it. */
  enforceDeadline(api: ClusterApi, copy: Pick<CopyResult, 'namespace' | 'copyName' | 'deadline'>): void {
    const deadline = copy.deadline;
    if (deadline === undefined) return;
    const where = `${copy.namespace}/${copy.copyName}`;
    const warningMs = this.deps.settings.current.timeLimitWarningMinutes * 60_000;
    this.deps.logger.info(`time limit: copy ${where} will be deleted at ${deadline.toISOString()}`);
    if (warningMs > 0 && deadline.getTime() - warningMs > Date.now()) {
      this.at(deadline.getTime() - warningMs, () => {
        const minutes = Math.max(1, Math.round((deadline.getTime() - Date.now()) / 60_000));
        void vscode.window.showWarningMessage(`Debug copy ${where} reaches the session time limit in ${minutes} min and will then be deleted (ephemeralDebug.governance.sessionTimeLimitMinutes).`);
      });
    }
    this.at(deadline.getTime(), () => void this.delete(api, copy.namespace, copy.copyName, 'was deleted: its session time limit was reached'));
  }

  private at(whenMs: number, run: () => void): void {
    const delay = Math.max(0, whenMs - Date.now());
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (whenMs - Date.now() > 0) this.at(whenMs, run);
      else run();
    }, Math.min(delay, MAX_TIMER_MS));
    this.timers.add(timer);
  }

  dispose(): void {
    this.subscription.dispose();
    this.timers.forEach((t) => clearTimeout(t));
    this.timers.clear();
  }
}
