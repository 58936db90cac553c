/**
 * The Clusters view over the explorer model (src/explorer/explorerModel.ts): kubeconfig contexts → namespaces
 * → pods → containers, kept current by list + watch per context, started when its node is first expanded.
 * Model changes refresh only the nodes they name, plus an ancestor only when what it shows (pod counts,
 * "need attention", icon) changed. Errors are nodes, never exceptions.
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import * as vscode from 'vscode';
import { createClusterApi } from '../cluster/client';
import { ClusterError, type ClusterApi, type Logger } from '../cluster/clusterApi';
import type { LoadedKubeconfig } from '../cluster/kubeconfig';
import type { WorkloadKind } from '../cluster/workloadKinds';
import { clusterId, messageNode, namespaceId, podId, type NodeDescriptor } from '../explorer/descriptors';
import { workloadId } from '../explorer/workloads';
import { ExplorerModel, type ExplorerChange, type ExplorerContext } from '../explorer/explorerModel';
import { nodesFolderId } from '../explorer/nodes';
import type { ExplorerFilters } from '../explorer/clusterWatcher';
import type { Clusters } from './clusters';
import type { SettingsReader } from './settings';

/** A tree element: the model's descriptor, kept per id so a refresh fires the object the tree knows. */
export interface ExplorerNode {
  readonly id: string;
  descriptor: NodeDescriptor;
}

export class ClusterTreeProvider implements vscode.TreeDataProvider<ExplorerNode>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<ExplorerNode | ExplorerNode[] | undefined>();
  private podBadge?: (contextName: string, namespace: string, name: string, workloadKind?: WorkloadKind) => string | undefined;
  readonly onDidChangeTreeData = this.changeEmitter.event;

  private readonly nodes = new Map<string, ExplorerNode>();
  private model: ExplorerModel | undefined;
  private unsubscribe: (() => void) | undefined;
  private loaded: LoadedKubeconfig | undefined;
  private activeContext: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly clusters: Clusters,
    private readonly settings: SettingsReader,
    private readonly logger: Logger,
  ) {
    this.disposables.push(
      this.changeEmitter,
      clusters.onDidChange(() => this.reset()),
      settings.onDidChange(() => {
        this.model?.setFilters(this.filters());
        this.updateFilteredContext();
      }),
    );
    this.updateFilteredContext();
  }

  private filters(): ExplorerFilters {
    const { namespaceFilter, labelSelector } = this.settings.current;
    return { namespaces: namespaceFilter, ...(labelSelector !== '' ? { labelSelector } : {}) };
  }

  private updateFilteredContext(): void {
    const { namespaceFilter, labelSelector } = this.settings.current;
    void vscode.commands.executeCommand('setContext', 'ephemeralDebug.filtered', namespaceFilter.length > 0 || labelSelector !== '');
  }

  // --- TreeDataProvider ---

  getTreeItem(node: ExplorerNode): vscode.TreeItem {
    const d = node.descriptor;
    const state = d.collapsible === 'none' ? vscode.TreeItemCollapsibleState.None : d.collapsible === 'expanded' ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
    const item = new vscode.TreeItem(d.label, state);
    item.id = d.id;
    const badge = d.namespace === undefined ? undefined
      : d.kind === 'pod' && d.pod !== undefined ? this.podBadge?.(d.contextName, d.namespace, d.pod)
        : d.kind === 'workload' && d.workload !== undefined ? this.podBadge?.(d.contextName, d.namespace, d.workload.name, d.workload.kind) : undefined;
    item.description = badge !== undefined ? [d.description, `⏱ ${badge}`].filter(Boolean).join(' · ') : d.description;
    item.tooltip = new vscode.MarkdownString(badge !== undefined ? `${d.tooltip}\n\n**${badge}** (runs while this window is open; Disarm Capture to remove)` : d.tooltip, true);
    item.iconPath = new vscode.ThemeIcon(d.icon.id, d.icon.color !== undefined ? new vscode.ThemeColor(d.icon.color) : undefined);
    item.contextValue = d.contextValue;
    if (d.kind === 'message') {
      item.accessibilityInformation = { label: d.label, role: 'alert' };
    }
    return item;
  }

  getParent(node: ExplorerNode): ExplorerNode | undefined {
    const d = node.descriptor;
    if (d.kind === 'cluster' || d.contextName === '') {
      return undefined;
    }
    if (d.kind === 'node') {
      return this.nodes.get(nodesFolderId(d.contextName));
    }
    if (d.namespace === undefined) {
      return this.nodes.get(clusterId(d.contextName));
    }
    if (d.kind === 'pod' && d.workload !== undefined) {
      return this.nodes.get(workloadId(d.contextName, { ...d.workload, namespace: d.namespace }));
    }
    if (d.pod === undefined || d.kind === 'pod') {
      return this.nodes.get(namespaceId(d.contextName, d.namespace));
    }
    return this.nodes.get(podId(d.contextName, d.namespace, d.pod));
  }

  async getChildren(parent?: ExplorerNode): Promise<ExplorerNode[]> {
    if (parent === undefined) {
      return this.rootChildren();
    }
    const model = this.model;
    if (model === undefined) {
      return [];
    }
    const d = parent.descriptor;
    const children = model.children(d);
    if (children.length === 0 && d.kind === 'namespace') {
      const selector = this.settings.current.labelSelector;
      const text = selector !== '' ? `No pods match ${selector}` : 'No pods';
      return [this.element({ ...messageNode(d.contextName, `${d.namespace}/empty`, text, 'info'), id: `message:${d.contextName}/${d.namespace}/empty`, namespace: d.namespace })];
    }
    return children.map((c) => this.element(c));
  }

  private async rootChildren(): Promise<ExplorerNode[]> {
    const state = await this.clusters.kubeconfig();
    if (state.loaded === undefined) {
      this.disposeModel();
      const message = state.error instanceof Error ? state.error.message : String(state.error);
      return [this.element(messageNode('', 'kubeconfig', message, 'error'))];
    }
    const contexts = await this.clusters.contexts();
    this.activeContext = await this.clusters.activeContext();
    const loaded = state.loaded;
    if (this.loaded !== loaded) {
      this.disposeModel();
      this.loaded = loaded;
    }
    const explorerContexts = contexts.map(
      (c): ExplorerContext => ({
        name: c.name,
        server: c.server,
        current: c.name === this.activeContext,
        createApi: () => this.createApi(loaded, c.name),
      }),
    );
    if (this.model === undefined) {
      this.model = new ExplorerModel({ contexts: explorerContexts, filters: this.filters() });
      this.unsubscribe = this.model.onDidChange((changes) => this.onModelChange(changes));
    } else {
      this.model.setContexts(explorerContexts);
    }
    return this.model.roots().map((d) => this.element(d));
  }

  /** A facade for the context, or one that fails every call with why it cannot exist (shown as the cluster's error). */
  private createApi(loaded: LoadedKubeconfig, context: string): ClusterApi {
    try {
      return createClusterApi(loaded.kubeConfig, { context, logger: this.logger });
    } catch (error) {
      const failure = error instanceof ClusterError ? error : new ClusterError(error instanceof Error ? error.message : String(error), 0, 'InvalidKubeconfig');
      return failingApi(context, failure);
    }
  }

  /** The element for a descriptor: the same object for the same id, updated in place. */
  private element(descriptor: NodeDescriptor): ExplorerNode {
    let node = this.nodes.get(descriptor.id);
    if (node === undefined) {
      node = { id: descriptor.id, descriptor };
      this.nodes.set(descriptor.id, node);
    } else {
      node.descriptor = descriptor;
    }
    return node;
  }

  // --- targeted refresh ---

  private onModelChange(changes: readonly ExplorerChange[]): void {
    if (changes.some((c) => c.kind === 'root')) {
      this.changeEmitter.fire(undefined);
      return;
    }
    const fire = new Map<string, ExplorerNode>();
    const refreshed = new Set(changes.map((c) => (c.kind === 'root' ? '' : c.id)));
    for (const change of changes) {
      if (change.kind === 'root') {
        continue;
      }
      const node = this.nodes.get(change.id);
      if (node !== undefined) {
        const fresh = this.freshDescriptor(node.descriptor);
        if (fresh !== undefined) {
          node.descriptor = fresh;
        }
        fire.set(node.id, node);
      }
      // Ancestors show counts and "need attention": refresh them only when that changed.
      if (change.kind === 'pod' || change.kind === 'namespace') {
        for (const id of [change.kind === 'pod' ? namespaceId(change.contextName, change.namespace) : undefined, clusterId(change.contextName)]) {
          const ancestor = id !== undefined ? this.nodes.get(id) : undefined;
          if (ancestor !== undefined && !refreshed.has(ancestor.id) && !fire.has(ancestor.id)) {
            const fresh = this.freshDescriptor(ancestor.descriptor);
            if (fresh !== undefined && shown(fresh) !== shown(ancestor.descriptor)) {
              ancestor.descriptor = fresh;
              fire.set(ancestor.id, ancestor);
            }
          }
        }
      }
    }
    if (fire.size > 0) {
      this.changeEmitter.fire([...fire.values()]);
    }
  }

  private freshDescriptor(d: NodeDescriptor): NodeDescriptor | undefined {
    const model = this.model;
    if (model === undefined) {
      return undefined;
    }
    const fresh = d.kind === 'nodes' ? model.nodesFolder(d.contextName) : d.kind === 'cluster' ? model.node(d.contextName) : d.kind === 'namespace' ? model.node(d.contextName, d.namespace) : d.kind === 'pod' ? model.node(d.contextName, d.namespace, d.pod) : undefined;
    // The model's namespace lookup does not know the namespace phase; keep what the tree showed for it.
    return fresh !== undefined && fresh.kind === d.kind ? { ...fresh, collapsible: d.collapsible } : undefined;
  }

  // --- for commands ---

  /** Refresh: the whole view (kubeconfig re-read), or one cluster (its list + watch restarted). */
  refresh(node?: ExplorerNode): void {
    if (node === undefined || node.descriptor.contextName === '') {
      this.clusters.reload('Refresh');
      return;
    }
    this.model?.refresh(node.descriptor.contextName);
  }

  /** A suffix for a pod's or workload's description (armed capture rules); asked for every such item drawn. */
  setPodBadge(badge: (contextName: string, namespace: string, name: string, workloadKind?: WorkloadKind) => string | undefined): void {
    this.podBadge = badge;
  }

  /** Redraws one pod's (or workload's) item: its badge changed. Nothing is relisted. */
  redrawPod(contextName: string, namespace: string, name: string, workloadKind?: WorkloadKind): void {
    const node = this.nodes.get(workloadKind !== undefined ? workloadId(contextName, { kind: workloadKind, namespace, name }) : podId(contextName, namespace, name));
    if (node !== undefined) this.changeEmitter.fire(node);
  }

  /**
   * An expanded namespace lists and watches its pods, a collapsed one (or Nodes folder) stops watching and forgets
   * them (extension.ts passes the view).
   */
  watchExpansion(view: vscode.TreeView<ExplorerNode>): vscode.Disposable {
    return vscode.Disposable.from(
      view.onDidExpandElement((event) => this.model?.expanded(event.element.descriptor)),
      view.onDidCollapseElement((event) => this.model?.collapsed(event.element.descriptor)),
    );
  }

  /** The Kubernetes node as currently watched (while its Nodes folder is expanded). */
  watchedNode(contextName: string, name: string): V1Node | undefined {
    return this.model?.getNode(contextName, name);
  }

  /** The pod as currently watched (its namespace is expanded), if the tree knows it; else read it from the API. */
  watchedPod(contextName: string, namespace: string, pod: string): V1Pod | undefined {
    return this.model?.getPod(contextName, namespace, pod);
  }

  private reset(): void {
    this.disposeModel();
    this.loaded = undefined;
    this.nodes.clear();
    this.changeEmitter.fire(undefined);
  }

  private disposeModel(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.model?.dispose();
    this.model = undefined;
  }

  dispose(): void {
    this.disposeModel();
    this.disposables.forEach((d) => d.dispose());
  }
}

function shown(d: NodeDescriptor): string {
  return JSON.stringify([d.label, d.description, d.icon, d.contextValue]);
}

/** A ClusterApi whose every call fails with `error`: a broken context becomes an error node, not a crash. */
function failingApi(contextName: string, error: ClusterError): ClusterApi {
  const fail = (): Promise<never> => Promise.reject(error);
  return {
    contextName,
    defaultNamespace: 'default',
    listNamespaces: fail,
    readNamespace: fail,
    watchNamespaces: fail,
    listPods: fail,
    readPod: fail,
    watchPods: fail,
    listWorkloads: fail,
    readWorkload: fail,
    watchWorkloads: fail,
    listEvents: fail,
    createEvent: fail,
    addEphemeralContainer: fail,
    createPod: fail,
    deletePod: fail,
    whoAmI: fail,
    canI: fail,
    exec: fail,
    attach: fail,
    streamLog: fail,
    readLog: fail,
  };
}
