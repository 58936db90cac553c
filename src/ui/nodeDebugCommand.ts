/**
 * "Debug Node…" on a node of the Clusters view (or with arguments): image (the attach picker's default and
 * presets, or a custom one), profile (kubectl's node profiles, general first) and namespace, then the engine
 * (src/debug/nodeDebugFlow.ts) under a cancellable progress notification, a journaled 'node' session, the
 * equivalent kubectl command in the log, and an attach terminal on the pod. "Copy kubectl Command" on a node
 * debug pod puts `kubectl debug node/…` on the clipboard. The node's filesystem opens with Open Target
 * Filesystem on the pod's debugger container (the root-path variant at /host).
 */
import * as vscode from 'vscode';
import { describeNodeProfile, NODE_DEBUG_PROFILES } from '../debug/debugContainerSpec';
import { imageEntries } from './pure/attachPlan';
import { describeAllowedImages } from './pure/settingsModel';
import { debugNode, type NodeDebugResult } from '../debug/nodeDebugFlow';
import { kubectlDebugNodeCommand } from '../debug/kubectlEquivalent';
import { parseImageReference } from '../debug/imageReference';
import { isNamedProfile, type NamedProfile } from '../debug/profiles';
import { NODE_HOST_ROOT } from '../debug/nodeDebugPods';
import { AttachTerminal } from '../terminal/attachTerminal';
import { isExplorerNode, openAttachTerminal } from './attachCommand';
import type { FeatureDependencies } from './featureDependencies';
import { withCancellableProgress } from './podTarget';
import { isCancellation } from './pure/errorText';

const TITLE = 'Debug Node';

/** What `ephemeralDebug.debugNode` resolves to, for callers that passed arguments (tests, keybindings). */
export interface NodeDebugCommandResult {
  readonly context: string;
  readonly namespace: string;
  readonly node: string;
  readonly pod: string;
  readonly container: string;
  readonly profile: NamedProfile;
  readonly kubectlCommand: string;
  readonly terminalOpened: boolean;
}

interface NodeDebugArguments {
  readonly context?: string;
  readonly node: string;
  readonly namespace?: string;
  readonly image?: string;
  readonly profile?: NamedProfile;
  /** Default true. */
  readonly openTerminal?: boolean;
  /** false: no question at all (automation): defaults are used and the privileged confirmation follows its setting. */
  readonly interactive?: boolean;
}

export function registerNodeDebugCommands(deps: FeatureDependencies): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('ephemeralDebug.debugNode', (arg?: unknown) => debugNodeCommand(deps, arg)),
    vscode.commands.registerCommand('ephemeralDebug.copyNodeDebugKubectlCommand', (arg?: unknown) => copyNodeDebugKubectlCommand(deps, arg)),
  ];
}

function parseArguments(arg: unknown): NodeDebugArguments | undefined {
  if (isExplorerNode(arg)) {
    const d = arg.descriptor;
    if (d.kind !== 'node' || d.nodeName === undefined) throw new Error('Debug Node: choose a node in the Nodes folder of a cluster');
    return { context: d.contextName, node: d.nodeName };
  }
  if (typeof arg !== 'object' || arg === null || Array.isArray(arg)) return undefined;
  const a = arg as Record<string, unknown>;
  const text = (key: string): string | undefined => {
    const value = a[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value === '') throw new Error(`Debug Node: "${key}" must be a non-empty string`);
    return value;
  };
  const node = text('node');
  if (node === undefined) throw new Error('Debug Node: the arguments must name a node, e.g. { node: "worker-1", image: "busybox:1.36" }');
  const profile = text('profile');
  if (profile !== undefined && !(isNamedProfile(profile) && NODE_DEBUG_PROFILES.includes(profile))) throw new Error(`Debug Node: unknown profile "${profile}"; use one of ${NODE_DEBUG_PROFILES.join(', ')}`);
  const flag = (key: string): boolean | undefined => {
    if (a[key] !== undefined && typeof a[key] !== 'boolean') throw new Error(`Debug Node: "${key}" must be true or false`);
    return a[key] as boolean | undefined;
  };
  return { context: text('context'), node, namespace: text('namespace'), image: text('image'), ...(profile !== undefined ? { profile: profile as NamedProfile } : {}), openTerminal: flag('openTerminal'), interactive: flag('interactive') };
}

export async function debugNodeCommand(deps: FeatureDependencies, arg: unknown): Promise<NodeDebugCommandResult | undefined> {
  const { errors, logger, sessions } = deps;
  let args: NodeDebugArguments | undefined;
  try {
    args = parseArguments(arg);
  } catch (error) {
    void errors.show(error, TITLE);
    return undefined;
  }
  if (args === undefined) {
    void vscode.window.showInformationMessage('Debug Node: expand Nodes under a cluster in the Clusters view and choose a node.');
    return undefined;
  }
  const settings = deps.settings.current;
  const interactive = args.interactive ?? !(typeof arg === 'object' && arg !== null && !isExplorerNode(arg));
  let api;
  try {
    api = await deps.clusters.api(args.context);
  } catch (error) {
    void errors.show(error, TITLE);
    return undefined;
  }
  const { node } = args;
  let image = args.image ?? defaultNodeImage(settings);
  let profile: NamedProfile = args.profile ?? 'general';
  let namespace = args.namespace ?? api.defaultNamespace;
  if (interactive) {
    const picked = await pickNodeDebugChoices(node, settings, { image, profile, namespace });
    if (picked === undefined) return undefined;
    ({ image, profile, namespace } = picked);
  }

  const sessionId = sessions.newId();
  const record = await sessions.begin('node', api, { namespace, pod: `node/${node}`, node, image, profile }, sessionId);
  let result: NodeDebugResult;
  try {
    result = await withCancellableProgress(`Debug node ${node}`, (report, signal) =>
      debugNode(api, { nodeName: node, namespace, image, profile, sessionId }, {
        policy: settings.policy,
        skipPrivilegedConfirmation: !settings.confirmPrivilegedProfiles,
        waitTimeoutMs: Math.max(settings.waitTimeoutSeconds * 1000, 180_000),
      }, {
        onProgress: (message) => {
          logger.debug(`debug node: ${message}`);
          report(message);
        },
        onWarning: (message) => logger.warn(`debug node: ${message}`),
        onCreated: (created) => {
          void sessions.note(record, (r) => r.update({ pod: created.metadata?.name ?? '', container: 'debugger' }));
          try {
            logger.info(`debug node: the kubectl command that makes the same pod:\n${kubectlDebugNodeCommand(created, api.contextName)}`);
          } catch (error) {
            logger.warn(`debug node: ${error instanceof Error ? error.message : String(error)}`);
          }
        },
        confirmPrivileged: async (info) => {
          const answer = await vscode.window.showWarningMessage(
            `Debug node ${info.nodeName} with profile "${info.profile}": ${info.grants.join(', ')}.`,
            { modal: true, detail: `The pod gets ${info.hostAccess}. It can read and change the node and every pod on it. (Setting ephemeralDebug.confirmPrivilegedProfiles turns this question off.)` },
            'Debug Node',
          );
          return answer === 'Debug Node';
        },
      }, signal),
    );
  } catch (error) {
    await sessions.note(record, (r) => r.end({ status: isCancellation(error) ? 'cancelled' : 'failed', message: error instanceof Error ? error.message : String(error) }));
    void errors.show(error, `Debug node ${node}`);
    return undefined;
  }
  await sessions.note(record, (r) => r.action(`created node debug pod ${result.namespace}/${result.podName} on node ${node}`, { profile: result.profile, hostRoot: result.hostRoot, hostNamespaces: result.hostNamespaces }));
  result.warnings.forEach((w) => logger.warn(`debug node: ${w}`));
  const kubectlCommand = kubectlDebugNodeCommand(result.pod, api.contextName);
  logger.info(`debug node: ${result.namespace}/${result.podName} runs on node ${node} (profile ${result.profile}: ${result.profileReason})`);

  const openTerminal = args.openTerminal ?? true;
  if (openTerminal) {
    const reach = `${result.profileReason}${result.hostRoot ? ` (the node's / is at ${NODE_HOST_ROOT}; chroot ${NODE_HOST_ROOT} for its tools)` : ''}`;
    openAttachTerminal(
      deps.terminals,
      () => Promise.resolve(new AttachTerminal(api, { namespace: result.namespace, podName: result.podName, containerName: result.containerName, image, profile: result.profile, reach })),
      result.podName,
      result.containerName,
      { recording: () => sessions.recorder(record, 'node'), onClosed: () => void sessions.note(record, (r) => r.end({ status: 'completed' })) },
    );
  } else {
    await sessions.note(record, (r) => r.end({ status: 'completed', message: 'no terminal requested' }));
  }
  if (interactive) {
    void vscode.window.showInformationMessage(`Node debug pod ${result.podName} runs on ${node}. Clean Up Debug Pods removes it.`, ...(result.hostRoot ? ['Open Node Filesystem'] : []), 'Copy kubectl Command').then(async (answer) => {
      if (answer === 'Copy kubectl Command') await vscode.env.clipboard.writeText(kubectlCommand);
      if (answer === 'Open Node Filesystem') {
        await vscode.commands.executeCommand('ephemeralDebug.openTargetFilesystem', {
          id: `container:${api.contextName}/${result.namespace}/${result.podName}/regular/${result.containerName}`,
          descriptor: { kind: 'container', contextName: api.contextName, namespace: result.namespace, pod: result.podName, container: result.containerName, containerKind: 'regular' },
        });
      }
    });
  }
  return { context: api.contextName, namespace: result.namespace, node, pod: result.podName, container: result.containerName, profile: result.profile, kubectlCommand, terminalOpened: openTerminal };
}

/** The attach picker's default image when the policy allows it, else the first allowed preset. */
function defaultNodeImage(settings: FeatureDependencies['settings']['current']): string {
  const first = imageEntries({ ...settings, templates: [] }, []).find((e) => e.kind === 'image');
  return first !== undefined && first.kind === 'image' ? first.image : settings.defaultImage;
}

interface NodeDebugChoices {
  readonly image: string;
  readonly profile: NamedProfile;
  readonly namespace: string;
}

async function pickNodeDebugChoices(node: string, settings: FeatureDependencies['settings']['current'], start: NodeDebugChoices): Promise<NodeDebugChoices | undefined> {
  const title = `${TITLE} ${node}`;
  type ImageItem = vscode.QuickPickItem & { readonly image?: string };
  const imageItems: ImageItem[] = imageEntries({ ...settings, templates: [] }, []).map((e): ImageItem => (e.kind === 'image'
    ? { label: e.image, description: e.description, iconPath: new vscode.ThemeIcon('package'), image: e.image }
    : { label: 'Custom image…', description: describeAllowedImages(settings.policy) !== undefined ? `allowed: ${describeAllowedImages(settings.policy)}` : undefined, iconPath: new vscode.ThemeIcon('edit') }));
  const pickedImage = await vscode.window.showQuickPick(imageItems, { title: `${title}: image (1/3)`, placeHolder: 'Debug image: busybox is enough for ps, chroot /host and the node\'s files', ignoreFocusOut: true });
  if (pickedImage === undefined) return undefined;
  let image = pickedImage.image;
  if (image === undefined) {
    image = (await vscode.window.showInputBox({
      title: `${title}: image (1/3)`, prompt: 'Image reference', value: start.image, ignoreFocusOut: true,
      validateInput: (value) => {
        const parsed = parseImageReference(value.trim());
        return 'error' in parsed ? `invalid image reference: ${parsed.error}` : undefined;
      },
    }))?.trim();
    if (image === undefined || image === '') return undefined;
  }
  const profileItems = NODE_DEBUG_PROFILES.map((p) => ({ label: p, description: p === 'general' ? "kubectl's default" : undefined, detail: describeNodeProfile(p), profile: p }));
  const pickedProfile = await vscode.window.showQuickPick(profileItems, { title: `${title}: profile (2/3)`, placeHolder: 'Profile (as kubectl debug node/… applies it)', ignoreFocusOut: true });
  if (pickedProfile === undefined) return undefined;
  const namespace = (await vscode.window.showInputBox({
    title: `${title}: namespace (3/3)`, prompt: 'Namespace to create the node debug pod in (it must allow privileged pods for host access)', value: start.namespace, ignoreFocusOut: true,
    validateInput: (value) => (/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value.trim()) ? undefined : 'a namespace name: lowercase letters, digits and -'),
  }))?.trim();
  if (namespace === undefined || namespace === '') return undefined;
  return { image, profile: pickedProfile.profile, namespace };
}

async function copyNodeDebugKubectlCommand(deps: FeatureDependencies, arg: unknown): Promise<string | undefined> {
  try {
    if (!isExplorerNode(arg) || arg.descriptor.kind !== 'pod' || arg.descriptor.namespace === undefined || arg.descriptor.pod === undefined) {
      throw new Error('Copy kubectl Command: choose a node debug pod in the Clusters view');
    }
    const d = arg.descriptor;
    const api = await deps.clusters.api(d.contextName || undefined);
    const command = kubectlDebugNodeCommand(await api.readPod(d.namespace!, d.pod!), api.contextName);
    await vscode.env.clipboard.writeText(command);
    deps.logger.info(`kubectl command that makes a node debug pod like ${d.pod}:\n${command}`);
    void vscode.window.showInformationMessage(`Copied the kubectl command that makes a node debug pod like ${d.pod} (see the log).`);
    return command;
  } catch (error) {
    void deps.errors.show(error, 'Copy kubectl Command');
    return undefined;
  }
}
