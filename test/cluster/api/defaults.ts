/** Defaulting as the real API server (and its default admission plugins) applies it on create. */
import { randomBytes, randomUUID } from 'node:crypto';
import { NODE_NAME } from '../contracts';
import { now, type Obj } from './store';

const SUFFIX_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

/** generateName suffix: 5 characters from the same alphabet as the real server's. */
export function randomSuffix(n = 5): string {
  return [...randomBytes(n)].map((b) => SUFFIX_CHARS[b % SUFFIX_CHARS.length]).join('');
}

export function defaultMetadata(obj: Obj, namespace?: string): void {
  obj.metadata ??= {};
  const m = obj.metadata;
  if (!m.name && m.generateName) m.name = `${m.generateName}${randomSuffix()}`;
  if (namespace !== undefined) m.namespace = namespace;
  m.uid = randomUUID();
  m.creationTimestamp = now();
  delete m.resourceVersion;
  delete m.deletionTimestamp;
  delete m.deletionGracePeriodSeconds;
  delete m.managedFields;
  delete m.selfLink;
}

export function defaultNamespace(ns: Obj): Obj {
  ns.apiVersion = 'v1';
  ns.kind = 'Namespace';
  defaultMetadata(ns);
  ns.metadata.labels = { ...(ns.metadata.labels ?? {}), 'kubernetes.io/metadata.name': ns.metadata.name };
  ns.spec = { finalizers: ['kubernetes'] };
  ns.status = { phase: 'Active' };
  return ns;
}

/** `:latest` or no tag means Always, as PullPolicy defaulting does; a digest counts as a tag. */
export function defaultPullPolicy(image: unknown): string {
  if (typeof image !== 'string' || image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const tag = lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : '';
  return !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

export function defaultContainer(c: Obj, ephemeral = false): void {
  if (!c || typeof c !== 'object') return;
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.imagePullPolicy ??= defaultPullPolicy(c.image);
  c.resources ??= {};
  if (!ephemeral && Array.isArray(c.ports)) for (const p of c.ports) if (p && typeof p === 'object') p.protocol ??= 'TCP';
  if (Array.isArray(c.env)) for (const e of c.env) if (e?.valueFrom?.fieldRef) e.valueFrom.fieldRef.apiVersion ??= 'v1';
}

function qosClass(spec: Obj): string {
  const all = [...(spec.initContainers ?? []), ...(spec.containers ?? [])] as Obj[];
  const hasAny = all.some((c) => Object.keys(c.resources?.requests ?? {}).length || Object.keys(c.resources?.limits ?? {}).length);
  if (!hasAny) return 'BestEffort';
  const guaranteed = all.every((c) => ['cpu', 'memory'].every((r) =>
    c.resources?.limits?.[r] !== undefined && (c.resources?.requests?.[r] ?? c.resources.limits[r]) === c.resources.limits[r]));
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

export function defaultPod(pod: Obj, namespace: string): Obj {
  pod.apiVersion = 'v1';
  pod.kind = 'Pod';
  defaultMetadata(pod, namespace);
  pod.metadata.generation = 1;
  const s = (pod.spec ??= {});
  for (const c of s.containers ?? []) defaultContainer(c);
  for (const c of s.initContainers ?? []) defaultContainer(c);
  for (const c of s.ephemeralContainers ?? []) defaultContainer(c, true);
  s.restartPolicy ??= 'Always';
  s.terminationGracePeriodSeconds ??= 30;
  s.dnsPolicy ??= 'ClusterFirst';
  s.securityContext ??= {};
  s.schedulerName ??= 'default-scheduler';
  // No scheduler here: the single node gets every pod at once, unless a scheduling gate holds it back (no PATCH
  // here can lift one, so such a pod stays Pending and unbound: a pod no kubelet runs).
  const gated = (s.schedulingGates?.length ?? 0) > 0;
  if (!gated) s.nodeName ??= NODE_NAME;
  s.serviceAccountName ??= s.serviceAccount ?? 'default';
  s.serviceAccount ??= s.serviceAccountName;
  s.enableServiceLinks ??= true;
  s.priority ??= 0;
  s.preemptionPolicy ??= 'PreemptLowerPriority';
  s.tolerations ??= [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ];
  for (const v of s.volumes ?? []) {
    if (v?.configMap) v.configMap.defaultMode ??= 420;
    if (v?.secret) v.secret.defaultMode ??= 420;
    if (v?.hostPath) v.hostPath.type ??= '';
  }
  pod.status = { phase: 'Pending', qosClass: qosClass(s) };
  // As the real API server marks a gated pod at creation (pod strategy, applySchedulingGatedCondition).
  if (gated) {
    pod.status.conditions = [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated',
      message: 'Scheduling is blocked due to non-empty scheduling gates', lastProbeTime: null, lastTransitionTime: pod.metadata.creationTimestamp }];
  }
  return pod;
}
