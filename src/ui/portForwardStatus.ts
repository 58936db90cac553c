/**
 * Active port-forwards in VS Code: a status bar item listing them (click: stop one or all), the
 * "Port Forward…" command on pods, and the message when a forward ends because its pod went away.
 */
import * as vscode from 'vscode';
import type { Logger } from '../cluster/clusterApi';
import { PortForwardError, startPortForward, type ActivePortForward } from '../launch/portForward';
import { kubectlPortForwardCommand } from '../debug/kubectlEquivalent';
import { isExplorerNode } from './attachCommand';
import type { Clusters } from './clusters';
import type { ErrorPresenter } from './errorPresenter';
import { copyKubectl } from './kubectlCommands';

interface Entry {
  readonly forward: ActivePortForward;
  /** What it is for: `Port Forward`, or the debug session's name. */
  readonly purpose: string;
  /** The same forward with kubectl. */
  readonly kubectl: string;
}

const COPY_KUBECTL_BUTTON: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('copy'), tooltip: 'Copy kubectl Command' };

export class PortForwards implements vscode.Disposable {
  private readonly entries = new Set<Entry>();
  private readonly item: vscode.StatusBarItem;

  constructor(private readonly logger: Logger) {
    this.item = vscode.window.createStatusBarItem('ephemeralDebug.portForwards', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Kubernetes Port Forwards';
    this.item.command = 'ephemeralDebug.showPortForwards';
    this.update();
  }

  /** Tracks a forward until it ends; says so when it ends because the pod went away. */
  add(forward: ActivePortForward, purpose: string, context?: string): void {
    const kubectl = kubectlPortForwardCommand({ context, namespace: forward.namespace, pod: forward.pod, localPort: forward.localPort, remotePort: forward.remotePort });
    const entry = { forward, purpose, kubectl };
    this.entries.add(entry);
    this.logger.info(`port-forward ${forward.description} (${purpose}); the same with kubectl: ${kubectl}`);
    this.update();
    forward.onDidEnd((end) => {
      this.entries.delete(entry);
      this.update();
      if (end.reason === 'pod-gone' || end.reason === 'error') {
        void vscode.window.showWarningMessage(`${purpose}: ${end.message}`);
      }
    });
  }

  list(): readonly ActivePortForward[] {
    return [...this.entries].map((e) => e.forward);
  }

  async showPicker(): Promise<void> {
    const entries = [...this.entries];
    if (entries.length === 0) {
      void vscode.window.showInformationMessage('No active Kubernetes port-forwards.');
      return;
    }
    type Item = vscode.QuickPickItem & { entry?: Entry };
    const items: Item[] = entries.map((entry) => ({
      label: `$(debug-stop) ${entry.forward.localAddress}:${entry.forward.localPort}`,
      description: `→ ${entry.forward.namespace}/${entry.forward.pod}:${entry.forward.remotePort}`,
      detail: `${entry.purpose} · ${entry.forward.connectionCount} open connection(s)`,
      entry,
    }));
    if (entries.length > 1) items.push({ label: '$(close-all) Stop All' });
    const picked = await this.pick(items);
    if (picked === undefined) return;
    const stopping = picked.entry !== undefined ? [picked.entry] : entries;
    await Promise.all(stopping.map((e) => e.forward.stop()));
  }

  /** The quick pick of forwards; each item's button copies its kubectl command (the pick stays open). */
  private pick<T extends vscode.QuickPickItem & { entry?: Entry }>(items: T[]): Promise<T | undefined> {
    const quickPick = vscode.window.createQuickPick<T>();
    quickPick.title = 'Kubernetes Port Forwards';
    quickPick.placeholder = 'Choose a forward to stop';
    quickPick.items = items.map((item) => (item.entry !== undefined ? { ...item, buttons: [COPY_KUBECTL_BUTTON] } : item));
    return new Promise<T | undefined>((resolve) => {
      let picked: T | undefined;
      quickPick.onDidTriggerItemButton(({ item }) => {
        if (item.entry !== undefined) void copyKubectl(this.logger, item.entry.kubectl, `forwards ${item.entry.forward.description}`);
      });
      quickPick.onDidAccept(() => {
        picked = quickPick.selectedItems[0];
        quickPick.hide();
      });
      quickPick.onDidHide(() => {
        quickPick.dispose();
        resolve(picked);
      });
      quickPick.show();
    });
  }

  private update(): void {
    const count = this.entries.size;
    void vscode.commands.executeCommand('setContext', 'ephemeralDebug.hasPortForwards', count > 0);
    if (count === 0) {
      this.item.hide();
      return;
    }
    const only = count === 1 ? [...this.entries][0]!.forward : undefined;
    this.item.text = `$(plug) ${only !== undefined ? `:${only.localPort} → ${only.pod}:${only.remotePort}` : `${count} forwards`}`;
    this.item.tooltip = new vscode.MarkdownString([...this.entries]
      .map((e) => `- \`${e.forward.description}\` — ${e.purpose}`).join('\n') + '\n\nClick to stop one.');
    this.item.show();
  }

  dispose(): void {
    for (const entry of this.entries) void entry.forward.stop();
    this.entries.clear();
    this.item.dispose();
  }
}

export interface PortForwardCommandDependencies {
  readonly clusters: Clusters;
  readonly errors: ErrorPresenter;
  readonly forwards: PortForwards;
  readonly logger: Logger;
}

/** "Port Forward…" on a pod node: asks the pod port (its declared ports offered) and a local port. */
export function registerPortForwardCommands(deps: PortForwardCommandDependencies): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('ephemeralDebug.portForward', async (node?: unknown) => {
      if (!isExplorerNode(node) || node.descriptor.namespace === undefined || node.descriptor.pod === undefined) {
        void vscode.window.showInformationMessage('Port Forward: choose a pod in the Clusters view.');
        return;
      }
      const { contextName, namespace, pod } = node.descriptor;
      try {
        const api = await deps.clusters.api(contextName);
        const spec = await api.readPod(namespace, pod);
        const declared = (spec.spec?.containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => ({ port: p.containerPort, label: `${c.name}${p.name ? `/${p.name}` : ''}` })));
        const remote = await vscode.window.showInputBox({
          title: `Port Forward to ${namespace}/${pod}`,
          prompt: declared.length > 0 ? `Pod port (declared: ${declared.map((d) => `${d.port} ${d.label}`).join(', ')})` : 'Pod port',
          value: declared[0] !== undefined ? String(declared[0].port) : '',
          validateInput: (v) => (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 65535 ? undefined : 'a port number, 1-65535'),
        });
        if (remote === undefined) return;
        const local = await vscode.window.showInputBox({
          title: `Port Forward to ${namespace}/${pod}:${remote}`,
          prompt: 'Local port on 127.0.0.1 (empty: a free one)',
          value: '',
          validateInput: (v) => (v === '' || (/^\d+$/.test(v) && Number(v) <= 65535) ? undefined : 'a port number, or empty'),
        });
        if (local === undefined) return;
        const forward = await startPortForward(api, { namespace, pod, remotePort: Number(remote), localPort: local === '' ? 0 : Number(local), logger: deps.logger });
        deps.forwards.add(forward, 'Port Forward', contextName);
        forward.onConnectionFailure((failure) => deps.logger.warn(`port-forward ${forward.description}: ${failure.message}`));
        const address = `127.0.0.1:${forward.localPort}`;
        const answer = await vscode.window.showInformationMessage(`Forwarding ${address} → ${namespace}/${pod}:${remote}`, 'Copy Address', 'Open in Browser', 'Stop');
        if (answer === 'Copy Address') await vscode.env.clipboard.writeText(address);
        if (answer === 'Open in Browser') await vscode.env.openExternal(vscode.Uri.parse(`http://${address}/`));
        if (answer === 'Stop') await forward.stop();
      } catch (error) {
        void deps.errors.show(error instanceof PortForwardError ? new Error(error.message) : error, 'Port Forward');
      }
    }),
    vscode.commands.registerCommand('ephemeralDebug.showPortForwards', () => deps.forwards.showPicker()),
  ];
}
