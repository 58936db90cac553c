/**
 * The explorer's model, free of vscode: clusters → namespaces → pods → containers as NodeDescriptors, kept
 * live by watches, with change events that name exactly the nodes to refresh. A cluster starts watching its
 * namespaces the first time its children are asked for (or on `watch()`), so unexpanded contexts cost nothing;
 * a namespace lists and watches its pods and workloads the first time its children are asked for (or on
 * `expanded()`), until `collapsed()`, so a cluster of 50,000 pods costs what its expanded namespaces hold.
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { ClusterApi } from '../cluster/clusterApi';
import { ClusterWatcher, type ClusterChange, type ClusterStatus, type ExplorerFilters } from './clusterWatcher';
import { clusterId, clusterNode, containerNodes, messageNode, namespaceId, namespaceNode, podId, podNode, type NodeDescriptor } from './descriptors';
import { DEFAULT_BACKOFF, type BackoffOptions } from './listWatch';
import { clusterNodeNode, nodesFolderId, nodesFolderNode, NodesWatcher } from './nodes';
import { workloadNode } from './workloads';

export interface ExplorerContext {
  name: string;
  server: string;
  /** The kubeconfig's current context (or the in-memory choice): marked in the tree and expanded. */
  current: boolean;
  /** Called at start and again after failures, so refreshed credentials or certificates are picked up. */
  createApi(): ClusterApi;
}

export interface ExplorerModelOptions {
  contexts: readonly ExplorerContext[];
  filters?: ExplorerFilters;
  backoff?: BackoffOptions;
  /** Items per list page of a namespace's pods and workloads (default LIST_PAGE_SIZE, 500). */
  pageSize?: number;
}

/** A node to refresh, with its subtree. Keys, not descriptors: the UI asks for fresh descriptors. */
export type ExplorerChange =
  | { kind: 'root' }
  | { kind: 'cluster'; contextName: string; id: string }
  | { kind: 'namespace'; contextName: string; namespace: string; id: string }
  | { kind: 'pod'; contextName: string; namespace: string; pod: string; id: string }
  | { kind: 'nodes'; contextName: string; id: string };

export type ExplorerListener = (changes: readonly ExplorerChange[]) => void;

export class ExplorerModel {
  private readonly clusters = new Map<string, { context: ExplorerContext; watcher: ClusterWatcher }>();
  /** Per context, the Nodes folder's watcher: started on expansion, stopped on collapse (see nodes.ts). */
  private readonly nodeWatchers = new Map<string, NodesWatcher>();
  private readonly listeners = new Set<ExplorerListener>();
  /**
   * A pod's descriptor per pod object: a watch event replaces only that pod's object, so rebuilding a namespace's
   * children after one event builds one descriptor, not one per pod (its pods' objects belong to one context).
   */
  private readonly podDescriptors = new WeakMap<V1Pod, NodeDescriptor>();
  private pending = new Map<string, ExplorerChange>();
  private flushScheduled = false;
  private filters: ExplorerFilters;
  private readonly backoff: BackoffOptions;
  private readonly pageSize: number | undefined;
  private disposed = false;

  constructor(options: ExplorerModelOptions) {
    this.filters = options.filters ?? {};
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.pageSize = options.pageSize;
    this.setContexts(options.contexts, { initial: true });
  }

  /** Changes are coalesced per tick: a relist of 5,000 pods is one cluster change, not 5,000. */
  onDidChange(listener: ExplorerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Replace the contexts (kubeconfig reloaded, current context switched); kept ones keep their watches.
   * The roots change only when what they show changed: a root change makes VS Code drop every tree item
   * it holds, which breaks an expansion in progress if it happens on every fetch.
   */
  setContexts(contexts: readonly ExplorerContext[], { initial = false } = {}): void {
    const before = this.rootsSignature();
    const wanted = new Set(contexts.map((c) => c.name));
    for (const [name, entry] of this.clusters) {
      if (!wanted.has(name)) {
        entry.watcher.dispose();
        this.clusters.delete(name);
        this.nodeWatchers.get(name)?.stop();
        this.nodeWatchers.delete(name);
      }
    }
    for (const context of contexts) {
      const existing = this.clusters.get(context.name);
      if (existing) {
        existing.context = context;
        continue;
      }
      // Looked up on each (re)connect, so a reloaded kubeconfig's credentials reach a running watcher.
      const createApi = () => (this.clusters.get(context.name)?.context ?? context).createApi();
      const watcher = new ClusterWatcher(createApi, this.filters, this.backoff, (change) => this.queue(context.name, change), this.pageSize);
      this.clusters.set(context.name, { context, watcher });
    }
    // The tree asks for the initial roots itself; announcing them would only reset it while it builds.
    if (!initial && this.rootsSignature() !== before) this.queueRoot();
  }

  private rootsSignature(): string {
    return JSON.stringify([...this.clusters.values()].map(({ context }) => [context.name, context.server, context.current]));
  }

  setFilters(filters: ExplorerFilters): void {
    this.filters = filters;
    for (const { watcher } of this.clusters.values()) watcher.setFilters(filters);
  }

  getFilters(): ExplorerFilters {
    return this.filters;
  }

  /** Start watching a context now (normally done on first expansion). */
  watch(contextName: string): void {
    this.clusters.get(contextName)?.watcher.start();
  }

  /** Relist one context, or every started one. */
  refresh(contextName?: string): void {
    for (const [name, { watcher }] of this.clusters) {
      if (contextName === undefined || name === contextName) {
        watcher.restart();
        this.nodeWatchers.get(name)?.restart();
      }
    }
  }

  /** The cluster's Nodes folder watcher (created on first use; it lists only once started). */
  private nodesOf(contextName: string): NodesWatcher {
    let watcher = this.nodeWatchers.get(contextName);
    if (watcher === undefined) {
      const createApi = () => this.clusters.get(contextName)!.context.createApi();
      watcher = new NodesWatcher(createApi, this.backoff, () => {
        if (this.disposed || this.pending.has('root') || this.pending.has(clusterId(contextName))) return;
        const id = nodesFolderId(contextName);
        this.pending.set(id, { kind: 'nodes', contextName, id });
        this.scheduleFlush();
      });
      this.nodeWatchers.set(contextName, watcher);
    }
    return watcher;
  }

  /** The tree expanded a node: an expanded namespace lists and watches its pods (idempotent; children() does it too). */
  expanded(node: NodeDescriptor): void {
    if (node.kind === 'namespace' && node.namespace !== undefined) this.clusters.get(node.contextName)?.watcher.expand(node.namespace);
  }

  /**
   * The tree collapsed a node: a collapsed Nodes folder stops watching (node status changes constantly), a
   * collapsed namespace stops watching its pods and workloads and forgets them.
   */
  collapsed(node: NodeDescriptor): void {
    if (node.kind === 'namespace' && node.namespace !== undefined) {
      const watcher = this.clusters.get(node.contextName)?.watcher;
      if (watcher === undefined || !watcher.isExpanded(node.namespace)) return;
      watcher.collapse(node.namespace);
      // The tree keeps a collapsed node's children: announce the change so that expanding asks (and lists) again.
      this.queue(node.contextName, { kind: 'namespace', namespace: node.namespace });
      return;
    }
    const nodes = node.kind === 'nodes' ? this.nodeWatchers.get(node.contextName) : undefined;
    if (nodes === undefined || !nodes.isStarted) return;
    nodes.stop();
    const id = nodesFolderId(node.contextName);
    this.pending.set(id, { kind: 'nodes', contextName: node.contextName, id });
    this.scheduleFlush();
  }

  /** Whether a namespace's pods are listed and watched now (it is expanded). */
  isWatching(contextName: string, namespace: string): boolean {
    return this.clusters.get(contextName)?.watcher.isExpanded(namespace) ?? false;
  }

  /** A Kubernetes node as currently watched (while its folder is expanded). */
  getNode(contextName: string, name: string): V1Node | undefined {
    return this.nodeWatchers.get(contextName)?.nodes.get(name);
  }

  status(contextName: string): ClusterStatus | undefined {
    return this.clusters.get(contextName)?.watcher.state;
  }

  /** A pod of an expanded namespace; undefined for others (callers read it from the API then). */
  getPod(contextName: string, namespace: string, name: string): V1Pod | undefined {
    return this.clusters.get(contextName)?.watcher.pods.get(namespace)?.get(name);
  }

  roots(): NodeDescriptor[] {
    return [...this.clusters.values()].map(({ context, watcher }) => clusterNode({
      contextName: context.name, server: context.server, current: context.current, phase: watcher.isStarted ? watcher.state.phase : 'ready',
      errorMessage: watcher.state.error?.message, podCount: 0,
    }));
  }

  /** Children of a node; asking for a cluster's children starts its watches. */
  children(node: NodeDescriptor | undefined): NodeDescriptor[] {
    if (!node) return this.roots();
    const entry = this.clusters.get(node.contextName);
    if (!entry) return [];
    const { watcher } = entry;
    const context = node.contextName;
    switch (node.kind) {
      case 'cluster': {
        watcher.start();
        const state = watcher.state;
        if (state.phase === 'error') {
          const retry = state.retryInMs !== undefined ? ` (retrying in ${Math.ceil(state.retryInMs / 1000)} s)` : '';
          return [messageNode(context, 'error', `${state.error?.message ?? 'error'}${retry}`, 'error')];
        }
        if (state.phase === 'connecting') return [messageNode(context, 'loading', 'Loading…', 'info')];
        const namespaces = watcher.visibleNamespaces();
        const nodesFolder = nodesFolderNode(context, this.nodesOf(context));
        if (namespaces.length === 0) return [messageNode(context, 'empty', 'No namespaces match the filter', 'info'), nodesFolder];
        return [...namespaces.map((namespace) => this.namespaceDescriptor(context, watcher, namespace)), nodesFolder];
      }
      case 'nodes': {
        const nodes = this.nodesOf(context);
        nodes.start();
        const state = nodes.state;
        if (state.phase === 'forbidden') return [messageNode(context, 'nodes/forbidden', 'You may not list nodes (needs cluster-scope RBAC list on nodes)', 'info')];
        if (state.phase === 'error') {
          const retry = state.retryInMs !== undefined ? ` (retrying in ${Math.ceil(state.retryInMs / 1000)} s)` : '';
          return [messageNode(context, 'nodes/error', `${state.message ?? 'error'}${retry}`, 'error')];
        }
        if (state.phase !== 'ready') return [messageNode(context, 'nodes/loading', 'Loading…', 'info')];
        if (nodes.nodes.size === 0) return [messageNode(context, 'nodes/empty', 'No nodes', 'info')];
        return [...nodes.nodes.values()].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '')).map((n) => clusterNodeNode(context, n));
      }
      case 'namespace': {
        const namespace = node.namespace ?? '';
        watcher.expand(namespace);
        const state = watcher.podsState(namespace);
        if (state?.phase === 'error') {
          const retry = state.retryInMs !== undefined ? ` (retrying in ${Math.ceil(state.retryInMs / 1000)} s)` : '';
          return [{ ...messageNode(context, `${namespace}/error`, `${state.error ?? 'error'}${retry}`, 'error'), namespace }];
        }
        if (state?.phase !== 'ready') return [{ ...messageNode(context, `${namespace}/loading`, 'Loading…', 'info'), namespace }];
        // Workloads first, with their pods under them; pods of no (watched) workload after, as before.
        const pods = [...(watcher.pods.get(namespace)?.values() ?? [])];
        const owned = new Map<string, V1Pod[]>();
        const bare: V1Pod[] = [];
        for (const pod of pods) {
          const owner = watcher.workloads.ownerOf(pod);
          const key = owner === undefined ? undefined : `${owner.kind}/${owner.name}`;
          if (key === undefined) bare.push(pod);
          else if (owned.has(key)) owned.get(key)!.push(pod);
          else owned.set(key, [pod]);
        }
        // With a label filter, a workload none of whose pods match is not what the user is looking for.
        const filtered = Boolean(this.filters.labelSelector);
        const workloads = watcher.workloads.shown(namespace)
          .map(({ ref, workload }) => ({ ref, workload, pods: owned.get(`${ref.kind}/${ref.name}`) ?? [] }))
          .filter(({ pods: its }) => !filtered || its.length > 0)
          .map(({ ref, workload, pods: its }) => workloadNode(context, ref, workload, its));
        return [...workloads, ...bare.sort(byName).map((pod) => this.podDescriptor(context, pod))];
      }
      case 'workload': {
        const namespace = node.namespace ?? '';
        const ref = node.workload;
        if (ref === undefined) return [];
        return [...(watcher.pods.get(namespace)?.values() ?? [])]
          .filter((pod) => {
            const owner = watcher.workloads.ownerOf(pod);
            return owner?.kind === ref.kind && owner.name === ref.name;
          })
          .sort(byName)
          .map((pod) => ({ ...this.podDescriptor(context, pod), workload: ref }));
      }
      case 'pod': {
        const pod = watcher.pods.get(node.namespace ?? '')?.get(node.pod ?? '');
        return pod ? containerNodes(context, pod) : [];
      }
      default:
        return [];
    }
  }

  /** The Nodes folder's descriptor (for refreshing it). */
  nodesFolder(contextName: string): NodeDescriptor | undefined {
    return this.clusters.has(contextName) ? nodesFolderNode(contextName, this.nodesOf(contextName)) : undefined;
  }

  /** The descriptor for an id (for reveal and for refreshing one node). */
  node(contextName: string, namespace?: string, pod?: string): NodeDescriptor | undefined {
    const entry = this.clusters.get(contextName);
    if (!entry) return undefined;
    if (pod !== undefined && namespace !== undefined) {
      const found = entry.watcher.pods.get(namespace)?.get(pod);
      if (!found) return undefined;
      const owner = entry.watcher.workloads.ownerOf(found);
      return { ...this.podDescriptor(contextName, found), ...(owner ? { workload: { kind: owner.kind, name: owner.name } } : {}) };
    }
    if (namespace !== undefined) return this.namespaceDescriptor(contextName, entry.watcher, namespace);
    return this.roots().find((r) => r.contextName === contextName);
  }

  private podDescriptor(contextName: string, pod: V1Pod): NodeDescriptor {
    let descriptor = this.podDescriptors.get(pod);
    if (descriptor === undefined || descriptor.contextName !== contextName) {
      descriptor = podNode(contextName, pod);
      this.podDescriptors.set(pod, descriptor);
    }
    return descriptor;
  }

  /** Pod counts only for an expanded namespace whose pods are listed: others are not known (nor fetched). */
  private namespaceDescriptor(contextName: string, watcher: ClusterWatcher, namespace: string): NodeDescriptor {
    const phase = watcher.namespaces.get(namespace)?.status?.phase;
    if (watcher.podsState(namespace)?.phase !== 'ready') return namespaceNode(contextName, namespace, undefined, 0, phase);
    const pods = [...(watcher.pods.get(namespace)?.values() ?? [])];
    const troubled = pods.filter((pod) => this.podDescriptor(contextName, pod).needsDebug === true).length;
    return namespaceNode(contextName, namespace, pods.length, troubled, phase);
  }

  dispose(): void {
    this.disposed = true;
    for (const { watcher } of this.clusters.values()) watcher.dispose();
    for (const nodes of this.nodeWatchers.values()) nodes.stop();
    this.nodeWatchers.clear();
    this.clusters.clear();
    this.listeners.clear();
    this.pending.clear();
  }

  private queueRoot(): void {
    this.pending = new Map([['root', { kind: 'root' }]]);
    this.scheduleFlush();
  }

  private queue(contextName: string, change: ClusterChange): void {
    if (this.disposed || this.pending.has('root')) return;
    const cluster = clusterId(contextName);
    if (this.pending.has(cluster)) return;
    if (change.kind === 'cluster') {
      // The cluster's subtree is refreshed anyway: its namespace and pod changes are redundant.
      for (const [key, pending] of this.pending) if (pending.kind !== 'root' && pending.contextName === contextName) this.pending.delete(key);
      this.pending.set(cluster, { kind: 'cluster', contextName, id: cluster });
    } else if (change.kind === 'namespace') {
      const id = namespaceId(contextName, change.namespace);
      for (const [key, pending] of this.pending) {
        if (pending.kind === 'pod' && pending.contextName === contextName && pending.namespace === change.namespace) this.pending.delete(key);
      }
      this.pending.set(id, { kind: 'namespace', contextName, namespace: change.namespace, id });
    } else {
      if (this.pending.has(namespaceId(contextName, change.namespace))) return;
      const id = podId(contextName, change.namespace, change.pod);
      this.pending.set(id, { kind: 'pod', contextName, namespace: change.namespace, pod: change.pod, id });
    }
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (this.disposed || this.pending.size === 0) return;
      const changes = [...this.pending.values()];
      this.pending = new Map();
      for (const listener of [...this.listeners]) listener(changes);
    });
  }
}

/** One collator for every sort (String#localeCompare sets one up per call); the same order as localeCompare. */
const collator = new Intl.Collator();

function byName(a: V1Pod, b: V1Pod): number {
  return collator.compare(a.metadata?.name ?? '', b.metadata?.name ?? '');
}
