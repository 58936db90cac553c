/**
 * The object store: one global resourceVersion counter (as etcd's revision), a bounded event history for
 * watch resume and consistent paginated lists, and the in-process PodStore the kubelet consumes.
 */
import { randomUUID } from 'node:crypto';
import type { V1Namespace, V1Node, V1Pod } from '@kubernetes/client-node';
import type { PodStore, WatchEventType } from '../contracts';
import { defaultContainer, defaultNamespace, defaultPod } from './defaults';
import { loopbackNode } from './nodes';
import { alreadyExists, ApiError, forbidden, gone, notFound } from './status';
import { validatePodCreate } from './validation';

/** The apps/v1 and batch/v1 resources the loopback serves (see workloads.ts and controllers.ts). */
export type WorkloadResource = 'deployments' | 'statefulsets' | 'daemonsets' | 'replicasets' | 'jobs';
export const WORKLOAD_RESOURCES: readonly WorkloadResource[] = ['deployments', 'statefulsets', 'daemonsets', 'replicasets', 'jobs'];
export type Resource = 'pods' | 'namespaces' | 'nodes' | WorkloadResource;

/** Plain JSON (what goes over the wire); typed loosely because handlers edit arbitrary fields of it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- decoded JSON of any shape
export type Obj = Record<string, any>;

export interface StoreEvent {
  rv: number;
  type: WatchEventType;
  resource: Resource;
  key: string;
  object: Obj;
  /** The object before this event (for MODIFIED and DELETED): lets us rewind to an older revision. */
  prev?: Obj;
}

export const clone = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;
export const keyOf = (o: Obj): string =>
  o.metadata?.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : String(o.metadata?.name);

export class ClusterStore implements PodStore {
  private rv = 1;
  /** Every event with rv > compactedRv is still in history. */
  private compactedRv = 1;
  private readonly history: StoreEvent[] = [];
  private readonly objects: Record<Resource, Map<string, Obj>> = {
    pods: new Map(), namespaces: new Map(), nodes: new Map(), deployments: new Map(), statefulsets: new Map(), daemonsets: new Map(), replicasets: new Map(), jobs: new Map(),
  };
  private readonly listeners = new Set<(e: StoreEvent) => void>();
  /** Events committed while listeners run (a kubelet reacting to an event): delivered after, in order. */
  private readonly undelivered: StoreEvent[] = [];
  private delivering = false;
  /** With a kubelet, a graceful delete waits for removePod; without one nothing would ever call it. */
  gracefulDeletion = false;

  constructor(private readonly window = 1000) {
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      this.createNamespace({ metadata: { name } });
    }
    this.commit('ADDED', 'nodes', { ...loopbackNode(false), metadata: { ...loopbackNode(false).metadata, uid: randomUUID(), creationTimestamp: new Date().toISOString() } });
  }

  // ---- nodes ----

  getNode(name: string): V1Node | undefined {
    const node = this.objects.nodes.get(name);
    return node ? (clone(node) as V1Node) : undefined;
  }

  /** The node's Ready condition follows the kubelet (attached or not). */
  setNodeReady(name: string, ready: boolean): void {
    const old = this.objects.nodes.get(name);
    if (!old) return;
    const next = clone(old);
    next.status = loopbackNode(ready).status;
    this.commit('MODIFIED', 'nodes', next, clone(old));
  }

  // ---- revisions and events ----

  currentRv(): number {
    return this.rv;
  }

  subscribe(listener: (e: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Events after `rv` for a resource, or undefined when they were compacted away. */
  eventsSince(rv: number, resource: Resource): StoreEvent[] | undefined {
    if (rv < this.compactedRv) return undefined;
    return this.history.filter((e) => e.rv > rv && e.resource === resource).map((e) => ({ ...e, object: clone(e.object) }));
  }

  /** Drop all history now (as an etcd compaction would): older resourceVersions become 410 Gone. */
  compact(): void {
    this.history.length = 0;
    this.compactedRv = this.rv;
  }

  private commit(type: WatchEventType, resource: Resource, object: Obj, prev?: Obj): Obj {
    this.rv++;
    object.metadata.resourceVersion = String(this.rv);
    const key = keyOf(object);
    if (type === 'DELETED') this.objects[resource].delete(key);
    else this.objects[resource].set(key, object);
    const event: StoreEvent = { rv: this.rv, type, resource, key, object: clone(object), prev };
    this.history.push(event);
    while (this.history.length > this.window) this.compactedRv = this.history.shift()!.rv;
    this.deliver(event);
    return clone(object);
  }

  /**
   * Every listener gets every event in resourceVersion order, as from etcd: a commit made by a listener is
   * queued until the event being delivered has reached every listener.
   */
  private deliver(event: StoreEvent): void {
    this.undelivered.push(event);
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let next = this.undelivered.shift(); next !== undefined; next = this.undelivered.shift()) {
        for (const l of [...this.listeners]) l({ ...next, object: clone(next.object) });
      }
    } finally {
      // A listener that threw leaves the rest queued for the next commit, still in order.
      this.delivering = false;
    }
  }

  /**
   * The objects of a resource as they were at `rv` (current state rewound through history); undefined
   * when that revision was compacted. Gives paginated lists a consistent snapshot like etcd.
   */
  snapshot(resource: Resource, rv?: number): Obj[] | undefined {
    return this.snapshotEntries(resource, rv)?.map(([, v]) => clone(v));
  }

  /**
   * As snapshot(), sorted by key and limited to the keys `select` accepts (a namespace's prefix, the keys after a
   * continue token, as etcd's range reads), without copying: the caller clones what it sends, so a page of 500
   * out of 50,000 pods costs 500 copies, not 50,000.
   */
  snapshotEntries(resource: Resource, rv?: number, select: (key: string) => boolean = () => true): [string, Obj][] | undefined {
    const state = new Map<string, Obj>();
    for (const [k, v] of this.objects[resource]) if (select(k)) state.set(k, v);
    if (rv !== undefined && rv < this.rv) {
      if (rv < this.compactedRv) return undefined;
      for (let i = this.history.length - 1; i >= 0 && this.history[i].rv > rv; i--) {
        const e = this.history[i];
        if (e.resource !== resource || !select(e.key)) continue;
        if (e.type === 'ADDED') state.delete(e.key);
        else state.set(e.key, e.prev!);
      }
    }
    return [...state.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  // ---- namespaces ----

  createNamespace(ns: V1Namespace): V1Namespace {
    const obj = defaultNamespace(clone(ns) as Obj);
    if (this.objects.namespaces.has(obj.metadata.name)) throw alreadyExists('namespaces', obj.metadata.name);
    return this.commit('ADDED', 'namespaces', obj) as V1Namespace;
  }

  getNamespace(name: string): V1Namespace | undefined {
    const ns = this.objects.namespaces.get(name);
    return ns ? (clone(ns) as V1Namespace) : undefined;
  }

  listNamespaces(): V1Namespace[] {
    return this.snapshot('namespaces')! as V1Namespace[];
  }

  /** Sets a namespace's labels and annotations (what `kubectl label namespace` changes). */
  updateNamespaceMetadata(name: string, labels: Record<string, string> | undefined, annotations: Record<string, string> | undefined): V1Namespace {
    const ns = this.objects.namespaces.get(name);
    if (!ns) throw notFound('namespaces', name);
    const next = clone(ns);
    next.metadata.labels = labels;
    next.metadata.annotations = annotations;
    return this.commit('MODIFIED', 'namespaces', next, clone(ns)) as V1Namespace;
  }

  /** Marks the namespace Terminating, deletes its pods, and removes it once it is empty. */
  deleteNamespace(name: string): V1Namespace {
    const ns = this.objects.namespaces.get(name);
    if (!ns) throw notFound('namespaces', name);
    if (!ns.metadata.deletionTimestamp) {
      const next = clone(ns);
      next.metadata.deletionTimestamp = now();
      next.status = { ...(next.status ?? {}), phase: 'Terminating' };
      this.commit('MODIFIED', 'namespaces', next, clone(ns));
      // Workloads first, so that no controller makes new pods while they go.
      for (const resource of WORKLOAD_RESOURCES) {
        for (const workload of this.listObjects(resource).filter((w) => w.metadata.namespace === name)) this.deleteObject(resource, name, workload.metadata.name);
      }
      for (const pod of this.podsMatching((p) => p.metadata?.namespace === name)) {
        this.deletePod(name, pod.metadata!.name!);
      }
    }
    const result = this.getNamespace(name)!;
    this.finishNamespace(name);
    return result;
  }

  private finishNamespace(name: string): void {
    const ns = this.objects.namespaces.get(name);
    if (!ns?.metadata.deletionTimestamp) return;
    if ([...this.objects.pods.values()].some((p) => p.metadata.namespace === name)) return;
    this.commit('DELETED', 'namespaces', clone(ns), clone(ns));
  }

  // ---- workloads (stored as they come: defaulting and validation are workloads.ts's) ----

  createObject(resource: WorkloadResource, obj: Obj): Obj {
    const ns = this.objects.namespaces.get(obj.metadata.namespace);
    if (!ns) throw notFound('namespaces', obj.metadata.namespace);
    if (ns.metadata.deletionTimestamp) {
      throw forbidden(`${resource} "${obj.metadata.name}" is forbidden: unable to create new content in namespace ${obj.metadata.namespace} because it is being terminated`,
        { name: obj.metadata.name, kind: resource });
    }
    if (this.objects[resource].has(keyOf(obj))) throw alreadyExists(resource, obj.metadata.name);
    return this.commit('ADDED', resource, clone(obj));
  }

  getObject(resource: WorkloadResource, namespace: string, name: string): Obj | undefined {
    const obj = this.objects[resource].get(`${namespace}/${name}`);
    return obj ? clone(obj) : undefined;
  }

  listObjects(resource: WorkloadResource): Obj[] {
    return this.snapshot(resource)!;
  }

  /** Replaces a stored workload (its controller's status, a scale); emits MODIFIED. */
  replaceObject(resource: WorkloadResource, obj: Obj): Obj {
    const old = this.objects[resource].get(keyOf(obj));
    if (!old) throw notFound(resource, obj.metadata?.name ?? '');
    return this.commit('MODIFIED', resource, clone(obj), clone(old));
  }

  /** Removed at once; what it owns is the controllers' garbage collection (background propagation). */
  deleteObject(resource: WorkloadResource, namespace: string, name: string): Obj {
    const old = this.objects[resource].get(`${namespace}/${name}`);
    if (!old) throw notFound(resource, name);
    return this.commit('DELETED', resource, clone(old), clone(old));
  }

  // ---- pods (admin and API) ----

  /** Defaults, validates and stores a new pod (no admission: callers run Pod Security first). */
  createPod(pod: V1Pod, admit?: (defaulted: Obj) => void): V1Pod {
    const obj = clone(pod) as Obj;
    const nsName = obj.metadata?.namespace || 'default';
    const ns = this.objects.namespaces.get(nsName);
    if (!ns) throw notFound('namespaces', nsName);
    const defaulted = defaultPod(obj, nsName);
    validatePodCreate(defaulted);
    if (ns.metadata.deletionTimestamp) {
      throw forbidden(`pods "${defaulted.metadata.name}" is forbidden: unable to create new content in namespace ${nsName} because it is being terminated`,
        { name: defaulted.metadata.name, kind: 'pods' });
    }
    // Validating admission (Pod Security) runs after validation, before the name clash is found in storage.
    admit?.(clone(defaulted));
    if (this.objects.pods.has(keyOf(defaulted))) throw alreadyExists('pods', defaulted.metadata.name);
    return this.commit('ADDED', 'pods', defaulted) as V1Pod;
  }

  /**
   * Copies of the pods `matches` accepts (it reads the stored objects and must not change them): the workload
   * controllers look for a few pods on every change, which must not copy all 50,000 of a big cluster each time.
   */
  podsMatching(matches: (pod: Readonly<Obj>) => boolean): Obj[] {
    const found: Obj[] = [];
    for (const pod of this.objects.pods.values()) if (matches(pod)) found.push(clone(pod));
    return found.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  }

  listPods(): V1Pod[] {
    return this.snapshot('pods')! as V1Pod[];
  }

  getPod(namespace: string, name: string): V1Pod | undefined {
    const pod = this.objects.pods.get(`${namespace}/${name}`);
    return pod ? (clone(pod) as V1Pod) : undefined;
  }

  /** Replaces a pod (callers decide what may change); bumps resourceVersion and emits MODIFIED. */
  replacePod(pod: V1Pod): V1Pod {
    const key = keyOf(pod as Obj);
    const old = this.objects.pods.get(key);
    if (!old) throw notFound('pods', pod.metadata?.name ?? '');
    const next = clone(pod) as Obj;
    // Stored objects are always defaulted, even when an admin writes them behind admission's back.
    for (const list of ['containers', 'initContainers', 'ephemeralContainers']) {
      for (const c of next.spec?.[list] ?? []) defaultContainer(c, list === 'ephemeralContainers');
    }
    return this.commit('MODIFIED', 'pods', next, clone(old)) as V1Pod;
  }

  updatePodStatus(namespace: string, name: string, mutate: (pod: V1Pod) => void, uid?: string): void {
    const old = this.objects.pods.get(`${namespace}/${name}`);
    if (!old || (uid && old.metadata.uid !== uid)) return;
    const copy = clone(old) as V1Pod;
    mutate(copy);
    // Only the status is taken: the kubelet must not change spec or metadata behind the API's back.
    const next = clone(old);
    next.status = clone(copy.status ?? {});
    this.commit('MODIFIED', 'pods', next, clone(old));
  }

  /**
   * Graceful delete: sets deletionTimestamp/deletionGracePeriodSeconds and emits MODIFIED; the kubelet
   * calls removePod when the processes are gone. Grace 0, a finished pod, a pod bound to no node (held by a
   * scheduling gate; the real API server does the same) or no kubelet: removed at once.
   */
  deletePod(namespace: string, name: string, gracePeriodSeconds?: number): V1Pod {
    const old = this.objects.pods.get(`${namespace}/${name}`);
    if (!old) throw notFound('pods', name);
    let grace = gracePeriodSeconds ?? old.spec?.terminationGracePeriodSeconds ?? 30;
    if (grace < 0) grace = 0;
    const finished = old.status?.phase === 'Succeeded' || old.status?.phase === 'Failed';
    if (grace === 0 || finished || !old.spec?.nodeName || !this.gracefulDeletion) {
      const result = this.commit('DELETED', 'pods', clone(old), clone(old));
      this.finishNamespace(namespace);
      return result as V1Pod;
    }
    const current = old.metadata.deletionGracePeriodSeconds as number | undefined;
    // A second delete may only shorten the grace period, as on a real cluster.
    if (current !== undefined && current <= grace) return clone(old) as V1Pod;
    const next = clone(old);
    next.metadata.deletionTimestamp = new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    next.metadata.deletionGracePeriodSeconds = grace;
    return this.commit('MODIFIED', 'pods', next, clone(old)) as V1Pod;
  }

  removePod(namespace: string, name: string, uid?: string): void {
    const old = this.objects.pods.get(`${namespace}/${name}`);
    if (!old || (uid && old.metadata.uid !== uid)) return;
    this.commit('DELETED', 'pods', clone(old), clone(old));
    this.finishNamespace(namespace);
  }

  onPodChange(listener: (type: WatchEventType, pod: V1Pod) => void): () => void {
    return this.subscribe((e) => {
      if (e.resource === 'pods') listener(e.type, e.object as V1Pod);
    });
  }
}

export function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

export function isGone(e: unknown): e is ApiError {
  return e instanceof ApiError && e.code === 410;
}

export const tooOld = (rv: number, current: number) => gone(`too old resource version: ${rv} (${current})`);
