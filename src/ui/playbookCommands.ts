/**
 * Playbooks in the editor: the Playbooks view (built-ins and the user's, from ephemeralDebug.playbooks), "Run
 * Playbook…" (pod → playbook, the pod's suggestion first → inputs → steps streamed into a terminal, artifacts
 * and a transcript kept with the session), and the "Debug" quick action on troubled pods, which starts from the
 * pod's suggestion (a copy for a crashing pod, memory for OOMKilled, health and network for failing readiness,
 * the reason when it cannot be debugged yet).
 */
import type { V1Pod } from '@kubernetes/client-node';
import * as vscode from 'vscode';
import { attachDebugContainer } from '../debug/attachFlow';
import type { NamedProfile } from '../debug/profiles';
import { BUILT_IN_PLAYBOOKS } from '../playbooks/catalog';
import { defaultInputs } from '../playbooks/inputs';
import { mergePlaybooks } from '../playbooks/normalize';
import { runPlaybook, type PlaybookRun } from '../playbooks/runner';
import { suggestPlaybooks, type Suggestion } from '../playbooks/suggest';
import type { Playbook } from '../playbooks/types';
import { attachSettings } from './attachCommand';
import { privilegedProfileConfirmation } from './pure/attachPlan';
import type { FeatureDependencies } from './featureDependencies';
import { PlaybookTerminal } from './playbookTerminal';
import { resolvePodTarget, type PodTarget } from './podTarget';
import { isCancellation } from './pure/errorText';
import { artifactKindFor, renderPlaybookTranscript } from '../playbooks/transcript';
import { journalDebugContainer } from './sessionDetails';

export const PLAYBOOK_CONTEXT_VALUE = 'ephemeralDebug.playbook';

interface PlaybookNode {
  readonly playbook: Playbook;
}

function isPlaybookNode(value: unknown): value is PlaybookNode {
  return typeof value === 'object' && value !== null && typeof (value as PlaybookNode).playbook?.id === 'string';
}

class PlaybooksTree implements vscode.TreeDataProvider<PlaybookNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly deps: FeatureDependencies) {
    this.subscription = deps.settings.onDidChange(() => this.changed.fire());
  }

  getChildren(element?: PlaybookNode): PlaybookNode[] {
    return element === undefined ? allPlaybooks(this.deps).map((playbook) => ({ playbook })) : [];
  }

  getTreeItem({ playbook }: PlaybookNode): vscode.TreeItem {
    const item = new vscode.TreeItem(playbook.title, vscode.TreeItemCollapsibleState.None);
    item.id = `playbook:${playbook.id}`;
    item.description = `${playbook.image} · ${playbook.profile}`;
    item.tooltip = new vscode.MarkdownString(
      `**${playbook.title}**\n\n${playbook.description}\n\nImage \`${playbook.image}\`, profile \`${playbook.profile}\`\n\n${playbook.steps.map((s, i) => `${i + 1}. ${s.title}${s.output === 'artifact' ? ' (artifact)' : ''}`).join('\n')}`,
    );
    item.iconPath = new vscode.ThemeIcon(playbook.runtime !== undefined ? 'symbol-method' : 'notebook');
    item.contextValue = PLAYBOOK_CONTEXT_VALUE;
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

export function allPlaybooks(deps: Pick<FeatureDependencies, 'settings'>): Playbook[] {
  return mergePlaybooks(BUILT_IN_PLAYBOOKS, deps.settings.current.playbooks);
}

export interface PlaybookCommandResult {
  readonly playbookId: string;
  readonly ok: boolean;
  readonly containerName: string;
  readonly steps: readonly { readonly title: string; readonly status: string; readonly exitCode?: number }[];
  readonly transcriptPath?: string;
  readonly artifacts: readonly string[];
}

export function registerPlaybookCommands(deps: FeatureDependencies): vscode.Disposable[] {
  const tree = new PlaybooksTree(deps);
  return [
    tree,
    vscode.window.createTreeView('ephemeralDebug.playbooks', { treeDataProvider: tree }),
    vscode.commands.registerCommand('ephemeralDebug.runPlaybook', (arg?: unknown) => runPlaybookCommand(deps, arg)),
    vscode.commands.registerCommand('ephemeralDebug.debugPod', (arg?: unknown) => debugQuickAction(deps, arg)),
  ];
}

/** "Debug" on a troubled pod: start from what its state suggests. */
async function debugQuickAction(deps: FeatureDependencies, arg: unknown): Promise<void> {
  let target: PodTarget | undefined;
  try {
    target = await resolvePodTarget(arg, deps, 'Debug');
  } catch (error) {
    void deps.errors.show(error, 'Debug');
    return;
  }
  if (target === undefined) return;
  const { first, others } = suggestPlaybooks(target.pod, allPlaybooks(deps));
  if (first.kind === 'cannot-debug') {
    const answer = await vscode.window.showWarningMessage(`${target.namespace}/${target.podName} cannot be debugged yet: ${first.reason}`, 'Show Logs');
    if (answer === 'Show Logs') await vscode.commands.executeCommand('ephemeralDebug.showLogs', arg);
    return;
  }
  if (first.kind === 'debug-copy') {
    // The copy command shows the crash (reason, last log lines) and offers keeping the app alive.
    await vscode.commands.executeCommand('ephemeralDebug.debugCopy', arg);
    return;
  }
  type Item = vscode.QuickPickItem & { run: () => Thenable<unknown> };
  const playbookItem = (s: Suggestion, suggested: boolean): Item | undefined => {
    if (s.kind !== 'playbook') return undefined;
    const playbook = allPlaybooks(deps).find((p) => p.id === s.playbookId);
    return playbook === undefined ? undefined : {
      label: `${suggested ? '$(lightbulb) ' : '$(notebook) '}Run Playbook: ${playbook.title}`,
      description: suggested ? 'suggested' : undefined,
      detail: s.reason,
      run: () => runPlaybookCommand(deps, { ...podArgs(target!), playbook: playbook.id }),
    };
  };
  const items: Item[] = [
    playbookItem(first, true),
    { label: '$(debug) Attach Debug Container…', run: () => vscode.commands.executeCommand('ephemeralDebug.attach', arg) },
    { label: '$(files) Debug a Copy of Pod…', run: () => vscode.commands.executeCommand('ephemeralDebug.debugCopy', arg) },
    ...others.map((s) => playbookItem(s, false)),
  ].filter((i): i is Item => i !== undefined);
  const picked = await vscode.window.showQuickPick(items, { title: `Debug ${target.namespace}/${target.podName}`, placeHolder: first.reason, matchOnDetail: true });
  await picked?.run();
}

function podArgs(target: PodTarget): Record<string, string> {
  return { context: target.api.contextName, namespace: target.namespace, pod: target.podName, ...(target.container !== undefined && target.containerKind !== 'ephemeral' ? { container: target.container } : {}) };
}

/**
 * Run Playbook…: from a playbook node (then a pod is asked for), a pod or container node, a Cluster Explorer
 * pod, or arguments `{ context?, namespace, pod, container?, playbook, inputs?, interactive: false }` (no
 * prompts; resolves to a PlaybookCommandResult).
 */
async function runPlaybookCommand(deps: FeatureDependencies, arg: unknown): Promise<PlaybookCommandResult | undefined> {
  const title = 'Run Playbook';
  const fromNode = isPlaybookNode(arg) ? arg.playbook : undefined;
  let target: PodTarget | undefined;
  try {
    target = await resolvePodTarget(fromNode !== undefined ? undefined : arg, deps, title);
  } catch (error) {
    void deps.errors.show(error, title);
    return undefined;
  }
  if (target === undefined) return undefined;
  const interactive = target.args.interactive !== false;
  const playbooks = allPlaybooks(deps);
  let playbook = fromNode ?? (typeof target.args.playbook === 'string' ? playbooks.find((p) => p.id === target!.args.playbook) : undefined);
  if (playbook === undefined && typeof target.args.playbook === 'string') {
    void deps.errors.show(new Error(`no playbook "${target.args.playbook}"; known: ${playbooks.map((p) => p.id).join(', ')}`), title);
    return undefined;
  }
  if (playbook === undefined) {
    if (!interactive) {
      void deps.errors.show(new Error('"playbook" is required with "interactive": false'), title);
      return undefined;
    }
    playbook = await pickPlaybook(target, playbooks);
    if (playbook === undefined) return undefined;
  }
  const container = playbookContainer(target, playbook);
  const inputs = await askInputs(playbook, target.pod, container ?? undefined, interactive ? undefined : target.args.inputs);
  if (inputs === undefined) return undefined;
  return execute(deps, target, playbook, container, inputs, interactive);
}

/**
 * The app container a playbook's debug container targets: the container node's; on a debug container's node,
 * none for a playbook that needs only the pod's network when that debug container has no target either (what
 * the user chose), else its target (or the pod's first container).
 */
function playbookContainer(target: PodTarget, playbook: Playbook): string | null | undefined {
  if (target.containerKind !== 'ephemeral') return target.container;
  const debugContainer = target.pod.spec?.ephemeralContainers?.find((c) => c.name === target.container);
  if (debugContainer?.targetContainerName === undefined && playbook.needsTarget === false) return null;
  return debugContainer?.targetContainerName;
}

async function pickPlaybook(target: PodTarget, playbooks: readonly Playbook[]): Promise<Playbook | undefined> {
  const { first, others } = suggestPlaybooks(target.pod, playbooks);
  const reasons = new Map<string, string>();
  for (const s of [first, ...others]) if (s.kind === 'playbook' && !reasons.has(s.playbookId)) reasons.set(s.playbookId, s.reason);
  const suggestedFirst = first.kind === 'playbook' ? first.playbookId : undefined;
  const ordered = [...playbooks].sort((a, b) => Number(b.id === suggestedFirst) - Number(a.id === suggestedFirst));
  if (first.kind !== 'playbook') {
    void vscode.window.showInformationMessage(`${target.namespace}/${target.podName}: ${first.reason}${first.kind === 'debug-copy' ? ' — consider Debug a Copy of Pod…' : ''}`);
  }
  const picked = await vscode.window.showQuickPick(
    ordered.map((p) => ({
      label: `${p.id === suggestedFirst ? '$(lightbulb) ' : ''}${p.title}`,
      description: `${p.image} · ${p.profile}${p.id === suggestedFirst ? ' · suggested' : ''}`,
      detail: reasons.get(p.id) ?? p.description,
      playbook: p,
    })),
    { title: `Run Playbook on ${target.namespace}/${target.podName}`, matchOnDescription: true, matchOnDetail: true },
  );
  return picked?.playbook;
}

async function askInputs(playbook: Playbook, pod: V1Pod, container: string | undefined, given: unknown): Promise<Record<string, string> | undefined> {
  const values = defaultInputs(playbook, pod, container);
  if (given !== undefined) {
    if (typeof given !== 'object' || given === null) return values;
    for (const [name, value] of Object.entries(given as Record<string, unknown>)) if (typeof value === 'string') values[name] = value;
    return values;
  }
  for (const input of playbook.inputs ?? []) {
    const answer = await vscode.window.showInputBox({ title: playbook.title, prompt: input.prompt, value: values[input.name] ?? '', ignoreFocusOut: true });
    if (answer === undefined) return undefined;
    values[input.name] = answer;
  }
  return values;
}

async function execute(deps: FeatureDependencies, target: PodTarget, playbook: Playbook, container: string | null | undefined, inputs: Record<string, string>, interactive: boolean): Promise<PlaybookCommandResult | undefined> {
  const { api, namespace, podName } = target;
  const { sessions, settings } = deps;
  const sessionId = sessions.newId();
  const record = await sessions.begin('playbook', api, { namespace, pod: podName, image: playbook.image, profile: playbook.profile, ...(typeof container === 'string' ? { targetContainer: container } : {}) }, sessionId);
  await sessions.note(record, (r) => r.action(`playbook ${playbook.id}`, { inputs: Object.keys(inputs).join(', ') }));
  const terminal = new PlaybookTerminal(`Playbook: ${playbook.title} · ${podName}`);
  const abort = new AbortController();
  terminal.onInterrupt(() => abort.abort());
  terminal.show();
  terminal.line(`\x1b[1m${playbook.title}\x1b[0m on ${namespace}/${podName} · image ${playbook.image} · profile ${playbook.profile} · session ${record?.id ?? '(not journaled)'}`);
  const artifacts: string[] = [];
  let run: PlaybookRun;
  try {
    run = await runPlaybook(api, playbook, { namespace, pod: podName, ...(container !== undefined ? { container } : {}) }, {
      sessionId,
      policy: settings.current.policy,
      inputs,
      signal: abort.signal,
      onStepStart: (index, step) => terminal.line(`\r\n\x1b[36m▶ ${index + 1}/${playbook.steps.length} ${step.title}\x1b[0m`),
      onStepOutput: (_index, chunk) => terminal.write(chunk),
      writeArtifact: async (name, content) => {
        const path = await sessions.addArtifact(record, { fileName: name, kind: artifactKindFor(playbook, name), description: `${playbook.title}: ${name} from ${namespace}/${podName}`, mediaType: 'application/octet-stream' }, content);
        if (path !== undefined) artifacts.push(path);
        terminal.line(`\x1b[32m  saved ${name} (${content.length} bytes)${path !== undefined ? ` → ${path}` : ' (the journal is unavailable: not kept)'}\x1b[0m`);
        return path ?? name;
      },
      attach: async (image: string, profile: NamedProfile) => {
        const result = await attachDebugContainer(api, { namespace, podName, image, profile, command: ['sh'], sessionId, ...(container !== undefined ? { targetContainer: container } : {}) }, attachSettings(settings.current), {
          onProgress: (message) => terminal.line(`\x1b[2m${message}\x1b[0m`),
          onWarning: (message) => terminal.line(`\x1b[33m${message}\x1b[0m`),
          chooseReattach: async () => 'add-new',
          confirmPrivileged: privilegedProfileConfirmation(settings.current, interactive, async (info) => (await vscode.window.showWarningMessage(
            `Playbook "${playbook.title}" needs a debug container with ${info.grants.join(', ')} (profile "${info.profile}") in ${info.podName}.`,
            { modal: true, detail: info.profileReason },
            'Add Debug Container',
          )) === 'Add Debug Container'),
          acknowledgePermanent: async () => true,
        }, abort.signal);
        await journalDebugContainer(sessions, record, result.pod, result.containerName, `added debug container ${result.containerName} for the playbook`);
        deps.timeLimits.track(api, result.pod, result.containerName);
        return { containerName: result.containerName };
      },
    });
  } catch (error) {
    terminal.line(`\r\n\x1b[31m${error instanceof Error ? error.message : String(error)}\x1b[0m`);
    terminal.done();
    await sessions.note(record, (r) => r.end({ status: isCancellation(error) || abort.signal.aborted ? 'cancelled' : 'failed', message: error instanceof Error ? error.message : String(error) }));
    if (!isCancellation(error)) void deps.errors.show(error, `Playbook ${playbook.title}`);
    return undefined;
  }
  const transcript = renderPlaybookTranscript(playbook, { namespace, pod: podName, inputs }, run, new Date());
  const transcriptPath = await sessions.addArtifact(record, { fileName: `playbook-${playbook.id}.md`, kind: 'other', description: `${playbook.title}: steps and their output`, mediaType: 'text/markdown' }, transcript);
  for (const step of run.steps) await sessions.note(record, (r) => r.action(`step "${step.title}": ${step.status}${step.exitCode !== undefined ? ` (exit ${step.exitCode})` : ''}`));
  await sessions.note(record, (r) => r.end({ status: run.ok ? 'completed' : 'failed', message: run.ok ? 'every required step succeeded' : 'a required step failed' }));
  terminal.line(`\r\n${run.ok ? '\x1b[32m✔ done' : '\x1b[33m✖ a required step failed'}\x1b[0m${transcriptPath !== undefined ? ` · transcript: ${transcriptPath}` : ''}`);
  terminal.done();
  return {
    playbookId: playbook.id,
    ok: run.ok,
    containerName: run.containerName,
    steps: run.steps.map((s) => ({ title: s.title, status: s.status, ...(s.exitCode !== undefined ? { exitCode: s.exitCode } : {}) })),
    ...(transcriptPath !== undefined ? { transcriptPath } : {}),
    artifacts,
  };
}
