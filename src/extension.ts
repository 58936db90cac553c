// Wiring only: each concern lives in its own module and is registered here. Activation is lazy (VS Code
// activates on the view or a command); nothing touches a cluster until the view asks for its children or a
// command runs.
import * as vscode from 'vscode';
import { AttachCommand } from './ui/attachCommand';
import { ClusterExplorerBridge } from './ui/clusterExplorerBridge';
import { ClusterTreeProvider } from './ui/clusterTree';
import { registerAccessCommands } from './ui/accessCommands';
import { CaptureRules, registerCaptureCommands } from './ui/captureCommands';
import { registerCopyCommands } from './ui/copyCommands';
import { registerNodeDebugCommands } from './ui/nodeDebugCommand';
import { DebugSessions, registerSessionCommands } from './ui/debugSessions';
import { registerDiagnosticsCommands } from './ui/diagnosticsCommands';
import { registerPlaybookCommands } from './ui/playbookCommands';
import type { FeatureDependencies } from './ui/featureDependencies';
import { TimeLimits } from './ui/timeLimits';
import { registerDebugAttach } from './ui/debugAttachProvider';
import { Clusters } from './ui/clusters';
import { registerCommands } from './ui/commands';
import { ErrorPresenter } from './ui/errorPresenter';
import { SettingsReader } from './ui/settings';
import { registerTargetFs } from './ui/targetFsCommands';
import { TargetFsProvider } from './ui/targetFsProvider';
import { Terminals } from './ui/terminals';
import { WorkloadPods } from './ui/workloadTarget';
import type { AttachCommandResult } from './ui/attachCommand';
import type { SessionSummary } from './session';

/** What other extensions get from `activate()`; `ephemeralDebug.attach` with arguments does the same. */
export interface EphemeralDebugApi {
  attach(args?: unknown): Promise<AttachCommandResult | undefined>;
  /** The journaled debug sessions, oldest first (for audit tooling; the same as Show Debug Sessions lists). */
  listSessions(): Promise<readonly SessionSummary[]>;
}

export function activate(context: vscode.ExtensionContext): EphemeralDebugApi {
  // The log channel is the Logger of every layer: API calls at debug level, never tokens or env values.
  const log = vscode.window.createOutputChannel('Kubernetes Ephemeral Debug', { log: true });
  context.subscriptions.push(log);

  const settings = new SettingsReader(log);
  const clusters = new Clusters(settings, context.globalState, log);
  const errors = new ErrorPresenter(log);
  const terminals = new Terminals(log);
  const tree = new ClusterTreeProvider(clusters, settings, log);
  const sessions = new DebugSessions(context.globalStorageUri.fsPath, settings, clusters, errors, log);
  const timeLimits = new TimeLimits(settings, log);
  const clusterExplorer = new ClusterExplorerBridge(log);
  const attach = new AttachCommand({ clusters, settings, errors, terminals, clusterExplorer, globalState: context.globalState, logger: log, sessions, timeLimits });
  const workloadPods = new WorkloadPods(clusters, context.workspaceState, errors, log);
  const view = vscode.window.createTreeView('ephemeralDebug.explorer', { treeDataProvider: tree, showCollapseAll: true });
  const features: FeatureDependencies = { clusters, settings, errors, terminals, sessions, timeLimits, tree, clusterExplorer, logger: log, workloadPods };
  const capture = new CaptureRules(features, context.workspaceState);
  tree.setPodBadge((contextName, namespace, name, workloadKind) => capture.badge(contextName, namespace, name, workloadKind));

  context.subscriptions.push(
    settings,
    clusters,
    errors,
    terminals,
    tree,
    view,
    tree.watchExpansion(view),
    ...registerCommands({ attach, tree, clusters, settings, errors, terminals, sessions, logger: log, workloadPods }),
    ...registerTargetFs({ provider: new TargetFsProvider(clusters, settings, log, sessions, timeLimits), clusters, errors, logger: log, sessions }),
    ...registerDebugAttach({ clusters, settings, errors, logger: log, sessions, timeLimits, workloadPods }),
    sessions,
    timeLimits,
    ...registerSessionCommands(sessions),
    ...registerCopyCommands(features),
    ...registerNodeDebugCommands(features),
    ...registerDiagnosticsCommands(features),
    ...registerAccessCommands(features),
    ...registerPlaybookCommands(features),
    ...registerCaptureCommands(features, capture),
  );
  log.info(`activated (extension host Node ${process.version}${vscode.workspace.isTrusted ? '' : ', untrusted workspace: workspace values of image, command, profile and kubeconfig settings are ignored'})`);
  return { attach: (args) => attach.run(args), listSessions: async () => (await sessions.journal()).list() };
}

export function deactivate(): void {
  // Disposables registered on the context are released by VS Code (watches stop, terminals close).
}
