/**
 * One context's live view: its namespaces kept current by a list+watch loop, and the pods and workloads of
 * only the namespaces expanded in the tree, each listed in pages (`limit`/`continue`) and watched from that
 * list's resourceVersion while it stays expanded; collapsing stops its watches and forgets its pods, a 410 Gone
 * relists that namespace alone. The connection state is data (an unreachable server, rejected credentials or
 * a failing exec plugin become `phase: 'error'` with the ClusterError's message; nothing is thrown).
 */
import type { V1Namespace, V1Pod } from '@kubernetes/client-node';
import type { ClusterApi, ClusterError } from '../cluster/clusterApi';
import { LIST_PAGE_SIZE, listAllPages, ListWatch, type BackoffOptions } from './listWatch';
import { summarizePod } from './podStatus';
import { WorkloadCache, workloadLoops } from './workloads';

export interface ExplorerFilters {
  /** Only these namespaces are shown; all when empty or undefined. */
  namespaces?: readonly string[];
  /** A label selector for pods, e.g. `app=web,tier!=cache`. */
  labelSelector?: string;
}

export interface ClusterStatus {
  phase: 'connecting' | 'ready' | 'error';
  error?: { message: string; code: number; reason: string };
  /** When the next attempt happens after an error. */
  retryInMs?: number;
  /** The namespace list is forbidden: namespaces shown are the filter's or the context's default. */
  namespacesForbidden: boolean;
}

/** What changed, so the tree refreshes only those nodes (a change includes the node's children). */
export type ClusterChange =
  | { kind: 'cluster' }
  | { kind: 'namespace'; namespace: string }
  | { kind: 'pod'; namespace: string; pod: string };

/** The pods of one expanded namespace: listed yet, or why not (shown under the namespace, retried by the loop). */
export interface NamespacePodsState {
  phase: 'loading' | 'ready' | 'error';
  error?: string;
  retryInMs?: number;
}

/** The loops of one expanded namespace: its pods and its workloads. */
interface ExpandedNamespace {
  loops: { start(): void; stop(): void }[];
  state: NamespacePodsState;
}

export class ClusterWatcher {
  readonly namespaces = new Map<string, V1Namespace>();
  /** Expanded namespace → pod name → pod; nothing for a collapsed namespace. */
  readonly pods = new Map<string, Map<string, V1Pod>>();
  /** Deployments, StatefulSets, … of the expanded namespaces, watched while their pods are (see workloads.ts). */
  readonly workloads = new WorkloadCache();
  private readonly expanded = new Map<string, ExpandedNamespace>();
  private status: ClusterStatus = { phase: 'connecting', namespacesForbidden: false };
  private namespaceLoop: ListWatch<V1Namespace> | undefined;
  private api: ClusterApi;
  private started = false;

  constructor(
    private readonly createApi: () => ClusterApi,
    private filters: ExplorerFilters,
    private readonly backoff: BackoffOptions,
    private readonly emit: (change: ClusterChange) => void,
    /** Items per list page (`limit`) for a namespace's pods and workloads. */
    private readonly pageSize = LIST_PAGE_SIZE,
  ) {
    this.api = createApi();
  }

  get state(): ClusterStatus {
    return this.status;
  }

  get isStarted(): boolean {
    return this.started;
  }

  /** Starts the namespaces' list + watch (pods wait for expand()). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.startNamespaces();
  }

  setFilters(filters: ExplorerFilters): void {
    this.filters = filters;
    if (this.started) this.restart();
  }

  /** Relists the namespaces and every expanded namespace, which stay expanded unless the filter now hides them. */
  restart(): void {
    const filter = this.filters.namespaces?.filter(Boolean) ?? [];
    const expanded = [...this.expanded.keys()].filter((namespace) => filter.length === 0 || filter.includes(namespace));
    this.stopLoops();
    this.namespaces.clear();
    this.status = { phase: 'connecting', namespacesForbidden: false };
    this.emit({ kind: 'cluster' });
    if (!this.started) return;
    this.startNamespaces();
    for (const namespace of expanded) this.expand(namespace);
  }

  dispose(): void {
    this.started = false;
    this.stopLoops();
  }

  /** Namespaces shown: the filter (intersected with existing ones when they can be listed), else all. */
  visibleNamespaces(): string[] {
    const filter = this.filters.namespaces?.filter(Boolean) ?? [];
    if (this.status.namespacesForbidden) return filter.length ? [...filter] : [this.api.defaultNamespace];
    const all = [...this.namespaces.keys()];
    return (filter.length ? all.filter((n) => filter.includes(n)) : all).sort();
  }

  isExpanded(namespace: string): boolean {
    return this.expanded.has(namespace);
  }

  /** The expanded namespace's pods: loading, ready or failing; undefined when it is not expanded. */
  podsState(namespace: string): NamespacePodsState | undefined {
    return this.expanded.get(namespace)?.state;
  }

  /** The namespace was expanded: list its pods and workloads (in pages) and watch them. Idempotent. */
  expand(namespace: string): void {
    if (!this.started || this.expanded.has(namespace)) return;
    const entry: ExpandedNamespace = { loops: [], state: { phase: 'loading' } };
    this.expanded.set(namespace, entry);
    entry.loops = [this.podLoop(namespace, entry), ...workloadLoops([namespace], () => this.freshApi(), this.workloads,
      () => this.emit({ kind: 'namespace', namespace }), this.backoff, this.pageSize)];
    for (const loop of entry.loops) loop.start();
  }

  /** The namespace was collapsed (or is gone): stop its watches and forget its pods and workloads. */
  collapse(namespace: string): void {
    const entry = this.expanded.get(namespace);
    if (entry === undefined) return;
    this.expanded.delete(namespace);
    for (const loop of entry.loops) loop.stop();
    this.pods.delete(namespace);
    this.workloads.clearNamespace(namespace);
  }

  private startNamespaces(): void {
    const loop: ListWatch<V1Namespace> = new ListWatch<V1Namespace>(() => {
      const api = this.freshApi();
      return {
        list: () => api.listNamespaces(),
        watch: (resourceVersion, onEvent) => api.watchNamespaces({ resourceVersion, allowWatchBookmarks: true }, onEvent),
      };
    }, {
      onList: (items) => {
        this.namespaces.clear();
        for (const ns of items) this.namespaces.set(ns.metadata?.name ?? '', ns);
        this.markReady();
        this.emit({ kind: 'cluster' });
      },
      onEvent: (type, ns) => {
        const name = ns.metadata?.name ?? '';
        if (type === 'DELETED') {
          this.namespaces.delete(name);
          this.collapse(name);
        } else this.namespaces.set(name, ns);
        this.emit({ kind: 'cluster' }); // a namespace node appears, disappears or changes phase
      },
      onError: (error, retryInMs) => {
        if (error.code === 403) {
          // Common for users limited to a few namespaces: show the filter's or the default namespace instead.
          loop.stop();
          this.status = { ...this.status, namespacesForbidden: true };
          this.markReady();
          this.emit({ kind: 'cluster' });
          return;
        }
        this.fail(error, retryInMs);
      },
    }, this.backoff);
    this.namespaceLoop = loop;
    loop.start();
  }

  private stopLoops(): void {
    this.namespaceLoop?.stop();
    this.namespaceLoop = undefined;
    for (const namespace of [...this.expanded.keys()]) this.collapse(namespace);
    this.pods.clear();
    this.workloads.clear();
  }

  private podLoop(namespace: string, entry: ExpandedNamespace): ListWatch<V1Pod> {
    const labelSelector = this.filters.labelSelector || undefined;
    const live = () => this.expanded.get(namespace) === entry;
    return new ListWatch<V1Pod>(() => {
      const api = this.freshApi();
      return {
        list: () => listAllPages((page) => api.listPods(namespace, { labelSelector, ...page }), this.pageSize),
        watch: (resourceVersion, onEvent) => api.watchPods(namespace, { resourceVersion, labelSelector, allowWatchBookmarks: true }, onEvent),
      };
    }, {
      onList: (items) => {
        if (!live()) return;
        this.replacePods(namespace, items);
        entry.state = { phase: 'ready' };
        this.emit({ kind: 'namespace', namespace });
      },
      onEvent: (type, pod) => {
        if (live()) this.applyPodEvent(type, pod);
      },
      onError: (error, retryInMs) => {
        if (!live()) return;
        entry.state = { phase: 'error', error: error.message, retryInMs };
        this.emit({ kind: 'namespace', namespace });
      },
    }, this.backoff);
  }

  /** The facade is re-created after failures: the kubeconfig's credentials or CA may have changed. */
  private freshApi(): ClusterApi {
    if (this.status.phase === 'error') this.api = this.createApi();
    return this.api;
  }

  private replacePods(namespace: string, items: V1Pod[]): void {
    const pods = new Map<string, V1Pod>();
    for (const pod of items) pods.set(pod.metadata?.name ?? '', pod);
    this.pods.set(namespace, pods);
  }

  applyPodEvent(type: 'ADDED' | 'MODIFIED' | 'DELETED', pod: V1Pod): void {
    const namespace = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    const pods = this.podsIn(namespace);
    const existed = pods.has(name);
    if (type === 'DELETED') {
      pods.delete(name);
      if (existed) this.emit({ kind: 'namespace', namespace });
      return;
    }
    const before = pods.get(name);
    pods.set(name, pod);
    // A new pod changes the namespace's children; a modified one only its own node, unless its health
    // changed, which the namespace's "need attention" count shows.
    const healthChanged = before !== undefined && summarizePod(before).health !== summarizePod(pod).health;
    this.emit(existed && !healthChanged ? { kind: 'pod', namespace, pod: name } : { kind: 'namespace', namespace });
  }

  private podsIn(namespace: string): Map<string, V1Pod> {
    let pods = this.pods.get(namespace);
    if (!pods) this.pods.set(namespace, (pods = new Map()));
    return pods;
  }

  private markReady(): void {
    if (this.status.phase === 'ready') return;
    this.status = { phase: 'ready', namespacesForbidden: this.status.namespacesForbidden };
    this.emit({ kind: 'cluster' });
  }

  private fail(error: ClusterError, retryInMs: number): void {
    const wasError = this.status.phase === 'error' && this.status.error?.message === error.message;
    this.status = { phase: 'error', error: { message: error.message, code: error.code, reason: error.reason }, retryInMs,
      namespacesForbidden: this.status.namespacesForbidden };
    if (!wasError) this.emit({ kind: 'cluster' });
  }
}
