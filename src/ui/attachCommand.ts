/**
 * `ephemeralDebug.attach`: from our tree (pod or container node), the Cluster Explorer (pod node), the palette
 * (context → namespace → pod) or with arguments (keybindings, tests, other extensions). Picks options, runs
 * the attach engine (src/debug/attachFlow) under a cancellable progress notification, remembers the image and
 * opens the attach terminal.
 */
import * as vscode from 'vscode';
import type { Logger } from '../cluster/clusterApi';
import { attachDebugContainer, type AttachCallbacks, type AttachResult } from '../debug/attachFlow';
import { debugContainerReach } from '../debug/debugContainers';
import { kubectlDebugCommand } from '../debug/kubectlEquivalent';
import { AttachTerminal } from '../terminal/attachTerminal';
import { runAttachPicker, type PickerStart } from './attachPicker';
import { ClusterExplorerBridge } from './clusterExplorerBridge';
import type { ExplorerNode } from './clusterTree';
import type { Clusters } from './clusters';
import type { ErrorPresenter } from './errorPresenter';
import { isCancellation } from './pure/errorText';
import { attachSettings, normalizeAttachArguments, rememberImage, type NormalizedAttachArguments } from './pure/attachPlan';
import { SETTING, SETTINGS_SECTION, type EphemeralDebugSettings } from './pure/settingsModel';
import type { SettingsReader } from './settings';
import type { SessionTerminalOptions, Terminals } from './terminals';
import type { DebugSessions } from './debugSessions';
import type { TimeLimits } from './timeLimits';
import { journalDebugContainer } from './sessionDetails';

export { attachSettings };

const RECENT_IMAGES_KEY = 'ephemeralDebug.recentImages';

/** What the command resolves to, for callers that passed arguments. */
export interface AttachCommandResult {
  readonly context: string | undefined;
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly image: string;
  readonly targetContainer?: string;
  readonly profile?: string;
  readonly reattached: boolean;
}

export interface AttachDependencies {
  readonly clusters: Clusters;
  readonly settings: SettingsReader;
  readonly errors: ErrorPresenter;
  readonly terminals: Terminals;
  readonly clusterExplorer: ClusterExplorerBridge;
  readonly globalState: vscode.Memento;
  readonly logger: Logger;
  readonly sessions: DebugSessions;
  readonly timeLimits: TimeLimits;
}

export function isExplorerNode(value: unknown): value is ExplorerNode {
  const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  const descriptor = record?.descriptor as Record<string, unknown> | undefined;
  return typeof record?.id === 'string' && typeof descriptor === 'object' && descriptor !== null && typeof descriptor.kind === 'string';
}

export class AttachCommand {
  constructor(private readonly deps: AttachDependencies) {}

  recentImages(): readonly string[] {
    const stored = this.deps.globalState.get<unknown>(RECENT_IMAGES_KEY);
    return Array.isArray(stored) ? stored.filter((i): i is string => typeof i === 'string') : [];
  }

  async run(arg?: unknown): Promise<AttachCommandResult | undefined> {
    const { errors, logger } = this.deps;
    let start: PickerStart;
    let args: NormalizedAttachArguments;
    try {
      ({ start, args } = await this.resolveInvocation(arg));
    } catch (error) {
      void errors.show(error, 'Attach Debug Container');
      return undefined;
    }
    const settings = this.deps.settings.current;
    let picked;
    try {
      picked = await runAttachPicker(
        {
          settings,
          recentImages: this.recentImages(),
          contexts: () => this.deps.clusters.contexts(),
          activeContext: await this.deps.clusters.activeContext(),
          api: (context) => this.deps.clusters.api(context),
        },
        start,
        args,
      );
    } catch (error) {
      void errors.show(error, 'Attach Debug Container');
      return undefined;
    }
    if (picked === undefined) {
      logger.debug('Attach Debug Container dismissed');
      return undefined;
    }
    const { context, namespace, pod, choices } = picked;
    const podName = pod.metadata?.name ?? '';
    const where = `${namespace}/${podName}`;
    let result: AttachResult;
    const { sessions } = this.deps;
    const sessionId = sessions.newId();
    let record: Awaited<ReturnType<DebugSessions['begin']>>;
    try {
      const api = await this.deps.clusters.api(context);
      record = await sessions.begin('attach', api, { namespace, pod: podName, image: choices.image, profile: choices.profile, ...(choices.target !== undefined ? { targetContainer: choices.target } : {}) }, sessionId);
      result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Debug container for ${where}`, cancellable: true },
        async (progress, token) => {
          const abort = new AbortController();
          const subscription = token.onCancellationRequested(() => abort.abort());
          try {
            return await attachDebugContainer(
              api,
              {
                namespace,
                podName,
                image: choices.image,
                // undefined in the choices is the picker's "no target" (the engine would complete a default).
                targetContainer: choices.target ?? null,
                ...(choices.name !== undefined ? { name: choices.name } : {}),
                profile: choices.profile,
                ...(choices.command.length > 0 ? { command: choices.command } : {}),
                ...(choices.env.length > 0 ? { env: choices.env } : {}),
                ...(choices.customSpec !== undefined ? { custom: choices.customSpec } : {}),
                sessionId,
              },
              attachSettings(settings),
              this.callbacks(settings, args, (message) => progress.report({ message })),
              abort.signal,
            );
          } finally {
            subscription.dispose();
          }
        },
      );
    } catch (error) {
      await sessions.note(record, (r) => r.end({ status: isCancellation(error) ? 'cancelled' : 'failed', message: error instanceof Error ? error.message : String(error) }));
      void errors.show(error, `Attach to ${where}`);
      return undefined;
    }
    const api = await this.deps.clusters.api(context);
    await journalDebugContainer(sessions, record, result.pod, result.containerName, result.reattached ? 'reattached to the running debug container' : 'added the debug container');
    this.deps.timeLimits.track(api, result.pod, result.containerName);
    await this.deps.globalState.update(RECENT_IMAGES_KEY, rememberImage(this.recentImages(), choices.image));
    logger.info(
      `${result.reattached ? 'reattaching to' : 'added'} debug container ${result.containerName} in ${where} (image ${result.image}${result.profile !== undefined ? `, profile ${result.profile}` : ''}${result.targetContainer !== undefined ? `, target ${result.targetContainer}` : ''})`,
    );
    const added = result.reattached ? undefined : result.pod.spec?.ephemeralContainers?.find((c) => c.name === result.containerName);
    if (added !== undefined) {
      logger.info(`the same with kubectl (env values left out):\n${kubectlDebugCommand({ context, namespace, pod: podName, container: added, profile: result.profile })}`);
    }
    if (result.warnings.length > 0) {
      void vscode.window.showWarningMessage(result.warnings[0] + (result.warnings.length > 1 ? ` (+${result.warnings.length - 1} more in the log)` : ''));
    }
    if (args.openTerminal) {
      if (result.interactive) {
        openAttachTerminal(this.deps.terminals, () => Promise.resolve(new AttachTerminal(api, { namespace, podName, containerName: result.containerName, image: result.image, profile: result.profile, targetContainer: result.targetContainer, reach: debugContainerReach(result.pod, result.targetContainer) })), podName, result.containerName, {
          recording: () => sessions.recorder(record, 'attach'),
          onClosed: () => void sessions.note(record, (r) => r.end({ status: 'completed', message: 'terminal closed' })),
        });
      } else {
        await sessions.note(record, (r) => r.end({ status: 'completed', message: 'no terminal: the container has no stdin/TTY' }));
        void vscode.window.showInformationMessage(`Debug container ${result.containerName} runs without a terminal (no stdin/TTY); use Show Logs or Open Shell on it.`);
      }
    } else {
      await sessions.note(record, (r) => r.end({ status: 'completed', message: 'no terminal requested' }));
    }
    return {
      context,
      namespace,
      pod: podName,
      container: result.containerName,
      image: result.image,
      ...(result.targetContainer !== undefined ? { targetContainer: result.targetContainer } : {}),
      ...(result.profile !== undefined ? { profile: result.profile } : {}),
      reattached: result.reattached,
    };
  }

  /** Where the command was invoked and with which arguments. */
  private async resolveInvocation(arg: unknown): Promise<{ start: PickerStart; args: NormalizedAttachArguments }> {
    const defaults = normalizeAttachArguments(undefined);
    if (!('value' in defaults)) {
      throw new Error(defaults.error);
    }
    if (isExplorerNode(arg)) {
      const d = arg.descriptor;
      if (d.namespace === undefined || d.pod === undefined) {
        throw new Error('choose a pod or a container to debug');
      }
      // A regular (or sidecar) container node: it is the target.
      const presetTarget = d.kind === 'container' && d.containerKind !== 'ephemeral' ? d.container : undefined;
      return { start: { context: d.contextName, namespace: d.namespace, pod: d.pod, ...(presetTarget !== undefined ? { presetTarget } : {}) }, args: defaults.value };
    }
    if (ClusterExplorerBridge.looksLikeClusterExplorerNode(arg)) {
      const resolved = await this.deps.clusterExplorer.resolvePod(arg);
      if ('error' in resolved) {
        throw new Error(resolved.error);
      }
      // The Cluster Explorer shows the kubeconfig's current context (it follows vs-kubernetes.kubeconfig, as we do).
      const context = await this.deps.clusters.kubeconfigCurrentContext();
      return { start: { ...(context !== undefined ? { context } : {}), ...resolved.value }, args: defaults.value };
    }
    const normalized = normalizeAttachArguments(arg);
    if ('error' in normalized) {
      throw new Error(normalized.error);
    }
    const args = normalized.value;
    return {
      start: {
        ...(args.context !== undefined ? { context: args.context } : {}),
        ...(args.namespace !== undefined ? { namespace: args.namespace } : {}),
        ...(args.pod !== undefined ? { pod: args.pod } : {}),
      },
      args,
    };
  }

  private callbacks(settings: EphemeralDebugSettings, args: NormalizedAttachArguments, report: (message: string) => void): AttachCallbacks {
    return {
      onProgress: (message) => {
        this.deps.logger.debug(`attach: ${message}`);
        report(message);
      },
      onWarning: (message) => this.deps.logger.warn(`attach: ${message}`),
      chooseReattach: async (existing) => {
        if (args.reuse === 'reattach') {
          return 'reattach';
        }
        if (args.reuse === 'new') {
          return 'add-new';
        }
        const first = existing[0];
        const target = first.targetContainerName !== undefined ? ` targeting ${first.targetContainerName}` : '';
        const answer = await vscode.window.showInformationMessage(
          `Debug container ${first.name} (${first.image}${target}) is already running in this pod.`,
          { modal: true, detail: 'Reattach to it, or add another one (ephemeral containers cannot be removed, so each one stays in the pod).' },
          'Reattach',
          'Add New',
        );
        return answer === 'Reattach' ? 'reattach' : answer === 'Add New' ? 'add-new' : 'cancel';
      },
      confirmPrivileged: async (info) => {
        if (!settings.confirmPrivilegedProfiles) {
          return true;
        }
        const answer = await vscode.window.showWarningMessage(
          `Profile "${info.profile}" gives the debug container in ${info.podName} ${info.grants.join(', ')}.`,
          { modal: true, detail: `${info.profileReason}\n\nIt can read and change the target's processes and memory. (Setting ephemeralDebug.confirmPrivilegedProfiles turns this question off.)` },
          'Add Debug Container',
        );
        return answer === 'Add Debug Container';
      },
      acknowledgePermanent: async (info) => {
        if (!settings.showEphemeralNotice) {
          return true;
        }
        const dontShow = 'Add, and Don’t Show Again';
        const answer = await vscode.window.showInformationMessage(
          `Ephemeral containers cannot be removed from ${info.namespace}/${info.podName}.`,
          { modal: true, detail: 'The debug container stays in the pod spec until the pod is replaced; Stop Debug Container ends its processes, and it then holds nothing.' },
          'Add',
          dontShow,
        );
        if (answer === dontShow) {
          await vscode.workspace.getConfiguration(SETTINGS_SECTION).update(SETTING.showEphemeralNotice, false, vscode.ConfigurationTarget.Global);
        }
        return answer === 'Add' || answer === dontShow;
      },
    };
  }
}

export function openAttachTerminal(
  terminals: Terminals,
  connect: () => Promise<AttachTerminal>,
  podName: string,
  containerName: string,
  journal: Pick<SessionTerminalOptions, 'recording' | 'onClosed'> = {},
): vscode.Terminal {
  return terminals.openSession({ name: `Debug: ${podName}/${containerName}`, icon: 'debug', connect, reattachLabel: 'reattach', ...journal });
}
