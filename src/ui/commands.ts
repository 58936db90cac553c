/**
 * The node commands of the Clusters view: Reattach, Open Shell, Shell in Target Root, Stop Debug Container,
 * Show Logs, Refresh, filters and Use Context. Thin adapters over src/terminal and src/debug.
 */
import * as vscode from 'vscode';
import type { Logger } from '../cluster/clusterApi';
import { checkReuse } from '../debug/attachFlow';
import { debugContainerReach } from '../debug/debugContainers';
import { kubectlDebugCommand, kubectlStopCommand } from '../debug/kubectlEquivalent';
import { stopDebugContainer } from '../debug/stopDebugContainer';
import { AttachTerminal } from '../terminal/attachTerminal';
import { ExecTerminal } from '../terminal/execTerminal';
import { createTargetRootShell } from '../terminal/targetRootShell';
import { AttachCommand, isExplorerNode, openAttachTerminal } from './attachCommand';
import type { ClusterTreeProvider, ExplorerNode } from './clusterTree';
import type { Clusters } from './clusters';
import type { ErrorPresenter } from './errorPresenter';
import { SETTING } from './pure/settingsModel';
import type { SettingsReader } from './settings';
import type { Terminals } from './terminals';
import type { DebugSessions } from './debugSessions';
import { containerFacts } from './sessionDetails';
import type { WorkloadPods } from './workloadTarget';
import { copyKubectl, copyKubectlForDebugCopy } from './kubectlCommands';

export interface CommandDependencies {
  readonly attach: AttachCommand;
  readonly tree: ClusterTreeProvider;
  readonly clusters: Clusters;
  readonly settings: SettingsReader;
  readonly errors: ErrorPresenter;
  readonly terminals: Terminals;
  readonly sessions: DebugSessions;
  readonly logger: Logger & { show(): void };
  readonly workloadPods: WorkloadPods;
}

interface ContainerRef {
  readonly context: string;
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly kind: 'init' | 'regular' | 'ephemeral';
}

function containerRef(node: unknown): ContainerRef | undefined {
  if (!isExplorerNode(node)) {
    return undefined;
  }
  const d = node.descriptor;
  if (d.kind !== 'container' || d.namespace === undefined || d.pod === undefined || d.container === undefined || d.containerKind === undefined) {
    return undefined;
  }
  return { context: d.contextName, namespace: d.namespace, pod: d.pod, container: d.container, kind: d.containerKind };
}

export function registerCommands(deps: CommandDependencies): vscode.Disposable[] {
  const { clusters, errors, terminals, tree, settings, sessions } = deps;
  /** A journaled, optionally recorded terminal session on one container (its end is the terminal's close). */
  const journaled = async (kind: 'attach' | 'shell', ref: ContainerRef, api: Awaited<ReturnType<Clusters['api']>>, action: string) => {
    const pod = await api.readPod(ref.namespace, ref.pod).catch(() => undefined);
    const record = await sessions.begin(kind, api, { namespace: ref.namespace, pod: ref.pod, container: ref.container, ...(pod !== undefined ? containerFacts(pod, ref.container) : {}) });
    await sessions.note(record, (r) => r.action(action));
    return {
      recording: () => sessions.recorder(record, kind),
      onClosed: () => void sessions.note(record, (r) => r.end({ status: 'completed', message: 'terminal closed' })),
    };
  };
  const needContainer = (node: unknown, what: string): ContainerRef | undefined => {
    const ref = containerRef(node);
    if (ref === undefined) {
      void vscode.window.showInformationMessage(`${what}: choose a container in the Clusters view.`);
    }
    return ref;
  };
  const ephemeralSpec = async (ref: ContainerRef) => {
    const api = await clusters.api(ref.context);
    const pod = await api.readPod(ref.namespace, ref.pod);
    return { api, pod, spec: pod.spec?.ephemeralContainers?.find((c) => c.name === ref.container) };
  };

  return [
    vscode.commands.registerCommand('ephemeralDebug.attach', deps.workloadPods.command('Attach Debug Container', (arg?: unknown) => deps.attach.run(arg))),

    vscode.commands.registerCommand('ephemeralDebug.copyKubectlCommand', async (node?: unknown) => {
      if (isExplorerNode(node) && node.descriptor.kind === 'pod') return copyKubectlForDebugCopy({ clusters, errors, logger: deps.logger }, node);
      const ref = needContainer(node, 'Copy kubectl Command');
      if (ref === undefined) {
        return;
      }
      try {
        const { spec } = await ephemeralSpec(ref);
        if (spec === undefined) {
          throw new Error(`${ref.container} is not a debug container of ${ref.pod}; choose an ephemeral container in the Clusters view`);
        }
        await copyKubectl(deps.logger, kubectlDebugCommand({ context: ref.context, namespace: ref.namespace, pod: ref.pod, container: spec }), `adds a debug container like ${ref.container} to ${ref.pod}`);
      } catch (error) {
        void errors.show(error, `Copy kubectl Command for ${ref.pod}/${ref.container}`);
      }
    }),

    vscode.commands.registerCommand('ephemeralDebug.reattach', async (node?: unknown) => {
      const ref = needContainer(node, 'Reattach');
      if (ref === undefined) {
        return;
      }
      try {
        const { api, pod, spec } = await ephemeralSpec(ref);
        checkReuse(pod, ref.container, settings.current.policy);
        openAttachTerminal(
          terminals,
          () => Promise.resolve(new AttachTerminal(api, { namespace: ref.namespace, podName: ref.pod, containerName: ref.container, image: spec?.image, targetContainer: spec?.targetContainerName, reach: debugContainerReach(pod, spec?.targetContainerName) })),
          ref.pod,
          ref.container,
          await journaled('attach', ref, api, 'reattached to the debug container'),
        );
      } catch (error) {
        void errors.show(error, `Reattach to ${ref.pod}/${ref.container}`);
      }
    }),

    vscode.commands.registerCommand('ephemeralDebug.openShell', async (node?: unknown) => {
      const ref = needContainer(node, 'Open Shell');
      if (ref === undefined) {
        return;
      }
      try {
        const api = await clusters.api(ref.context);
        if (ref.kind === 'ephemeral') checkReuse(await api.readPod(ref.namespace, ref.pod), ref.container, settings.current.policy);
        terminals.openSession({
          ...(await journaled('shell', ref, api, 'opened a shell (exec)')),
          name: `Shell: ${ref.pod}/${ref.container}`,
          icon: 'terminal',
          reattachLabel: 'open another shell',
          connect: () => Promise.resolve(new ExecTerminal(api, { namespace: ref.namespace, podName: ref.pod, containerName: ref.container })),
        });
      } catch (error) {
        void errors.show(error, `Open Shell in ${ref.pod}/${ref.container}`);
      }
    }),

    vscode.commands.registerCommand('ephemeralDebug.shellInTargetRoot', async (node?: unknown) => {
      const ref = needContainer(node, 'Shell in Target Root');
      if (ref === undefined) {
        return;
      }
      try {
        const { api, pod, spec } = await ephemeralSpec(ref);
        const target = spec?.targetContainerName;
        if (spec === undefined || target === undefined || target === '') {
          throw new Error(`${ref.container} is not a debug container with a target container; attach one with a target first`);
        }
        checkReuse(pod, ref.container, settings.current.policy);
        terminals.openSession({
          ...(await journaled('shell', ref, api, `opened a shell in the root of ${target}`)),
          name: `Root of ${target}: ${ref.pod}`,
          icon: 'root-folder',
          reattachLabel: 'open another shell',
          // Each (re)open re-reads the pod: the target's process may have restarted under a new PID.
          connect: async () =>
            createTargetRootShell(api, { namespace: ref.namespace, pod: await api.readPod(ref.namespace, ref.pod), debugContainer: ref.container, targetContainer: target, image: spec.image }),
        });
      } catch (error) {
        void errors.show(error, 'Shell in Target Root');
      }
    }),

    vscode.commands.registerCommand('ephemeralDebug.stopDebugContainer', async (node?: unknown) => {
      const ref = needContainer(node, 'Stop Debug Container');
      if (ref === undefined) {
        return;
      }
      const answer = await vscode.window.showWarningMessage(
        `Stop debug container ${ref.container} in ${ref.namespace}/${ref.pod}?`,
        { modal: true, detail: 'Its processes end (shells attached to it close). Ephemeral containers cannot be removed: it stays in the pod spec as Terminated.' },
        'Stop',
      );
      if (answer !== 'Stop') {
        return;
      }
      try {
        const api = await clusters.api(ref.context);
        await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Stopping ${ref.container}`, cancellable: true }, async (progress, token) => {
          const abort = new AbortController();
          const subscription = token.onCancellationRequested(() => abort.abort());
          try {
            await stopDebugContainer(api, ref.namespace, ref.pod, ref.container, {
              timeoutMs: settings.current.waitTimeoutSeconds * 1000,
              signal: abort.signal,
              onProgress: (message) => progress.report({ message }),
            });
          } finally {
            subscription.dispose();
          }
        });
        deps.logger.info(`stopped debug container ${ref.container} in ${ref.namespace}/${ref.pod}; the same with kubectl:\n${kubectlStopCommand({ context: ref.context, namespace: ref.namespace, pod: ref.pod, container: ref.container })}`);
      } catch (error) {
        void errors.show(error, `Stop ${ref.container}`);
      }
    }),

    vscode.commands.registerCommand('ephemeralDebug.showLogs', async (node?: unknown) => {
      if (!isExplorerNode(node) || node.descriptor.namespace === undefined || node.descriptor.pod === undefined) {
        void vscode.window.showInformationMessage('Show Logs: choose a pod or a container in the Clusters view.');
        return;
      }
      const d = node.descriptor;
      const namespace = d.namespace!;
      const podName = d.pod!;
      try {
        const api = await clusters.api(d.contextName);
        let container = d.kind === 'container' ? d.container : undefined;
        if (container === undefined) {
          const pod = tree.watchedPod(d.contextName, namespace, podName) ?? (await api.readPod(namespace, podName));
          const names = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? []), ...(pod.spec?.ephemeralContainers ?? [])].map((c) => c.name);
          container = names.length === 1 ? names[0] : await vscode.window.showQuickPick(names, { title: `Show Logs of ${podName}`, placeHolder: 'Container' }).then((picked) => picked ?? undefined);
          if (container === undefined) {
            return;
          }
        }
        terminals.openLogs(api, namespace, podName, container);
      } catch (error) {
        void errors.show(error, `Show Logs of ${podName}`);
      }
    }),

    vscode.commands.registerCommand('ephemeralDebug.refresh', (node?: unknown) => tree.refresh(isExplorerNode(node) ? (node as ExplorerNode) : undefined)),

    vscode.commands.registerCommand('ephemeralDebug.filterNamespaces', async (node?: unknown) => {
      try {
        const context = isExplorerNode(node) && node.descriptor.contextName !== '' ? node.descriptor.contextName : undefined;
        const api = await clusters.api(context);
        const current = new Set(settings.current.namespaceFilter);
        const items = api.listNamespaces().then(
          (list) => {
            const names = new Set([...list.items.map((n) => n.metadata?.name ?? '').filter(Boolean), ...current]);
            return [...names].sort().map((name): vscode.QuickPickItem => ({ label: name, picked: current.has(name) }));
          },
          () => [...new Set([...current, api.defaultNamespace])].sort().map((name): vscode.QuickPickItem => ({ label: name, picked: current.has(name) })),
        );
        const picked = await vscode.window.showQuickPick(items, {
          canPickMany: true,
          title: 'Namespaces to show',
          placeHolder: `Namespaces of ${api.contextName}; none selected shows all`,
        });
        if (picked === undefined) {
          return;
        }
        await settings.update(SETTING.namespaceFilter, picked.length > 0 ? picked.map((p) => p.label) : undefined);
      } catch (error) {
        void errors.show(error, 'Filter Namespaces');
      }
    }),

    vscode.commands.registerCommand('ephemeralDebug.filterLabels', async () => {
      const value = await vscode.window.showInputBox({
        title: 'Filter Pods by Label',
        prompt: 'Label selector, as in kubectl get pods -l; empty shows all pods',
        placeHolder: 'e.g. app=web,tier!=cache or environment in (prod,staging)',
        value: settings.current.labelSelector,
        validateInput: (text) => (/[\r\n]/.test(text) ? 'one line' : undefined),
      });
      if (value === undefined) {
        return;
      }
      await settings.update(SETTING.labelSelector, value.trim() !== '' ? value.trim() : undefined);
    }),

    vscode.commands.registerCommand('ephemeralDebug.clearFilters', async () => {
      await settings.update(SETTING.namespaceFilter, undefined);
      await settings.update(SETTING.labelSelector, undefined);
    }),

    vscode.commands.registerCommand('ephemeralDebug.useContext', async (node?: unknown) => {
      if (!isExplorerNode(node) || node.descriptor.kind !== 'cluster') {
        return;
      }
      const name = node.descriptor.contextName;
      const file = await clusters.currentContextFile();
      const viewOnly: vscode.QuickPickItem = { label: 'Use in this extension only', description: 'the kubeconfig is not changed' };
      const write: vscode.QuickPickItem = { label: 'Use, and set current-context in the kubeconfig', description: file ?? '', detail: 'kubectl and other tools switch too' };
      const picked = await vscode.window.showQuickPick(file !== undefined ? [viewOnly, write] : [viewOnly], { title: `Use Context ${name}` });
      if (picked === undefined) {
        return;
      }
      try {
        await clusters.useContext(name, picked === write);
      } catch (error) {
        void errors.show(error, `Use Context ${name}`);
      }
    }),

    vscode.commands.registerCommand('ephemeralDebug.showLog', () => deps.logger.show()),
  ];
}
