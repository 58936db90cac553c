/**
 * Armed capture rules, each watching its pod (list + watch by name, resumed and relisted as the explorer's
 * watches are) until its condition holds: then the rule is removed and `onFire` is called, once per arming.
 * A pod deleted or replaced (another uid) ends the rule without firing. Nothing here outlives the process:
 * rules run while the editor window runs (the UI keeps them across reloads and re-arms them).
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { ClusterApi, ClusterError } from '../cluster/clusterApi';
import { DEFAULT_BACKOFF, ListWatch, type BackoffOptions } from '../explorer/listWatch';
import type { WorkloadKind } from '../cluster/workloadKinds';
import { evaluateCondition, type CaptureBaseline, type CaptureCondition, type WorkloadBaseline } from './conditions';

export type CaptureAction =
  | { readonly kind: 'diagnostics' }
  | { readonly kind: 'playbook'; readonly playbook: string };

/** One arming, as stored (JSON) and shown. */
export interface CaptureRule {
  readonly id: string;
  readonly context: string;
  readonly namespace: string;
  /** The pod; for a workload rule, the workload's name. */
  readonly pod: string;
  /**
   * A rule on a workload follows its pods (by the workload's label selector when armed): any of them meeting the
   * condition fires it, on that pod; pods come and go with rollouts without ending the rule.
   */
  readonly workload?: { readonly kind: WorkloadKind; readonly labelSelector: string; readonly baselines: WorkloadBaseline };
  /** One container; all of the pod's app containers when absent. */
  readonly container?: string;
  readonly condition: CaptureCondition;
  readonly action: CaptureAction;
  readonly armedAt: string;
  readonly baseline: CaptureBaseline;
  /** The journal session that records this arming. */
  readonly sessionId?: string;
}

export interface CaptureMonitorOptions {
  readonly api: (context: string) => Promise<Pick<ClusterApi, 'listPods' | 'watchPods'>>;
  /** The condition held on `pod`: the rule is already disarmed. */
  readonly onFire: (rule: CaptureRule, reason: string, pod: string) => void;
  /** The rule ended without firing (its pod is gone or was replaced). */
  readonly onEnd: (rule: CaptureRule, why: string) => void;
  readonly onError?: (rule: CaptureRule, error: ClusterError, retryInMs: number) => void;
  readonly now?: () => number;
  readonly backoff?: BackoffOptions;
}

interface WatchedPod {
  pod: V1Pod;
  notReadySince?: number;
  timer?: NodeJS.Timeout;
}

interface Armed {
  readonly rule: CaptureRule;
  readonly watch: ListWatch<V1Pod>;
  /** By uid: one pod for a pod rule, the workload's current pods for a workload rule. */
  readonly pods: Map<string, WatchedPod>;
  done: boolean;
}

export class CaptureMonitor {
  private readonly armed = new Map<string, Armed>();
  private readonly now: () => number;

  constructor(private readonly options: CaptureMonitorOptions) {
    this.now = options.now ?? Date.now;
  }

  rules(): CaptureRule[] {
    return [...this.armed.values()].map((a) => a.rule);
  }

  /** Starts watching for `rule`; a rule with the same id is replaced. */
  arm(rule: CaptureRule): void {
    this.disarm(rule.id);
    const selector = rule.workload !== undefined ? { labelSelector: rule.workload.labelSelector } : { fieldSelector: `metadata.name=${rule.pod}` };
    const entry: Armed = {
      rule,
      done: false,
      pods: new Map(),
      watch: new ListWatch<V1Pod>(
        () => ({
          list: async () => (await this.options.api(rule.context)).listPods(rule.namespace, selector),
          watch: async (resourceVersion, onEvent) => (await this.options.api(rule.context)).watchPods(rule.namespace, { resourceVersion, ...selector, allowWatchBookmarks: true }, onEvent),
        }),
        {
          onList: (items) => (rule.workload !== undefined ? this.relistWorkload(entry, items) : this.observe(entry, items.find((p) => p.metadata?.name === rule.pod))),
          onEvent: (type, pod) => (rule.workload !== undefined ? this.observeWorkloadPod(entry, type, pod) : this.observe(entry, type === 'DELETED' ? undefined : pod)),
          onError: (error, retryInMs) => this.options.onError?.(rule, error, retryInMs),
        },
        this.options.backoff ?? DEFAULT_BACKOFF,
      ),
    };
    this.armed.set(rule.id, entry);
    entry.watch.start();
  }

  /** Stops watching; returns the rule when it was armed. */
  disarm(id: string): CaptureRule | undefined {
    const entry = this.armed.get(id);
    if (entry === undefined) return undefined;
    this.finish(entry);
    return entry.rule;
  }

  dispose(): void {
    for (const entry of [...this.armed.values()]) this.finish(entry);
  }

  private observe(entry: Armed, pod: V1Pod | undefined): void {
    if (entry.done) return;
    const { rule } = entry;
    if (pod === undefined) {
      this.finish(entry);
      this.options.onEnd(rule, `${rule.namespace}/${rule.pod} was deleted`);
      return;
    }
    if (rule.baseline.podUid !== '' && pod.metadata?.uid !== rule.baseline.podUid) {
      this.finish(entry);
      this.options.onEnd(rule, `${rule.namespace}/${rule.pod} was replaced by another pod of the same name`);
      return;
    }
    this.update(entry, pod);
  }

  /** A workload rule's fresh list: pods gone since are forgotten (a rollout), the others judged. */
  private relistWorkload(entry: Armed, items: V1Pod[]): void {
    const present = new Set(items.map((p) => p.metadata?.uid ?? ''));
    for (const [uid, watched] of entry.pods) {
      if (!present.has(uid)) {
        clearTimeout(watched.timer);
        entry.pods.delete(uid);
      }
    }
    for (const pod of items) this.update(entry, pod);
  }

  private observeWorkloadPod(entry: Armed, type: string, pod: V1Pod): void {
    const uid = pod.metadata?.uid ?? '';
    if (type === 'DELETED') {
      clearTimeout(entry.pods.get(uid)?.timer);
      entry.pods.delete(uid);
      return;
    }
    this.update(entry, pod);
  }

  private update(entry: Armed, pod: V1Pod): void {
    if (entry.done) return;
    const uid = pod.metadata?.uid ?? '';
    const watched = entry.pods.get(uid);
    if (watched === undefined) entry.pods.set(uid, { pod });
    else watched.pod = pod;
    this.evaluate(entry, uid);
  }

  private evaluate(entry: Armed, uid: string): void {
    const watched = entry.pods.get(uid);
    if (entry.done || watched === undefined) return;
    const { rule } = entry;
    const baseline: CaptureBaseline = rule.workload !== undefined ? { podUid: uid, restartCounts: rule.workload.baselines[uid] ?? {} } : rule.baseline;
    const verdict = evaluateCondition(rule.condition, watched.pod, baseline, rule.container, this.now(), watched.notReadySince);
    clearTimeout(watched.timer);
    if (verdict.fired) {
      const podName = watched.pod.metadata?.name ?? rule.pod;
      this.finish(entry);
      this.options.onFire(rule, rule.workload !== undefined ? `pod ${podName}: ${verdict.reason}` : verdict.reason, podName);
      return;
    }
    watched.notReadySince = verdict.notReadySince;
    if (verdict.checkAgainAt !== undefined) {
      // Readiness can fail silently for N seconds: no pod update comes when the time is up.
      watched.timer = setTimeout(() => this.evaluate(entry, uid), Math.max(0, verdict.checkAgainAt - this.now()));
    }
  }

  private finish(entry: Armed): void {
    entry.done = true;
    for (const watched of entry.pods.values()) clearTimeout(watched.timer);
    entry.watch.stop();
    this.armed.delete(entry.rule.id);
  }
}
