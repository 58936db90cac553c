/** A tiny in-memory PodStore for kubelet tests: what the API server's store does, minus HTTP. */
import { randomUUID } from 'node:crypto';
import type { V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';
import { NODE_NAME, type PodStore, type WatchEventType } from '../../../cluster/contracts';

type Listener = (type: WatchEventType, pod: V1Pod) => void;

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export class MemoryPodStore implements PodStore {
  private readonly pods = new Map<string, V1Pod>();
  private readonly listeners = new Set<Listener>();
  private version = 0;

  listPods(): V1Pod[] {
    return [...this.pods.values()].map(clone);
  }

  getPod(namespace: string, name: string): V1Pod | undefined {
    const pod = this.pods.get(`${namespace}/${name}`);
    return pod && clone(pod);
  }

  updatePodStatus(namespace: string, name: string, mutate: (pod: V1Pod) => void, uid?: string): void {
    const old = this.pods.get(`${namespace}/${name}`);
    if (!old || (uid && old.metadata?.uid !== uid)) return;
    const copy = clone(old);
    mutate(copy);
    const next = clone(old);
    next.status = clone(copy.status ?? {});
    this.commit('MODIFIED', next);
  }

  removePod(namespace: string, name: string, uid?: string): void {
    const old = this.pods.get(`${namespace}/${name}`);
    if (!old || (uid && old.metadata?.uid !== uid)) return;
    this.pods.delete(`${namespace}/${name}`);
    this.emit('DELETED', old);
  }

  onPodChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Like a POST: defaults filled the way the API server does (bound to the one node), phase Pending. */
  createPod(pod: V1Pod): V1Pod {
    const p = clone(pod);
    p.metadata = { namespace: 'default', ...p.metadata, uid: randomUUID(), creationTimestamp: now() as unknown as Date };
    p.spec!.nodeName ??= NODE_NAME;
    p.spec!.restartPolicy ??= 'Always';
    p.spec!.terminationGracePeriodSeconds ??= 30;
    for (const c of p.spec!.containers) {
      c.imagePullPolicy ??= 'IfNotPresent';
      c.terminationMessagePolicy ??= 'File';
    }
    p.status = { phase: 'Pending' };
    this.commit('ADDED', p);
    return clone(p);
  }

  /** Like the ephemeralcontainers subresource: appends and emits MODIFIED. */
  addEphemeralContainer(namespace: string, name: string, container: V1EphemeralContainer): void {
    const p = clone(this.pods.get(`${namespace}/${name}`)!);
    p.spec!.ephemeralContainers = [...(p.spec!.ephemeralContainers ?? []), container];
    this.commit('MODIFIED', p);
  }

  /** Graceful delete: deletionTimestamp + grace; the kubelet calls removePod when done. */
  deletePod(namespace: string, name: string, graceSeconds?: number): void {
    const p = clone(this.pods.get(`${namespace}/${name}`)!);
    const grace = graceSeconds ?? p.spec?.terminationGracePeriodSeconds ?? 30;
    p.metadata!.deletionTimestamp = new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d+Z$/, 'Z') as unknown as Date;
    p.metadata!.deletionGracePeriodSeconds = grace;
    this.commit('MODIFIED', p);
  }

  /** Resolves with the pod once `predicate` holds (checked on every change). */
  waitFor(namespace: string, name: string, predicate: (pod: V1Pod | undefined) => boolean, what = 'condition'): Promise<V1Pod | undefined> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const pod = this.getPod(namespace, name);
        let ok = false;
        try {
          ok = predicate(pod);
        } catch {
          ok = false;
        }
        if (ok) {
          unsubscribe();
          clearTimeout(timer);
          resolve(pod);
        }
      };
      const unsubscribe = this.onPodChange(() => check());
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new Error(`timed out waiting for ${what} on ${namespace}/${name}: ${JSON.stringify(this.getPod(namespace, name)?.status)}`));
      }, 45_000);
      check();
    });
  }

  private commit(type: WatchEventType, pod: V1Pod): void {
    pod.metadata!.resourceVersion = String(++this.version);
    this.pods.set(`${pod.metadata!.namespace}/${pod.metadata!.name}`, pod);
    this.emit(type, pod);
  }

  private emit(type: WatchEventType, pod: V1Pod): void {
    for (const l of [...this.listeners]) l(type, clone(pod));
  }
}
