/**
 * "Capture When…": arm a rule on a pod (a condition and what to run once when it holds: Collect Diagnostics or
 * a playbook), kept in the workspace's state so it survives a reload, shown on the pod in the Clusters tree,
 * journaled as a 'capture' session (armed, fired or disarmed), checked against governance when armed and
 * again when it fires. Rules run only while a VS Code window with this workspace is open, and say so.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { CaptureMonitor, type CaptureAction, type CaptureRule } from '../capture/captureMonitor';
import { CAPTURE_CONDITION_KINDS, captureBaseline, describeCondition, workloadBaseline, type CaptureBaseline, type CaptureCondition } from '../capture/conditions';
import type { WorkloadKind, WorkloadRef } from '../cluster/workloadKinds';
import type { ClusterApi } from '../cluster/clusterApi';
import { labelSelectorString, podsOfWorkload } from '../debug/workloadPods';
import { isExplorerNode } from './attachCommand';
import { workloadArguments } from './workloadTarget';
import { checkNamespaceAllowed } from '../debug/debugContainerSpec';
import type { SessionRecord } from '../session';
import type { DiagnosticsCommandResult } from './diagnosticsCommands';
import type { FeatureDependencies } from './featureDependencies';
import { allPlaybooks, type PlaybookCommandResult } from './playbookCommands';
import { resolvePodTarget } from './podTarget';

const STATE_KEY = 'ephemeralDebug.captureRules';
const TITLE = 'Capture When…';
const WHILE_OPEN = 'It runs only while a VS Code window with this workspace is open.';

export interface CaptureWhenResult {
  readonly ruleId: string;
}

/** What a fired rule ran: for tests and the notification. */
export interface CaptureFiredEvent {
  readonly rule: CaptureRule;
  readonly reason: string;
  /** The diagnostics report or playbook transcript, when one was saved. */
  readonly artifact?: string;
  readonly error?: string;
}

export class CaptureRules implements vscode.Disposable {
  private readonly monitor: CaptureMonitor;
  private readonly records = new Map<string, Promise<SessionRecord | undefined>>();
  private readonly fired = new vscode.EventEmitter<CaptureFiredEvent>();
  readonly onDidFire = this.fired.event;

  constructor(private readonly deps: FeatureDependencies, private readonly state: vscode.Memento) {
    this.monitor = new CaptureMonitor({
      api: (context) => deps.clusters.api(context),
      onFire: (rule, reason, pod) => void this.fire(rule, reason, pod),
      onEnd: (rule, why) => void this.ended(rule, why),
      onError: (rule, error, retryInMs) => deps.logger.warn(`capture ${rule.id} on ${rule.namespace}/${rule.pod}: ${error.message}; retrying in ${Math.round(retryInMs / 1000)} s`),
    });
  }

  /** Re-arms the rules of this workspace (after a reload); their baselines are from when they were armed. */
  restore(): void {
    const stored = this.state.get<CaptureRule[]>(STATE_KEY, []);
    for (const rule of stored) this.monitor.arm(rule);
    if (stored.length > 0) this.deps.logger.info(`capture: ${stored.length} rule(s) re-armed (${stored.map((r) => `${r.namespace}/${r.pod}: ${describeCondition(r.condition)}`).join('; ')})`);
  }

  rules(): CaptureRule[] {
    return this.monitor.rules();
  }

  /** The tree description suffix of a pod (or, with `workloadKind`, a workload) while rules are armed on it. */
  badge(context: string, namespace: string, name: string, workloadKind?: WorkloadKind): string | undefined {
    const armed = this.rules().filter((r) => r.context === context && r.namespace === namespace && r.pod === name && r.workload?.kind === workloadKind);
    if (armed.length === 0) return undefined;
    return `capture armed: ${armed.map((r) => describeCondition(r.condition)).join(', ')}`;
  }

  async arm(rule: CaptureRule): Promise<void> {
    checkNamespaceAllowed(rule.namespace, this.deps.settings.current.policy);
    const api = await this.deps.clusters.api(rule.context);
    const record = this.deps.sessions.begin('capture', api, { namespace: rule.namespace, pod: rule.pod, ...(rule.container !== undefined ? { targetContainer: rule.container } : {}) });
    this.records.set(rule.id, record);
    const withSession: CaptureRule = { ...rule, ...(await record.then((r) => (r ? { sessionId: r.id } : {}))) };
    await this.deps.sessions.note(await record, (r) => r.action(`armed: when ${describeCondition(rule.condition)}, run ${describeAction(rule.action)}`, {
      condition: rule.condition.kind, ...(rule.condition.kind === 'notReady' ? { seconds: rule.condition.seconds } : {}), action: describeAction(rule.action), ruleId: rule.id,
    }));
    this.monitor.arm(withSession);
    await this.save();
    this.deps.tree.redrawPod(rule.context, rule.namespace, rule.pod, rule.workload?.kind);
  }

  async disarm(id: string): Promise<CaptureRule | undefined> {
    const rule = this.monitor.disarm(id);
    if (rule === undefined) return undefined;
    await this.endSession(rule, { status: 'cancelled', message: 'disarmed' });
    await this.save();
    this.deps.tree.redrawPod(rule.context, rule.namespace, rule.pod, rule.workload?.kind);
    return rule;
  }

  dispose(): void {
    this.monitor.dispose();
    this.fired.dispose();
  }

  private async fire(rule: CaptureRule, reason: string, pod: string): Promise<void> {
    await this.save();
    this.deps.tree.redrawPod(rule.context, rule.namespace, rule.pod, rule.workload?.kind);
    const record = await this.sessionOf(rule);
    await this.deps.sessions.note(record, (r) => r.action(`fired: ${reason}`, { ruleId: rule.id }));
    const where = `${rule.namespace}/${pod}`;
    let event: CaptureFiredEvent;
    try {
      // Governance as it is now, not as it was when the rule was armed.
      checkNamespaceAllowed(rule.namespace, this.deps.settings.current.policy);
      const args = { context: rule.context, namespace: rule.namespace, pod, ...(rule.container !== undefined ? { container: rule.container } : {}), interactive: false };
      let artifact: string | undefined;
      if (rule.action.kind === 'diagnostics') {
        const result = await vscode.commands.executeCommand<DiagnosticsCommandResult | undefined>('ephemeralDebug.collectDiagnostics', args);
        if (result === undefined) throw new Error('Collect Diagnostics did not run (see the log)');
        artifact = result.path;
      } else {
        const result = await vscode.commands.executeCommand<PlaybookCommandResult | undefined>('ephemeralDebug.runPlaybook', { ...args, playbook: rule.action.playbook });
        if (result === undefined) throw new Error(`playbook ${rule.action.playbook} did not run (see the log)`);
        artifact = result.transcriptPath;
      }
      await this.deps.sessions.note(record, (r) => r.action(`ran ${describeAction(rule.action)}`, { ...(artifact !== undefined ? { artifact } : {}) }));
      await this.endSession(rule, { status: 'completed', message: reason });
      event = { rule, reason, ...(artifact !== undefined ? { artifact } : {}) };
      this.deps.logger.info(`capture fired on ${where}: ${reason}; ran ${describeAction(rule.action)}${artifact ? ` → ${artifact}` : ''}`);
      void this.notify(`Capture fired on ${where}: ${reason}. Ran ${describeAction(rule.action)}.`, artifact);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await this.endSession(rule, { status: 'failed', message });
      event = { rule, reason, error: message };
      void this.deps.errors.show(new Error(`capture fired on ${where} (${reason}) but ${describeAction(rule.action)} failed: ${message}`), TITLE);
    }
    this.fired.fire(event);
  }

  private async ended(rule: CaptureRule, why: string): Promise<void> {
    await this.endSession(rule, { status: 'cancelled', message: why });
    await this.save();
    this.deps.tree.redrawPod(rule.context, rule.namespace, rule.pod, rule.workload?.kind);
    void vscode.window.showWarningMessage(`Capture on ${rule.namespace}/${rule.pod} disarmed: ${why}.`);
  }

  private async notify(text: string, artifact: string | undefined): Promise<void> {
    const open = artifact !== undefined ? 'Open' : undefined;
    const answer = await vscode.window.showInformationMessage(text, ...(open ? [open] : []));
    if (answer === open && artifact !== undefined) await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(artifact));
  }

  private sessionOf(rule: CaptureRule): Promise<SessionRecord | undefined> {
    const known = this.records.get(rule.id);
    if (known !== undefined) return known;
    // Armed before a reload: the journal still has the session.
    if (rule.sessionId === undefined) return Promise.resolve(undefined);
    const id = rule.sessionId;
    const resumed = this.deps.sessions.journal().then((j) => j.resume(id), () => undefined);
    this.records.set(rule.id, resumed);
    return resumed;
  }

  private async endSession(rule: CaptureRule, outcome: { status: 'completed' | 'failed' | 'cancelled'; message: string }): Promise<void> {
    await this.deps.sessions.note(await this.sessionOf(rule), (r) => r.end(outcome));
    this.records.delete(rule.id);
  }

  private save(): Thenable<void> {
    return this.state.update(STATE_KEY, this.monitor.rules());
  }
}

function describeAction(action: CaptureAction): string {
  return action.kind === 'diagnostics' ? 'Collect Diagnostics' : `playbook ${action.playbook}`;
}

function parseCondition(kind: unknown, seconds: unknown): CaptureCondition {
  if (kind === 'notReady') {
    const s = typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 1 ? Math.min(seconds, 3600) : 30;
    return { kind, seconds: s };
  }
  if (kind === 'restart' || kind === 'oomKilled' || kind === 'crashLoopBackOff') return { kind };
  throw new Error(`${TITLE}: "condition" must be one of ${CAPTURE_CONDITION_KINDS.join(', ')}`);
}

/**
 * `ephemeralDebug.captureWhen` on a pod or container node, or with arguments
 * `{ context?, namespace, pod, container?, condition, seconds?, playbook?, interactive: false }`.
 */
async function captureWhenCommand(deps: FeatureDependencies, rules: CaptureRules, arg: unknown): Promise<CaptureWhenResult | undefined> {
  try {
    const target = await captureSubject(deps, arg);
    if (target === undefined) return undefined;
    const interactive = target.args.interactive !== false;
    let condition: CaptureCondition;
    let action: CaptureAction;
    if (interactive) {
      const picked = await vscode.window.showQuickPick(
        CAPTURE_CONDITION_KINDS.map((condition) => ({ label: describeCondition(condition === 'notReady' ? { kind: condition, seconds: 30 } : { kind: condition }).replace('30 s', 'N seconds'), condition })),
        { title: `${TITLE} (${target.namespace}/${target.label})`, placeHolder: `When should it capture? ${WHILE_OPEN}` },
      );
      if (picked === undefined) return undefined;
      let seconds: number | undefined;
      if (picked.condition === 'notReady') {
        const text = await vscode.window.showInputBox({ title: TITLE, prompt: 'Seconds without readiness', value: '30', validateInput: (v) => (/^\d+$/.test(v) && Number(v) >= 1 ? undefined : 'a whole number of seconds, 1 or more') });
        if (text === undefined) return undefined;
        seconds = Number(text);
      }
      condition = parseCondition(picked.condition, seconds);
      const choices = [{ label: 'Collect Diagnostics', action: { kind: 'diagnostics' } as CaptureAction },
        ...allPlaybooks(deps).map((p) => ({ label: `Playbook: ${p.title}`, action: { kind: 'playbook', playbook: p.id } as CaptureAction }))];
      const then = await vscode.window.showQuickPick(choices, { title: TITLE, placeHolder: 'What should run, once, when it happens?' });
      if (then === undefined) return undefined;
      action = then.action;
    } else {
      condition = parseCondition(target.args.condition, target.args.seconds);
      action = typeof target.args.playbook === 'string' ? { kind: 'playbook', playbook: target.args.playbook } : { kind: 'diagnostics' };
    }
    const rule: CaptureRule = {
      id: randomBytes(6).toString('hex'),
      context: target.api.contextName,
      namespace: target.namespace,
      pod: target.name,
      ...(target.container !== undefined ? { container: target.container } : {}),
      ...(target.workload !== undefined ? { workload: target.workload } : {}),
      condition,
      action,
      armedAt: new Date().toISOString(),
      baseline: target.baseline,
    };
    await rules.arm(rule);
    if (interactive) void vscode.window.showInformationMessage(`Armed on ${target.namespace}/${target.label}: when ${describeCondition(condition)}, run ${describeAction(action)} once. ${WHILE_OPEN}`);
    return { ruleId: rule.id };
  } catch (error) {
    void deps.errors.show(error, TITLE);
    return undefined;
  }
}

interface CaptureSubject {
  readonly api: ClusterApi;
  readonly namespace: string;
  /** The pod's or the workload's name. */
  readonly name: string;
  /** For messages: `web-7d4b9c-x2x9q`, `Deployment web`. */
  readonly label: string;
  readonly container?: string;
  readonly baseline: CaptureBaseline;
  readonly workload?: CaptureRule['workload'];
  readonly args: Readonly<Record<string, unknown>>;
}

/** A pod (node, arguments or pickers), or a workload (its node, or arguments such as `{ "deployment": "web" }`). */
async function captureSubject(deps: FeatureDependencies, arg: unknown): Promise<CaptureSubject | undefined> {
  let ref: WorkloadRef | undefined;
  let context: string | undefined;
  let args: Record<string, unknown> = {};
  if (isExplorerNode(arg) && arg.descriptor.kind === 'workload' && arg.descriptor.workload !== undefined && arg.descriptor.namespace !== undefined) {
    context = arg.descriptor.contextName;
    ref = { ...arg.descriptor.workload, namespace: arg.descriptor.namespace };
  } else {
    const named = workloadArguments(arg);
    if (named !== undefined) {
      const api = await deps.clusters.api(named.context);
      context = api.contextName;
      ref = { ...named.workload, namespace: named.namespace ?? api.defaultNamespace };
      args = named.rest;
    }
  }
  if (ref === undefined) {
    const target = await resolvePodTarget(arg, deps, TITLE);
    if (target === undefined) return undefined;
    return {
      api: target.api, namespace: target.namespace, name: target.podName, label: target.podName, baseline: captureBaseline(target.pod), args: target.args,
      ...(target.container !== undefined && target.containerKind !== 'ephemeral' ? { container: target.container } : {}),
    };
  }
  const api = await deps.clusters.api(context);
  const { workload, pods } = await podsOfWorkload(api, ref);
  const labelSelector = labelSelectorString(workload.spec?.selector);
  if (labelSelector === '') throw new Error(`${TITLE}: ${ref.kind} ${ref.name} has no label selector to follow its pods`);
  return {
    api, namespace: ref.namespace, name: ref.name, label: `${ref.kind} ${ref.name}`, args,
    baseline: { podUid: '', restartCounts: {} },
    workload: { kind: ref.kind, labelSelector, baselines: workloadBaseline(pods) },
    ...(typeof args.container === 'string' ? { container: args.container } : {}),
  };
}

/** `ephemeralDebug.disarmCapture`: `{ rule: id }`, or a pick of the armed rules. */
async function disarmCommand(deps: FeatureDependencies, rules: CaptureRules, arg: unknown): Promise<boolean> {
  let id = typeof arg === 'object' && arg !== null && typeof (arg as { rule?: unknown }).rule === 'string' ? (arg as { rule: string }).rule : undefined;
  if (id === undefined) {
    const picked = await vscode.window.showQuickPick(rules.rules().map((r) => ({
      label: `${r.namespace}/${r.pod}${r.container ? `/${r.container}` : ''}`, description: `when ${describeCondition(r.condition)} → ${describeAction(r.action)}`, detail: `armed ${r.armedAt} on ${r.context}`, id: r.id,
    })), { title: 'Disarm Capture', placeHolder: rules.rules().length === 0 ? 'No capture rules are armed' : 'Rule to disarm' });
    id = picked?.id;
  }
  if (id === undefined) return false;
  const rule = await rules.disarm(id);
  if (rule === undefined) void deps.errors.show(new Error(`no armed capture rule ${id}`), 'Disarm Capture');
  return rule !== undefined;
}

export function registerCaptureCommands(deps: FeatureDependencies, rules: CaptureRules): vscode.Disposable[] {
  rules.restore();
  return [
    rules,
    vscode.commands.registerCommand('ephemeralDebug.captureWhen', (arg?: unknown) => captureWhenCommand(deps, rules, arg)),
    vscode.commands.registerCommand('ephemeralDebug.disarmCapture', (arg?: unknown) => disarmCommand(deps, rules, arg)),
  ];
}
