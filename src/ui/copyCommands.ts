/**
 * "Debug a Copy of Pod…" and "Clean Up Debug Pods…". The copy command shows why the pod crashes, asks what the
 * copy should do (./copyPicker.ts), runs the engine (src/debug/copyFlow.ts) under a cancellable progress
 * notification, journals the session and attaches a terminal. Closing the last terminal on a copy offers to
 * delete it; a copy with a session time limit is deleted at its deadline (its debug container is a regular
 * container, which cannot be stopped without being restarted).
 */
import * as vscode from 'vscode';
import { debugCopyOfPod, type CopyCallbacks, type CopyResult, type CopySettings } from '../debug/copyFlow';
import { crashingContainers, describeCrash, summarizeCrash, type CrashInfo } from '../debug/crashInfo';
import { kubectlCopyCommand, kubectlDeletePodsCommand } from '../debug/kubectlEquivalent';
import { generateCopyName } from '../debug/podCopy';
import { AttachTerminal } from '../terminal/attachTerminal';
import { attachSettings, isExplorerNode, openAttachTerminal } from './attachCommand';
import { cleanupDebugPods } from './cleanupCommand';
import { ClusterExplorerBridge } from './clusterExplorerBridge';
import { CopyLifecycle } from './copyLifecycle';
import { runCopyPicker } from './copyPicker';
import type { FeatureDependencies } from './featureDependencies';
import { resolvePodTarget, withCancellableProgress, type PodTarget } from './podTarget';
import { isCancellation } from './pure/errorText';
import { choicesFromArguments, crashDetail, crashHeadline, defaultCopyChoices, describeAppAction, normalizeCopyArguments, toCopyRequest, type CopyChoices, type NormalizedCopyArguments } from './pure/copyPlan';
import type { EphemeralDebugSettings } from './pure/settingsModel';
import { journalDebugContainer } from './sessionDetails';

const TITLE = 'Debug a Copy of Pod';

/** What the command resolves to, for callers that passed arguments. */
export interface CopyCommandResult {
  readonly context: string;
  readonly namespace: string;
  readonly sourcePod: string;
  readonly copyName: string;
  /** The container the terminal attaches to. */
  readonly container: string;
  readonly debugContainer?: string;
  readonly originalDeleted: boolean;
  readonly terminalOpened: boolean;
}

export function registerCopyCommands(deps: FeatureDependencies): vscode.Disposable[] {
  const lifecycle = new CopyLifecycle(deps);
  return [
    lifecycle,
    vscode.commands.registerCommand('ephemeralDebug.debugCopy', deps.workloadPods.command('Debug a Copy', (arg?: unknown) => debugCopyCommand(deps, lifecycle, arg))),
    vscode.commands.registerCommand('ephemeralDebug.cleanupDebugPods', (arg?: unknown) => cleanupDebugPods(deps, arg)),
  ];
}

/** An arguments object (not a tree node): parsed up front so a bad one fails before anything is read. */
function argumentsOf(arg: unknown): NormalizedCopyArguments | undefined {
  if (typeof arg !== 'object' || arg === null || Array.isArray(arg) || isExplorerNode(arg) || ClusterExplorerBridge.looksLikeClusterExplorerNode(arg)) return undefined;
  const parsed = normalizeCopyArguments(arg);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.value;
}

export async function debugCopyCommand(deps: FeatureDependencies, lifecycle: CopyLifecycle, arg: unknown): Promise<CopyCommandResult | undefined> {
  const { errors, logger, sessions } = deps;
  let args: NormalizedCopyArguments | undefined;
  let target: PodTarget | undefined;
  try {
    args = argumentsOf(arg);
    target = await resolvePodTarget(arg, deps, TITLE);
  } catch (error) {
    void errors.show(error, TITLE);
    return undefined;
  }
  if (target === undefined) return undefined;
  const { api, namespace, podName, pod } = target;
  const where = `${namespace}/${podName}`;
  const settings = deps.settings.current;
  const interactive = args?.interactive ?? true;
  const crashing = crashingContainers(pod);

  let choices: CopyChoices | undefined;
  if (args !== undefined) {
    const fromArgs = choicesFromArguments(args, pod, crashing, settings.defaultImage);
    if ('error' in fromArgs) {
      void errors.show(new Error(fromArgs.error), TITLE);
      return undefined;
    }
    choices = fromArgs.value;
  }
  if (!interactive && crashing.length > 0) {
    logger.info(`copy: ${where} is crashing: ${crashing.map(summarizeCrash).join('; ')}`);
  }
  if (interactive) {
    const crash = crashing.length > 0 ? await describeCrash(api, pod).catch(() => undefined) : undefined;
    if (crash !== undefined && !(await acknowledgeCrash(where, crash))) return undefined;
    choices = await runCopyPicker(target, crash, settings, choices ?? defaultCopyChoices(pod, crashing, settings.defaultImage));
    if (choices === undefined) {
      logger.debug(`${TITLE} dismissed`);
      return undefined;
    }
  }
  if (choices === undefined) return undefined;

  // Named here, so the journal knows the copy before it exists.
  const copyName = choices.copyName ?? generateCopyName(podName);
  const sessionId = sessions.newId();
  const record = await sessions.begin('copy', api, {
    namespace,
    pod: copyName,
    sourcePod: podName,
    ...(choices.debugImage !== null ? { image: choices.debugImage } : {}),
    profile: choices.profile ?? settings.defaultProfile,
  }, sessionId);
  await sessions.note(record, (r) => r.action(`copying ${where}: ${describeAppAction(choices.app)}`, { copy: copyName }));
  let result: CopyResult;
  try {
    result = await withCancellableProgress(`Debug a copy of ${where}`, (report, signal) =>
      debugCopyOfPod(api, toCopyRequest(namespace, podName, { ...choices, copyName }, sessionId), copySettings(settings), callbacks(deps, settings, interactive, report), signal),
    );
  } catch (error) {
    await sessions.note(record, (r) => r.end({ status: isCancellation(error) ? 'cancelled' : 'failed', message: error instanceof Error ? error.message : String(error) }));
    void errors.show(error, `Copy of ${where}`);
    return undefined;
  }
  await journalDebugContainer(sessions, record, result.pod, result.containerName, `created copy ${result.copyName}${result.originalDeleted ? ' and deleted the original' : ''}`);
  await sessions.note(record, (r) => r.update({ profile: result.profile }));
  lifecycle.enforceDeadline(api, result);
  logger.info(`copy ${result.namespace}/${result.copyName} of ${podName} runs (profile ${result.profile}; terminal container ${result.containerName})`);
  logger.info(`the same with kubectl (env values left out):\n${kubectlCopyCommand({ context: api.contextName, source: result.source, copy: result.pod, profile: result.profile, sameNode: choices.sameNode })}`);
  if (result.originalDeleted) logger.info(`the original's deletion with kubectl: ${kubectlDeletePodsCommand({ context: api.contextName, namespace, pods: [podName] })}`);
  result.warnings.forEach((w) => logger.warn(`copy: ${w}`));
  if (result.warnings.length > 0) {
    void vscode.window.showWarningMessage(result.warnings[0] + (result.warnings.length > 1 ? ` (+${result.warnings.length - 1} more in the log)` : ''));
  }

  const openTerminal = (args?.openTerminal ?? true) && result.interactive;
  if (openTerminal) {
    const terminal = openAttachTerminal(
      deps.terminals,
      () => Promise.resolve(new AttachTerminal(api, { namespace, podName: result.copyName, containerName: result.containerName, ...(choices.debugImage !== null ? { image: choices.debugImage } : {}), profile: result.profile })),
      result.copyName,
      result.containerName,
      { recording: () => sessions.recorder(record, 'copy') },
    );
    lifecycle.terminalOpened(api, result, terminal, record);
  } else {
    await sessions.note(record, (r) => r.end({ status: 'completed', message: result.interactive ? 'no terminal requested' : 'no terminal: no container of the copy has stdin/TTY' }));
  }
  const how = openTerminal ? `attached to ${result.containerName}` : result.interactive ? `attach to ${result.containerName} from the Clusters view` : 'no container has a TTY; use Open Shell or Show Logs on it';
  void vscode.window.showInformationMessage(
    `Copy ${result.copyName} of ${where} runs (${how})${result.originalDeleted ? '; the original was deleted' : ''}. Clean Up Debug Pods removes it later.`,
  );
  return {
    context: api.contextName,
    namespace: result.namespace,
    sourcePod: podName,
    copyName: result.copyName,
    container: result.containerName,
    ...(result.debugContainerName !== undefined ? { debugContainer: result.debugContainerName } : {}),
    originalDeleted: result.originalDeleted,
    terminalOpened: openTerminal,
  };
}

/** Shows why the pod crashes (reason, exit code, last log lines) before asking what the copy should do. */
async function acknowledgeCrash(where: string, crash: CrashInfo): Promise<boolean> {
  const answer = await vscode.window.showWarningMessage(
    `${where} is crashing: ${crashHeadline(crash)}`,
    { modal: true, detail: `${crashDetail(crash)}\n\nThe copy can keep the crashing container alive (its command replaced by a sleep loop) next to a debug container, so you can look at it.` },
    'Continue',
  );
  return answer === 'Continue';
}

/** The same settings as Attach Debug Container's (a copy's wait has its own default timeout). */
export function copySettings(settings: EphemeralDebugSettings): CopySettings {
  return attachSettings(settings);
}

function callbacks(deps: FeatureDependencies, settings: EphemeralDebugSettings, interactive: boolean, report: (message: string) => void): CopyCallbacks {
  return {
    onProgress: (message) => {
      deps.logger.debug(`copy: ${message}`);
      report(message);
    },
    onWarning: (message) => deps.logger.warn(`copy: ${message}`),
    // Follows the setting even without prompts, as Attach Debug Container does.
    confirmPrivileged: async (info) => {
      if (!settings.confirmPrivilegedProfiles) return true;
      const answer = await vscode.window.showWarningMessage(
        `Profile "${info.profile}" gives the debug container in the copy of ${info.podName} ${info.grants.join(', ')}.`,
        { modal: true, detail: `${info.profileReason}\n\nIt can read and change the copy's processes and memory. (Setting ephemeralDebug.confirmPrivilegedProfiles turns this question off.)` },
        'Create Copy',
      );
      return answer === 'Create Copy';
    },
    // Asked by the engine once the copy runs; automation that passed replace: true already said yes.
    confirmDeleteOriginal: async (info) => {
      if (!interactive) return true;
      const answer = await vscode.window.showWarningMessage(
        `Copy ${info.copyName} runs. Delete the original pod ${info.namespace}/${info.podName}?`,
        {
          modal: true,
          detail: info.owner !== undefined ? `It is managed by ${info.owner}, which will create a new pod in its place.` : 'No controller manages it: once deleted, it does not come back.',
        },
        'Delete Original',
      );
      return answer === 'Delete Original';
    },
  };
}
