/**
 * One context's live view: namespaces and pods kept current by list+watch loops, and the connection state
 * as data (an unreachable server, rejected credentials or a failing exec plugin become `phase: 'error'`
 * with the ClusterError's message; nothing is thrown).
 */
import type { V1Namespace, V1Pod } from '@kubernetes/client-node';
import type { ClusterApi, ClusterError } from '../cluster/clusterApi';
import { ListWatch, type BackoffOptions } from './listWatch';
import { summarizePod } from './podStatus';
import { WorkloadCache, workloadLoops } from './workloads';

export interface ExplorerFilters {
  /** Only these namespaces (pods are then watched per namespace); all when empty or undefined. */
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

type Stream = 'namespaces' | 'pods';

export class ClusterWatcher {
  readonly namespaces = new Map<string, V1Namespace>();
  /** namespace → pod name → pod */
  readonly pods = new Map<string, Map<string, V1Pod>>();
  /** Deployments, StatefulSets, … of the same namespaces, watched while the pods are (see workloads.ts). */
  readonly workloads = new WorkloadCache();
  private workloadLoops: { stop(): void }[] = [];
  private status: ClusterStatus = { phase: 'connecting', namespacesForbidden: false };
  private readonly healthy = new Set<Stream>();
  private loops: ListWatch<V1Namespace | V1Pod>[] = [];
  private api: ClusterApi;
  private started = false;

  constructor(
    private readonly createApi: () => ClusterApi,
    private filters: ExplorerFilters,
    private readonly backoff: BackoffOptions,
    private readonly emit: (change: ClusterChange) => void,
  ) {
    this.api = createApi();
  }

  get state(): ClusterStatus {
    return this.status;
  }

  get isStarted(): boolean {
    return this.started;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.startLoops();
  }

  setFilters(filters: ExplorerFilters): void {
    this.filters = filters;
    if (this.started) this.restart();
  }

  restart(): void {
    this.stopLoops();
    this.namespaces.clear();
    this.pods.clear();
    this.workloads.clear();
    this.status = { phase: 'connecting', namespacesForbidden: false };
    this.healthy.clear();
    this.emit({ kind: 'cluster' });
    if (this.started) this.startLoops();
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

  private startLoops(): void {
    this.loops = [this.namespaceLoop()];
    const filter = this.filters.namespaces?.filter(Boolean) ?? [];
    if (filter.length) for (const namespace of filter) this.loops.push(this.podLoop(namespace));
    else this.loops.push(this.podLoop(undefined));
    for (const loop of this.loops) loop.start();
    this.watchWorkloads(filter.length ? filter : [undefined]);
  }

  private watchWorkloads(namespaces: readonly (string | undefined)[]): void {
    for (const loop of this.workloadLoops) loop.stop();
    const loops = workloadLoops(namespaces, () => this.freshApi(), this.workloads, (namespace) =>
      this.emit(namespace === undefined ? { kind: 'cluster' } : { kind: 'namespace', namespace }), this.backoff);
    this.workloadLoops = loops;
    for (const loop of loops) loop.start();
  }

  private stopLoops(): void {
    for (const loop of this.loops) loop.stop();
    this.loops = [];
    for (const loop of this.workloadLoops) loop.stop();
    this.workloadLoops = [];
  }

  private namespaceLoop(): ListWatch<V1Namespace | V1Pod> {
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
        this.markHealthy('namespaces');
        this.emit({ kind: 'cluster' });
      },
      onEvent: (type, ns) => {
        const name = ns.metadata?.name ?? '';
        if (type === 'DELETED') this.namespaces.delete(name);
        else this.namespaces.set(name, ns);
        this.emit({ kind: 'cluster' }); // a namespace node appears, disappears or changes phase
      },
      onError: (error, retryInMs) => {
        if (error.code === 403) {
          // Common for users limited to a few namespaces: keep going with the pods we can see.
          loop.stop();
          this.status = { ...this.status, namespacesForbidden: true };
          this.markHealthy('namespaces');
          if (!(this.filters.namespaces?.length)) this.scopePodsTo(this.api.defaultNamespace);
          this.emit({ kind: 'cluster' });
          return;
        }
        this.fail('namespaces', error, retryInMs);
      },
    }, this.backoff);
    return loop as ListWatch<V1Namespace | V1Pod>;
  }

  private podLoop(namespace: string | undefined): ListWatch<V1Namespace | V1Pod> {
    const labelSelector = this.filters.labelSelector || undefined;
    const loop = new ListWatch<V1Pod>(() => {
      const api = this.freshApi();
      return {
        list: () => api.listPods(namespace, { labelSelector }),
        watch: (resourceVersion, onEvent) => api.watchPods(namespace, { resourceVersion, labelSelector, allowWatchBookmarks: true }, onEvent),
      };
    }, {
      onList: (items) => this.replacePods(namespace, items),
      onEvent: (type, pod) => this.applyPodEvent(type, pod),
      onError: (error, retryInMs) => this.fail('pods', error, retryInMs),
    }, this.backoff);
    return loop as ListWatch<V1Namespace | V1Pod>;
  }

  private scopePodsTo(namespace: string): void {
    const podLoops = this.loops.slice(1);
    for (const loop of podLoops) loop.stop();
    const scoped = this.podLoop(namespace);
    this.loops = [this.loops[0]!, scoped];
    scoped.start();
    this.watchWorkloads([namespace]);
  }

  /** The facade is re-created after failures: the kubeconfig's credentials or CA may have changed. */
  private freshApi(): ClusterApi {
    if (this.status.phase === 'error') this.api = this.createApi();
    return this.api;
  }

  private replacePods(namespace: string | undefined, items: V1Pod[]): void {
    if (namespace === undefined) this.pods.clear();
    else this.pods.delete(namespace);
    for (const pod of items) this.podsIn(pod.metadata?.namespace ?? '').set(pod.metadata?.name ?? '', pod);
    this.markHealthy('pods');
    this.emit(namespace === undefined ? { kind: 'cluster' } : { kind: 'namespace', namespace });
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

  private markHealthy(stream: Stream): void {
    this.healthy.add(stream);
    if (this.healthy.size === 2 && this.status.phase !== 'ready') {
      this.status = { phase: 'ready', namespacesForbidden: this.status.namespacesForbidden };
      this.emit({ kind: 'cluster' });
    }
  }

  private fail(stream: Stream, error: ClusterError, retryInMs: number): void {
    this.healthy.delete(stream);
    const wasError = this.status.phase === 'error' && this.status.error?.message === error.message;
    this.status = { phase: 'error', error: { message: error.message, code: error.code, reason: error.reason }, retryInMs,
      namespacesForbidden: this.status.namespacesForbidden };
    if (!wasError) this.emit({ kind: 'cluster' });
  }
}
