/**
 * "Clean Up Debug Pods…": the debug copies of a cluster (all namespaces, else one) with age, origin, creator and
 * phase, those older than cleanup.maxAgeHours or past their session deadline preselected, and running debug
 * containers past their session deadline in a section of their own; after a modal confirmation, deletes the
 * copies and stops the containers, and reports each one that failed. With `{ interactive: false }` it cleans
 * up what is preselected without asking and returns the per-pod results.
 */
import type { V1Pod } from '@kubernetes/client-node';
import * as vscode from 'vscode';
import type { ClusterApi, Logger } from '../cluster/clusterApi';
import { DebugFlowError } from '../debug/debugFlowError';
import { COPY_DELETE_GRACE_SECONDS, deleteDebugCopies, listDebugCopies, type DebugCopy, type DeleteCopyResult } from '../debug/debugCopies';
import { kubectlDeletePodsCommand, kubectlStopCommand } from '../debug/kubectlEquivalent';
import type { LimitedDebugContainer } from '../debug/sessionTimeLimit';
import { stopDebugContainer } from '../debug/stopDebugContainer';
import { isExplorerNode } from './attachCommand';
import type { FeatureDependencies } from './featureDependencies';
import { withCancellableProgress } from './podTarget';
import { copyKey, describeCandidate, formatAge, normalizeCleanupArguments, planCleanup, summarizeCleanup, type CleanupCandidate, type StopResult } from './pure/cleanupPlan';

const TITLE = 'Clean Up Debug Pods';

export interface CleanupCommandResult {
  readonly context: string;
  /** undefined: all namespaces. */
  readonly namespace?: string;
  /** E.g. that only one namespace could be listed. */
  readonly notes: readonly string[];
  readonly deleted: readonly DeleteCopyResult[];
  readonly stopped: readonly StopResult[];
}

interface CleanupScope {
  readonly context?: string;
  /** Only this namespace. */
  readonly namespace?: string;
  /** When all namespaces cannot be listed. */
  readonly fallbackNamespace?: string;
  /** The copy node the command was invoked on. */
  readonly clicked?: string;
  readonly olderThanHours?: number;
  readonly stopExpired: boolean;
  readonly interactive: boolean;
}

function scopeOf(arg: unknown): CleanupScope {
  if (isExplorerNode(arg)) {
    const d = arg.descriptor;
    if (d.kind === 'namespace') return { context: d.contextName, namespace: d.namespace, stopExpired: true, interactive: true };
    if (d.kind === 'pod' && d.namespace !== undefined && d.pod !== undefined) {
      return { context: d.contextName, fallbackNamespace: d.namespace, clicked: copyKey(d.namespace, d.pod), stopExpired: true, interactive: true };
    }
    return { context: d.contextName || undefined, stopExpired: true, interactive: true };
  }
  if (typeof arg === 'object' && arg !== null && !Array.isArray(arg)) {
    const parsed = normalizeCleanupArguments(arg);
    if ('error' in parsed) throw new Error(parsed.error);
    return parsed.value;
  }
  // The view title or the palette: the active context, all namespaces.
  return { stopExpired: true, interactive: true };
}

interface Listing {
  readonly namespace?: string;
  readonly copies: readonly DebugCopy[];
  readonly pods: readonly V1Pod[];
  readonly notes: readonly string[];
}

async function listScope(api: ClusterApi, scope: CleanupScope): Promise<Listing> {
  const notes: string[] = [];
  let namespace = scope.namespace;
  let copies: DebugCopy[];
  try {
    copies = await listDebugCopies(api, { namespace });
  } catch (error) {
    if (!(error instanceof DebugFlowError && error.code === 'forbidden' && namespace === undefined)) throw error;
    namespace = scope.fallbackNamespace ?? api.defaultNamespace;
    notes.push(`you cannot list pods in all namespaces of ${api.contextName}, so only namespace ${namespace} is shown`);
    copies = await listDebugCopies(api, { namespace });
  }
  let pods: V1Pod[] = [];
  if (scope.stopExpired) {
    try {
      pods = (await api.listPods(namespace)).items;
    } catch (error) {
      notes.push(`debug containers past their time limit could not be looked for: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
  }
  return { namespace, copies, pods, notes };
}

export async function cleanupDebugPods(deps: FeatureDependencies, arg: unknown): Promise<CleanupCommandResult | undefined> {
  let scope: CleanupScope;
  let api: ClusterApi;
  let listing: Listing;
  try {
    scope = scopeOf(arg);
    api = await deps.clusters.api(scope.context);
    listing = scope.interactive
      ? await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Listing debug pods…' }, () => listScope(api, scope))
      : await listScope(api, scope);
  } catch (error) {
    void deps.errors.show(error, TITLE);
    return undefined;
  }
  listing.notes.forEach((n) => deps.logger.info(`clean up: ${n}`));
  const maxAgeHours = scope.olderThanHours ?? deps.settings.current.cleanupMaxAgeHours;
  const plan = planCleanup(listing.copies, listing.pods, { maxAgeHours, now: new Date(), ...(scope.clicked !== undefined ? { clicked: scope.clicked } : {}) });
  const where = `${api.contextName}${listing.namespace !== undefined ? ` · namespace ${listing.namespace}` : ''}`;

  let copies: readonly CleanupCandidate[];
  let expired: readonly LimitedDebugContainer[];
  if (!scope.interactive) {
    copies = plan.copies.filter((c) => c.preselected);
    expired = plan.expired;
  } else {
    const picked = await pickWhatToCleanUp(plan.copies, plan.expired, where, maxAgeHours, listing.notes);
    if (picked === undefined) return undefined;
    ({ copies, expired } = picked);
    if (!(await confirm(copies, expired))) return undefined;
  }

  const run = async (signal?: AbortSignal): Promise<{ deleted: DeleteCopyResult[]; stopped: StopResult[] }> => {
    const [deleted, stopped] = await Promise.all([deleteDebugCopies(api, copies.map((c) => c.copy)), Promise.all(expired.map((c) => stop(api, c, signal)))]);
    return { deleted, stopped };
  };
  const { deleted, stopped } = scope.interactive && (copies.length > 0 || expired.length > 0) ? await withCancellableProgress(TITLE, (_report, signal) => run(signal)) : await run();
  const summary = summarizeCleanup(deleted, stopped);
  deleted.forEach((r) => deps.logger.info(`clean up: ${r.namespace}/${r.name}: ${r.outcome}${r.message !== undefined ? ` (${r.message})` : ''}`));
  stopped.forEach((r) => deps.logger.info(`clean up: ${r.namespace}/${r.pod}/${r.container}: ${r.outcome}${r.message !== undefined ? ` (${r.message})` : ''}`));
  logCleanupKubectl(deps.logger, api.contextName, deleted, stopped);
  if (scope.interactive) {
    if (summary.ok) {
      void vscode.window.showInformationMessage(summary.message);
    } else {
      void vscode.window.showWarningMessage(summary.message, 'Show Log').then((answer) => answer === 'Show Log' && deps.logger.show());
    }
  }
  return { context: api.contextName, ...(listing.namespace !== undefined ? { namespace: listing.namespace } : {}), notes: listing.notes, deleted, stopped };
}

async function stop(api: ClusterApi, container: LimitedDebugContainer, signal: AbortSignal | undefined): Promise<StopResult> {
  const base = { namespace: container.namespace, pod: container.pod, container: container.container };
  try {
    await stopDebugContainer(api, container.namespace, container.pod, container.container, { signal });
    return { ...base, outcome: 'stopped' };
  } catch (error) {
    return { ...base, outcome: 'failed', message: error instanceof Error ? error.message.split('\n')[0] : String(error) };
  }
}

type CleanupItem = vscode.QuickPickItem & ({ readonly copy: CleanupCandidate } | { readonly expired: LimitedDebugContainer } | { readonly separator: true });

async function pickWhatToCleanUp(
  copies: readonly CleanupCandidate[],
  expired: readonly LimitedDebugContainer[],
  where: string,
  maxAgeHours: number,
  notes: readonly string[],
): Promise<{ copies: CleanupCandidate[]; expired: LimitedDebugContainer[] } | undefined> {
  if (copies.length === 0 && expired.length === 0) {
    void vscode.window.showInformationMessage(`No debug copies, no node debug pods and no debug containers past their time limit in ${where}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}.`);
    return undefined;
  }
  const now = Date.now();
  const items: CleanupItem[] = [];
  if (copies.length > 0) {
    items.push({ label: 'Debug copies and node debug pods: delete', kind: vscode.QuickPickItemKind.Separator, separator: true });
    items.push(...copies.map((c): CleanupItem => ({ ...describeCandidate(c), iconPath: new vscode.ThemeIcon('files'), picked: c.preselected, copy: c })));
  }
  if (expired.length > 0) {
    items.push({ label: 'Debug containers past their session time limit: stop', kind: vscode.QuickPickItemKind.Separator, separator: true });
    items.push(
      ...expired.map((e): CleanupItem => ({
        label: `${e.pod} / ${e.container}`,
        description: `${e.namespace} · deadline passed ${formatAge(now - e.deadline.getTime())} ago`,
        iconPath: new vscode.ThemeIcon('debug-stop'),
        picked: true,
        expired: e,
      })),
    );
  }
  const picked = await vscode.window.showQuickPick(items, {
    title: `${TITLE} · ${where}`,
    placeHolder: `${notes.length > 0 ? `Note: ${notes.join('; ')}. ` : ''}Preselected: older than ${maxAgeHours} h (ephemeralDebug.cleanup.maxAgeHours) or past their time limit`,
    canPickMany: true,
    matchOnDescription: true,
    matchOnDetail: true,
    ignoreFocusOut: true,
  });
  if (picked === undefined || picked.length === 0) return undefined;
  return {
    copies: picked.flatMap((i) => ('copy' in i ? [i.copy] : [])),
    expired: picked.flatMap((i) => ('expired' in i ? [i.expired] : [])),
  };
}

async function confirm(copies: readonly CleanupCandidate[], expired: readonly LimitedDebugContainer[]): Promise<boolean> {
  const lines = [...copies.map((c) => `delete ${c.copy.namespace}/${c.copy.name} (${c.copy.kind === 'node' ? 'debugs' : 'copy of'} ${c.copy.origin}, ${formatAge(c.copy.ageMs)} old)`), ...expired.map((e) => `stop ${e.namespace}/${e.pod}/${e.container}`)];
  const shown = lines.slice(0, 15).join('\n') + (lines.length > 15 ? `\n… and ${lines.length - 15} more` : '');
  const nodePods = copies.filter((c) => c.copy.kind === 'node').length;
  const copyPods = copies.length - nodePods;
  const what = [
    copyPods > 0 ? `delete ${copyPods} debug cop${copyPods === 1 ? 'y' : 'ies'}` : undefined,
    nodePods > 0 ? `delete ${nodePods} node debug pod${nodePods === 1 ? '' : 's'}` : undefined,
    expired.length > 0 ? `stop ${expired.length} debug container${expired.length === 1 ? '' : 's'}` : undefined,
  ]
    .filter((p): p is string => p !== undefined)
    .join(' and ');
  const button = copies.length > 0 ? 'Delete' : 'Stop';
  const answer = await vscode.window.showWarningMessage(`${what.charAt(0).toUpperCase()}${what.slice(1)}?`, { modal: true, detail: `${shown}\n\nDeleted pods cannot be restored.` }, button);
  return answer === button;
}

/** What Clean Up did, as kubectl commands: one delete per namespace, one stop exec per container. */
function logCleanupKubectl(logger: Logger, context: string, deleted: readonly DeleteCopyResult[], stopped: readonly StopResult[]): void {
  const byNamespace = new Map<string, string[]>();
  for (const r of deleted.filter((d) => d.outcome === 'deleted')) byNamespace.set(r.namespace, [...(byNamespace.get(r.namespace) ?? []), r.name]);
  const lines = [...byNamespace].map(([namespace, pods]) => kubectlDeletePodsCommand({ context, namespace, pods, gracePeriodSeconds: COPY_DELETE_GRACE_SECONDS }));
  lines.push(...stopped.filter((s) => s.outcome === 'stopped').map((s) => kubectlStopCommand({ context, namespace: s.namespace, pod: s.pod, container: s.container })));
  if (lines.length > 0) logger.info(`clean up, the same with kubectl:\n${lines.join('\n')}`);
}
