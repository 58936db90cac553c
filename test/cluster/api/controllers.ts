/**
 * The loopback's stand-in for kube-controller-manager, small on purpose: it makes what the real controllers
 * make, with the same names, labels and ownerReferences, and keeps the status fields clients read.
 * - Deployment → ReplicaSet `<name>-<template hash>` (label pod-template-hash); a new template makes a new
 *   ReplicaSet and scales the old ones to 0 (all at once: no surge/unavailability arithmetic).
 * - ReplicaSet → pods `<rs>-<5 chars>`; StatefulSet → pods `<name>-0..N-1`, each once the one before is ready
 *   (OrderedReady); DaemonSet → one pod (the loopback binds every pod to its one node); Job → pods until `completions` succeeded
 *   (`parallelism` at a time, at most backoffLimit failures), with the job-name labels.
 * - Garbage collection: what an object owned (by ownerReference uid) is deleted once the owner is gone.
 * Every store event schedules one reconcile of everything (cheap at test sizes); a failed pod create (Pod
 * Security, a terminating namespace) is retried a second later, as a controller's back-off would.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import { randomSuffix } from './defaults';
import { enforcePodSecurity } from './pod-security';
import { now, type ClusterStore, type Obj, type WorkloadResource } from './store';
import { WORKLOAD_TYPES, type WorkloadType } from './workloads';

const SUFFIX_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
const RETRY_MS = 1000;

const TYPE: Record<WorkloadResource, WorkloadType> = Object.fromEntries(WORKLOAD_TYPES.map((t) => [t.resource, t])) as Record<WorkloadResource, WorkloadType>;
const OWNER_KINDS = new Set(WORKLOAD_TYPES.map((t) => t.kind));

const clone = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;
const controllerOf = (o: Obj): Obj | undefined => (o.metadata?.ownerReferences as Obj[] | undefined)?.find((r) => r.controller === true);
const live = (o: Obj) => !o.metadata?.deletionTimestamp;
const finished = (pod: Obj) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
const isReady = (pod: Obj) => live(pod) && pod.status?.phase === 'Running'
  && ((pod.status?.conditions ?? []) as Obj[]).some((c) => c.type === 'Ready' && c.status === 'True');

/** What the real controllers hash a template into (a stable string from the kubectl suffix alphabet). */
export function templateHash(template: unknown): string {
  const digest = createHash('sha256').update(JSON.stringify(template)).digest();
  return [...digest.subarray(0, 10)].map((b) => SUFFIX_CHARS[b % SUFFIX_CHARS.length]).join('');
}

function ownerReference(type: WorkloadType, owner: Obj): Obj {
  return { apiVersion: `${type.group}/v1`, kind: type.kind, name: owner.metadata.name, uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true };
}

export class WorkloadControllers {
  private scheduled = false;
  private retry?: NodeJS.Timeout;
  private stopped = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly store: ClusterStore, private readonly log: (line: string) => void = () => undefined) {
    this.unsubscribe = store.subscribe((event) => {
      if (event.resource !== 'namespaces') this.schedule();
    });
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    clearTimeout(this.retry);
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.stopped) this.reconcile();
    });
  }

  private reconcile(): void {
    let failed = false;
    const attempt = (what: string, run: () => void) => {
      try {
        run();
      } catch (error) {
        failed = true;
        this.log(`controllers: ${what}: ${(error as Error).message}`);
      }
    };
    this.collectGarbage(attempt);
    for (const d of this.store.listObjects('deployments')) attempt(`deployment ${d.metadata.name}`, () => this.deployment(d));
    for (const rs of this.store.listObjects('replicasets')) attempt(`replicaset ${rs.metadata.name}`, () => this.replicaSet(rs));
    for (const ss of this.store.listObjects('statefulsets')) attempt(`statefulset ${ss.metadata.name}`, () => this.statefulSet(ss));
    for (const ds of this.store.listObjects('daemonsets')) attempt(`daemonset ${ds.metadata.name}`, () => this.daemonSet(ds));
    for (const job of this.store.listObjects('jobs')) attempt(`job ${job.metadata.name}`, () => this.job(job));
    if (failed && !this.stopped) {
      clearTimeout(this.retry);
      this.retry = setTimeout(() => this.schedule(), RETRY_MS);
    }
  }

  // ---- garbage collection ----

  private collectGarbage(attempt: (what: string, run: () => void) => void): void {
    const uids = new Set<string>();
    for (const type of WORKLOAD_TYPES) for (const o of this.store.listObjects(type.resource)) uids.add(o.metadata.uid);
    const orphaned = (o: Obj) => {
      const owner = controllerOf(o);
      return owner !== undefined && OWNER_KINDS.has(owner.kind) && !uids.has(owner.uid);
    };
    for (const rs of this.store.listObjects('replicasets').filter(orphaned)) {
      attempt(`delete replicaset ${rs.metadata.name}`, () => this.store.deleteObject('replicasets', rs.metadata.namespace, rs.metadata.name));
    }
    for (const pod of this.store.podsMatching((p) => live(p) && orphaned(p))) {
      attempt(`delete pod ${pod.metadata.name}`, () => this.store.deletePod(pod.metadata.namespace, pod.metadata.name));
    }
  }

  // ---- helpers ----

  private podsOf(owner: Obj): Obj[] {
    return this.store.podsMatching((p) => p.metadata.namespace === owner.metadata.namespace && controllerOf(p)?.uid === owner.metadata.uid);
  }

  private createPod(type: WorkloadType, owner: Obj, name: string, labels: Record<string, string>, extra: (spec: Obj) => void = () => undefined): void {
    const template = owner.spec.template ?? {};
    const pod: Obj = {
      metadata: {
        name, namespace: owner.metadata.namespace, labels: { ...(template.metadata?.labels ?? {}), ...labels },
        ...(template.metadata?.annotations ? { annotations: clone(template.metadata.annotations) } : {}),
        ownerReferences: [ownerReference(type, owner)],
      },
      spec: clone(template.spec ?? {}),
    };
    extra(pod.spec);
    const namespace = this.store.getNamespace(owner.metadata.namespace) as Obj | undefined;
    this.store.createPod(pod as V1Pod, (defaulted) => enforcePodSecurity(namespace, defaulted));
  }

  /** Writes `status` (and keeps the rest) only when it changed, so a reconcile that changes nothing is quiet. */
  private setStatus(resource: WorkloadResource, obj: Obj, status: Obj): void {
    const next = { ...obj.status, ...status, observedGeneration: obj.metadata.generation };
    if (JSON.stringify(next) === JSON.stringify(obj.status)) return;
    this.store.replaceObject(resource, { ...obj, status: next });
  }

  /** Keeps `replicas` live pods named by `name()`; the newest extra ones are deleted. */
  private scale(type: WorkloadType, owner: Obj, replicas: number, name: () => string, labels: Record<string, string>): Obj[] {
    const pods = this.podsOf(owner).filter((p) => live(p) && !finished(p));
    for (let i = pods.length; i < replicas; i++) this.createPod(type, owner, name(), labels);
    const extra = [...pods].sort((a, b) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp))).slice(0, Math.max(0, pods.length - replicas));
    for (const pod of extra) this.store.deletePod(pod.metadata.namespace, pod.metadata.name);
    return this.podsOf(owner).filter(live);
  }

  // ---- the controllers ----

  private deployment(d: Obj): void {
    const hash = templateHash(d.spec.template);
    const name = `${d.metadata.name}-${hash}`;
    const owned = this.store.listObjects('replicasets').filter((rs) => rs.metadata.namespace === d.metadata.namespace && controllerOf(rs)?.uid === d.metadata.uid);
    const replicas = d.spec.replicas ?? 1;
    let current = owned.find((rs) => rs.metadata.name === name);
    if (current === undefined) {
      const labels = { ...(d.spec.template.metadata?.labels ?? {}), 'pod-template-hash': hash };
      current = this.store.createObject('replicasets', {
        apiVersion: 'apps/v1', kind: 'ReplicaSet',
        metadata: {
          name, namespace: d.metadata.namespace, labels, uid: randomUUID(), creationTimestamp: now(), generation: 1,
          annotations: { 'deployment.kubernetes.io/desired-replicas': String(replicas) }, ownerReferences: [ownerReference(TYPE.deployments, d)],
        },
        spec: {
          replicas,
          selector: { ...clone(d.spec.selector), matchLabels: { ...(d.spec.selector.matchLabels ?? {}), 'pod-template-hash': hash } },
          template: { ...clone(d.spec.template), metadata: { ...clone(d.spec.template.metadata ?? {}), labels } },
        },
        status: {},
      });
    } else if (current.spec.replicas !== replicas) {
      this.store.replaceObject('replicasets', { ...current, spec: { ...current.spec, replicas }, metadata: { ...current.metadata, generation: current.metadata.generation + 1 } });
    }
    for (const old of owned.filter((rs) => rs.metadata.name !== name && rs.spec.replicas !== 0)) {
      this.store.replaceObject('replicasets', { ...old, spec: { ...old.spec, replicas: 0 }, metadata: { ...old.metadata, generation: old.metadata.generation + 1 } });
    }
    const all = this.store.listObjects('replicasets').filter((rs) => controllerOf(rs)?.uid === d.metadata.uid);
    const sum = (field: string) => all.reduce((n, rs) => n + (rs.status?.[field] ?? 0), 0);
    const updated = all.find((rs) => rs.metadata.name === name)?.status?.replicas ?? 0;
    const available = sum('availableReplicas');
    this.setStatus('deployments', d, {
      replicas: sum('replicas'), readyReplicas: sum('readyReplicas'), availableReplicas: available, updatedReplicas: updated,
      unavailableReplicas: Math.max(0, replicas - available),
    });
  }

  private replicaSet(rs: Obj): void {
    const pods = this.scale(TYPE.replicasets, rs, rs.spec.replicas ?? 1, () => `${rs.metadata.name}-${randomSuffix()}`, {});
    const ready = pods.filter(isReady).length;
    this.setStatus('replicasets', rs, { replicas: pods.length, fullyLabeledReplicas: pods.length, readyReplicas: ready, availableReplicas: ready });
  }

  private statefulSet(ss: Obj): void {
    const replicas = ss.spec.replicas ?? 1;
    const revision = `${ss.metadata.name}-${templateHash(ss.spec.template)}`;
    const pods = this.podsOf(ss);
    const byName = new Map(pods.map((p) => [p.metadata.name as string, p]));
    for (let i = 0; i < replicas; i++) {
      const name = `${ss.metadata.name}-${i}`;
      const pod = byName.get(name);
      if (pod === undefined) {
        // A deleted pod's name is reused only once it is gone; the next ordinal waits for this one to be ready.
        this.createPod(TYPE.statefulsets, ss, name, {
          'statefulset.kubernetes.io/pod-name': name, 'apps.kubernetes.io/pod-index': String(i), 'controller-revision-hash': revision,
        }, (spec) => {
          spec.hostname = name;
          if (ss.spec.serviceName) spec.subdomain = ss.spec.serviceName;
        });
        break;
      }
      if (!isReady(pod)) break;
    }
    for (const pod of pods) {
      const ordinal = Number(pod.metadata.name.slice(ss.metadata.name.length + 1));
      if (live(pod) && ordinal >= replicas) this.store.deletePod(pod.metadata.namespace, pod.metadata.name);
    }
    const now = this.podsOf(ss).filter(live);
    const ready = now.filter(isReady).length;
    this.setStatus('statefulsets', ss, {
      replicas: now.length, readyReplicas: ready, availableReplicas: ready, currentReplicas: now.length, updatedReplicas: now.length,
      currentRevision: revision, updateRevision: revision,
    });
  }

  private daemonSet(ds: Obj): void {
    const pods = this.scale(TYPE.daemonsets, ds, 1, () => `${ds.metadata.name}-${randomSuffix()}`, {
      'controller-revision-hash': templateHash(ds.spec.template), 'pod-template-generation': String(ds.metadata.generation),
    });
    const ready = pods.filter(isReady).length;
    this.setStatus('daemonsets', ds, {
      desiredNumberScheduled: 1, currentNumberScheduled: pods.length, updatedNumberScheduled: pods.length, numberMisscheduled: 0,
      numberReady: ready, numberAvailable: ready, ...(ready < 1 ? { numberUnavailable: 1 } : { numberUnavailable: 0 }),
    });
  }

  private job(job: Obj): void {
    const pods = this.podsOf(job);
    const succeeded = Math.max(job.status?.succeeded ?? 0, pods.filter((p) => p.status?.phase === 'Succeeded').length);
    const failedCount = Math.max(job.status?.failed ?? 0, pods.filter((p) => p.status?.phase === 'Failed').length);
    const active = pods.filter((p) => live(p) && !finished(p));
    const completions = job.spec.completions ?? 1;
    const complete = succeeded >= completions;
    const failedJob = failedCount > (job.spec.backoffLimit ?? 6);
    if (!complete && !failedJob) {
      const wanted = Math.min(job.spec.parallelism ?? 1, completions - succeeded);
      for (let i = active.length; i < wanted; i++) {
        this.createPod(TYPE.jobs, job, `${job.metadata.name}-${randomSuffix()}`, {});
      }
    }
    const stillActive = this.podsOf(job).filter((p) => live(p) && !finished(p));
    const condition = complete ? 'Complete' : failedJob ? 'Failed' : undefined;
    this.setStatus('jobs', job, {
      startTime: job.status?.startTime ?? now(),
      active: stillActive.length, ready: stillActive.filter(isReady).length, succeeded, failed: failedCount,
      ...(condition !== undefined ? {
        conditions: [{ type: condition, status: 'True', lastProbeTime: job.status?.conditions?.[0]?.lastProbeTime ?? now(), lastTransitionTime: job.status?.conditions?.[0]?.lastTransitionTime ?? now() }],
        ...(complete ? { completionTime: job.status?.completionTime ?? now() } : {}),
      } : {}),
    });
  }
}
