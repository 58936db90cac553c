/**
 * "Collect Diagnostics" on a pod, a container, a running debug container or a Cluster Explorer pod (or with
 * arguments `{ context?, namespace, pod, container?, interactive: false }`): runs the diagnostics engine in a
 * debug container that sees the target's processes, adding one when there is none, saves the Markdown report
 * as an artifact of a journaled 'diagnostics' session and opens its preview. When the journal cannot be
 * written the report opens as an untitled document instead, so it is never lost.
 */
import * as vscode from 'vscode';
import type { ClusterApi } from '../cluster/clusterApi';
import { attachDebugContainer, checkReuse, passesReusePolicy, type AttachCallbacks } from '../debug/attachFlow';
import { collectDiagnostics } from '../diagnostics/collect';
import { reportFileName, type DiagnosticsReport } from '../diagnostics/report';
import type { SectionStatus } from '../diagnostics/parse';
import type { SessionRecord } from '../session';
import { attachSettings } from './attachCommand';
import { showMarkdownReport } from './diagnosticsPreview';
import type { FeatureDependencies } from './featureDependencies';
import { resolvePodTarget, withCancellableProgress, type PodTarget } from './podTarget';
import { privilegedProfileConfirmation } from './pure/attachPlan';
import { chooseDiagnosticsContainer } from './pure/diagnosticsTarget';
import { isCancellation } from './pure/errorText';
import { journalDebugContainer } from './sessionDetails';

const TITLE = 'Collect Diagnostics';

/** What the command resolves to (for callers that passed arguments). */
export interface DiagnosticsCommandResult {
  /** The saved report (a session artifact); absent when the journal was unavailable. */
  readonly path?: string;
  readonly markdown: string;
  readonly sections: readonly { readonly id: string; readonly status: SectionStatus }[];
  /** The debug container the diagnostics ran in. */
  readonly debugContainer: string;
  /** True when the command added that debug container. */
  readonly addedDebugContainer: boolean;
  readonly complete: boolean;
}

export function registerDiagnosticsCommands(deps: FeatureDependencies): vscode.Disposable[] {
  return [vscode.commands.registerCommand('ephemeralDebug.collectDiagnostics', deps.workloadPods.command('Collect Diagnostics', (arg?: unknown) => collectDiagnosticsCommand(deps, arg)))];
}

export async function collectDiagnosticsCommand(deps: FeatureDependencies, arg: unknown): Promise<DiagnosticsCommandResult | undefined> {
  let target: PodTarget | undefined;
  try {
    target = await resolvePodTarget(arg, deps, TITLE);
  } catch (error) {
    void deps.errors.show(error, TITLE);
    return undefined;
  }
  if (target === undefined) return undefined;
  const { api, namespace, podName } = target;
  const where = `${namespace}/${podName}`;
  const interactive = target.args.interactive !== false;
  const policy = deps.settings.current.policy;
  const choice = chooseDiagnosticsContainer(target.pod, target.container, (name) => passesReusePolicy(target.pod, name, policy));
  if ('error' in choice) {
    void deps.errors.show(new Error(choice.error), `${TITLE} for ${where}`);
    return undefined;
  }
  const settings = deps.settings.current;
  const targetContainer = choice.targetContainer;
  if ('use' in choice) {
    // The existing container passes the policy a new one would (namespace, image, profile, deadline).
    try {
      checkReuse(target.pod, choice.use, settings.policy);
    } catch (error) {
      void deps.errors.show(error, `${TITLE} for ${where}`);
      return undefined;
    }
  }
  if ('add' in choice && interactive && !(await confirmAddDebugContainer(where, settings.defaultImage, targetContainer))) {
    return undefined;
  }

  const { sessions } = deps;
  const sessionId = sessions.newId();
  const record = await sessions.begin(
    'diagnostics',
    api,
    {
      namespace,
      pod: podName,
      ...('use' in choice ? { container: choice.use } : { image: settings.defaultImage, profile: 'auto' }),
      ...(targetContainer !== undefined ? { targetContainer } : {}),
    },
    sessionId,
  );
  let failedWhile = TITLE;
  let debugContainer = 'use' in choice ? choice.use : '';
  let report: DiagnosticsReport;
  try {
    report = await withCancellableProgress(`${TITLE}: ${where}`, async (progress, signal) => {
      if ('add' in choice) {
        failedWhile = `${TITLE}: adding a debug container to ${where}`;
        const added = await attachDebugContainer(
          api,
          { namespace, podName, image: settings.defaultImage, profile: 'auto', sessionId, ...(targetContainer !== undefined ? { targetContainer } : {}) },
          attachSettings(settings),
          attachCallbacks(deps, interactive, progress),
          signal,
        );
        debugContainer = added.containerName;
        await journalDebugContainer(sessions, record, added.pod, added.containerName, `added debug container ${added.containerName} for diagnostics`);
        deps.timeLimits.track(api, added.pod, added.containerName);
        failedWhile = TITLE;
      } else {
        await sessions.note(record, (r) => r.action(`collecting in running debug container ${debugContainer}`, { container: debugContainer }));
      }
      return collectDiagnostics(api, {
        namespace,
        pod: podName,
        debugContainer,
        ...(targetContainer !== undefined ? { targetContainer } : {}),
        showEnvValues: settings.diagnostics.showEnvValues,
        userScripts: settings.diagnostics.userScripts,
        signal,
        onProgress: progress,
      });
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await sessions.note(record, (r) => r.end({ status: isCancellation(error) ? 'cancelled' : 'failed', message }));
    void deps.errors.show(error, failedWhile);
    return undefined;
  }
  return finish(deps, api, record, report, debugContainer, 'add' in choice);
}

async function finish(deps: FeatureDependencies, api: ClusterApi, record: SessionRecord | undefined, report: DiagnosticsReport, debugContainer: string, added: boolean): Promise<DiagnosticsCommandResult> {
  const { sessions, logger } = deps;
  const where = `${report.target.namespace}/${report.target.pod}`;
  const path = await sessions.addArtifact(
    record,
    { fileName: reportFileName(report), kind: 'diagnostics', description: `Diagnostics of ${where} (${report.target.targetContainer ?? 'pod'}, PID ${report.target.pid}) from ${debugContainer}`, mediaType: 'text/markdown' },
    report.markdown,
  );
  const ok = report.sections.filter((s) => s.status === 'ok').length;
  await sessions.note(record, (r) => r.end({ status: 'completed', message: `${ok} of ${report.sections.length} sections ok${report.complete ? '' : ', script cut short'}` }));
  logger.info(`diagnostics of ${where} (context ${api.contextName}) from ${debugContainer}: ${ok} of ${report.sections.length} sections ok${path !== undefined ? `, saved to ${path}` : ', not saved (journal unavailable)'}`);
  try {
    await showMarkdownReport(report.markdown, path, logger);
  } catch (error) {
    void deps.errors.show(error, `${TITLE}: showing the report of ${where}${path !== undefined ? ` (saved at ${path})` : ''}`);
  }
  if (!report.complete) {
    void vscode.window.showWarningMessage(`Diagnostics of ${where} are incomplete: the script did not finish (connection lost or timed out); the report says which sections are missing.`);
  }
  return {
    ...(path !== undefined ? { path } : {}),
    markdown: report.markdown,
    sections: report.sections.map((s) => ({ id: s.id, status: s.status })),
    debugContainer,
    addedDebugContainer: added,
    complete: report.complete,
  };
}

async function confirmAddDebugContainer(where: string, image: string, targetContainer: string | undefined): Promise<boolean> {
  const sees = targetContainer !== undefined ? `${targetContainer}'s processes` : 'the pod\'s processes';
  const answer = await vscode.window.showInformationMessage(
    `No running debug container in ${where} sees ${sees}. Add one to collect diagnostics?`,
    {
      modal: true,
      detail: `Image ${image} (ephemeralDebug.defaultImage), profile auto${targetContainer !== undefined ? `, targeting ${targetContainer}` : ''}. Ephemeral containers cannot be removed: it stays in the pod spec until the pod is replaced; Stop Debug Container ends it.`,
    },
    'Add Debug Container',
  );
  return answer === 'Add Debug Container';
}

function attachCallbacks(deps: FeatureDependencies, interactive: boolean, report: (message: string) => void): AttachCallbacks {
  return {
    onProgress: (message) => {
      deps.logger.debug(`diagnostics attach: ${message}`);
      report(message);
    },
    onWarning: (message) => deps.logger.warn(`diagnostics attach: ${message}`),
    // Only the setting skips the question; `interactive: false` refuses instead of answering it.
    confirmPrivileged: privilegedProfileConfirmation(deps.settings.current, interactive, async (info) =>
      (await vscode.window.showWarningMessage(
        `Profile "${info.profile}" gives the debug container in ${info.podName} ${info.grants.join(', ')}.`,
        { modal: true, detail: `${info.profileReason}\n\nIt can read and change the target's processes and memory. (Setting ephemeralDebug.confirmPrivilegedProfiles turns this question off.)` },
        'Add Debug Container',
      )) === 'Add Debug Container'),
    // The question before adding already said the container stays in the pod.
    acknowledgePermanent: async () => true,
  };
}
