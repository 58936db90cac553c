/**
 * Armed capture rules, each watching its pod (list + watch by name, resumed and relisted as the explorer's
 * watches are) until its condition holds: then the rule is removed and `onFire` is called, once per arming.
 * A pod deleted or replaced (another uid) ends the rule without firing. Nothing here outlives the process:
 * rules run while the editor window runs (the UI keeps them across reloads and re-arms them).
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { ClusterApi, ClusterError } from '../cluster/clusterApi';
import { DEFAULT_BACKOFF, ListWatch, type BackoffOptions } from '../explorer/listWatch';
import { evaluateCondition, type CaptureBaseline, type CaptureCondition } from './conditions';

export type CaptureAction =
  | { readonly kind: 'diagnostics' }
  | { readonly kind: 'playbook'; readonly playbook: string };

/** One arming, as stored (JSON) and shown. */
export interface CaptureRule {
  readonly id: string;
  readonly context: string;
  readonly namespace: string;
  readonly pod: string;
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
  /** The condition held: the rule is already disarmed. */
  readonly onFire: (rule: CaptureRule, reason: string) => void;
  /** The rule ended without firing (its pod is gone or was replaced). */
  readonly onEnd: (rule: CaptureRule, why: string) => void;
  readonly onError?: (rule: CaptureRule, error: ClusterError, retryInMs: number) => void;
  readonly now?: () => number;
  readonly backoff?: BackoffOptions;
}

interface Armed {
  readonly rule: CaptureRule;
  readonly watch: ListWatch<V1Pod>;
  pod?: V1Pod;
  notReadySince?: number;
  timer?: NodeJS.Timeout;
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
    const fieldSelector = `metadata.name=${rule.pod}`;
    const entry: Armed = {
      rule,
      done: false,
      watch: new ListWatch<V1Pod>(
        () => ({
          list: async () => (await this.options.api(rule.context)).listPods(rule.namespace, { fieldSelector }),
          watch: async (resourceVersion, onEvent) => (await this.options.api(rule.context)).watchPods(rule.namespace, { resourceVersion, fieldSelector, allowWatchBookmarks: true }, onEvent),
        }),
        {
          onList: (items) => this.observe(entry, items.find((p) => p.metadata?.name === rule.pod)),
          onEvent: (type, pod) => this.observe(entry, type === 'DELETED' ? undefined : pod),
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
    entry.pod = pod;
    this.evaluate(entry);
  }

  private evaluate(entry: Armed): void {
    if (entry.done || entry.pod === undefined) return;
    const verdict = evaluateCondition(entry.rule.condition, entry.pod, entry.rule.baseline, entry.rule.container, this.now(), entry.notReadySince);
    clearTimeout(entry.timer);
    if (verdict.fired) {
      this.finish(entry);
      this.options.onFire(entry.rule, verdict.reason);
      return;
    }
    entry.notReadySince = verdict.notReadySince;
    if (verdict.checkAgainAt !== undefined) {
      // Readiness can fail silently for N seconds: no pod update comes when the time is up.
      entry.timer = setTimeout(() => this.evaluate(entry), Math.max(0, verdict.checkAgainAt - this.now()));
    }
  }

  private finish(entry: Armed): void {
    entry.done = true;
    clearTimeout(entry.timer);
    entry.watch.stop();
    this.armed.delete(entry.rule.id);
  }
}
