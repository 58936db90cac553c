/**
 * Pod Security admission (k8s.io/pod-security-admission) for the enforce label of a namespace: the same
 * checks, reasons, detail texts and ordering (baseline checks, then restricted ones; restricted checks
 * replace the baseline check they tighten), over init, regular AND ephemeral containers.
 */
import type { Obj } from './store';
import { forbidden } from './status';

type Level = 'privileged' | 'baseline' | 'restricted';
interface Result { reason: string; detail: string }
interface Check { id: string; level: 'baseline' | 'restricted'; overrides?: string; run(meta: Obj, spec: Obj): Result | undefined }

const quote = (xs: string[]) => xs.map((x) => JSON.stringify(x)).join(', ');
const plural = (one: string, many: string, n: number) => (n === 1 ? one : many);
const containersOf = (spec: Obj): Obj[] =>
  [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])].filter((c) => c && typeof c === 'object');
const named = (names: string[]) => `${plural('container', 'containers', names.length)} ${quote(names)}`;

const BASELINE_CAPS = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE',
  'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);
const SAFE_SYSCTLS = new Set(['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes']);
const RESTRICTED_VOLUME_OK = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected',
  'secret', 'image']);

/** Checks in the order the evaluator reports them. */
const CHECKS: Check[] = [
  { id: 'capabilities_baseline', level: 'baseline', run(_m, spec) {
    const bad: string[] = []; const caps = new Set<string>();
    for (const c of containersOf(spec)) {
      const added = (c.securityContext?.capabilities?.add ?? []) as string[];
      const extra = added.filter((a) => !BASELINE_CAPS.has(a));
      if (extra.length) { bad.push(c.name); extra.forEach((x) => caps.add(x)); }
    }
    return bad.length ? { reason: 'non-default capabilities', detail: `${named(bad)} must not include ${quote([...caps].sort())} in securityContext.capabilities.add` } : undefined;
  } },
  { id: 'hostNamespaces', level: 'baseline', run(_m, spec) {
    const ns = ['hostIPC', 'hostNetwork', 'hostPID'].filter((k) => spec[k] === true);
    return ns.length ? { reason: 'host namespaces', detail: ns.map((k) => `${k}=true`).join(', ') } : undefined;
  } },
  { id: 'hostPathVolumes', level: 'baseline', run(_m, spec) {
    const vols = ((spec.volumes ?? []) as Obj[]).filter((v) => v?.hostPath).map((v) => v.name as string);
    return vols.length ? { reason: 'hostPath volumes', detail: `${plural('volume', 'volumes', vols.length)} ${quote(vols)}` } : undefined;
  } },
  { id: 'hostPorts', level: 'baseline', run(_m, spec) {
    const bad: string[] = []; const ports: number[] = [];
    for (const c of containersOf(spec)) {
      const hp = ((c.ports ?? []) as Obj[]).map((p) => p?.hostPort).filter((p) => typeof p === 'number' && p !== 0);
      if (hp.length) { bad.push(c.name); ports.push(...hp); }
    }
    return bad.length ? { reason: 'hostPort', detail: `${named(bad)} ${plural('uses', 'use', bad.length)} ${plural('hostPort', 'hostPorts', ports.length)} ${ports.join(', ')}` } : undefined;
  } },
  { id: 'privileged', level: 'baseline', run(_m, spec) {
    const bad = containersOf(spec).filter((c) => c.securityContext?.privileged === true).map((c) => c.name);
    return bad.length ? { reason: 'privileged', detail: `${named(bad)} must not set securityContext.privileged=true` } : undefined;
  } },
  { id: 'procMount', level: 'baseline', run(_m, spec) {
    const bad = containersOf(spec).filter((c) => c.securityContext?.procMount && c.securityContext.procMount !== 'Default');
    return bad.length ? { reason: 'procMount', detail: `${named(bad.map((c) => c.name))} must not set securityContext.procMount to ${quote([...new Set(bad.map((c) => c.securityContext.procMount as string))])}` } : undefined;
  } },
  { id: 'seccompProfile_baseline', level: 'baseline', run(_m, spec) {
    const setters: string[] = [];
    if (spec.securityContext?.seccompProfile?.type === 'Unconfined') setters.push('pod');
    const bad = containersOf(spec).filter((c) => c.securityContext?.seccompProfile?.type === 'Unconfined').map((c) => c.name);
    if (bad.length) setters.push(named(bad));
    return setters.length ? { reason: 'seccompProfile', detail: `${setters.join(' and ')} must not set securityContext.seccompProfile.type to "Unconfined"` } : undefined;
  } },
  { id: 'sysctls', level: 'baseline', run(_m, spec) {
    const bad = ((spec.securityContext?.sysctls ?? []) as Obj[]).map((s) => s?.name as string).filter((n) => !SAFE_SYSCTLS.has(n));
    return bad.length ? { reason: 'forbidden sysctls', detail: bad.join(', ') } : undefined;
  } },
  { id: 'allowPrivilegeEscalation', level: 'restricted', run(_m, spec) {
    const bad = containersOf(spec).filter((c) => c.securityContext?.allowPrivilegeEscalation !== false).map((c) => c.name);
    return bad.length ? { reason: 'allowPrivilegeEscalation != false', detail: `${named(bad)} must set securityContext.allowPrivilegeEscalation=false` } : undefined;
  } },
  { id: 'capabilities_restricted', level: 'restricted', overrides: 'capabilities_baseline', run(_m, spec) {
    const missingDrop: string[] = []; const adding: string[] = []; const caps = new Set<string>();
    for (const c of containersOf(spec)) {
      const cap = c.securityContext?.capabilities;
      if (!cap || !((cap.drop ?? []) as string[]).includes('ALL')) missingDrop.push(c.name);
      const extra = ((cap?.add ?? []) as string[]).filter((a) => a !== 'NET_BIND_SERVICE');
      if (extra.length) { adding.push(c.name); extra.forEach((x) => caps.add(x)); }
    }
    const details: string[] = [];
    if (missingDrop.length) details.push(`${named(missingDrop)} must set securityContext.capabilities.drop=["ALL"]`);
    if (adding.length) details.push(`${named(adding)} must not include ${quote([...caps].sort())} in securityContext.capabilities.add`);
    return details.length ? { reason: 'unrestricted capabilities', detail: details.join('; ') } : undefined;
  } },
  { id: 'restrictedVolumes', level: 'restricted', overrides: 'hostPathVolumes', run(_m, spec) {
    const bad: string[] = []; const types = new Set<string>();
    for (const v of (spec.volumes ?? []) as Obj[]) {
      const type = Object.keys(v ?? {}).find((k) => k !== 'name');
      if (type && !RESTRICTED_VOLUME_OK.has(type)) { bad.push(v.name); types.add(type); }
    }
    return bad.length ? { reason: 'restricted volume types', detail: `${plural('volume', 'volumes', bad.length)} ${quote(bad)} ${plural('uses', 'use', bad.length)} ${plural('restricted volume type', 'restricted volume types', types.size)} ${quote([...types].sort())}` } : undefined;
  } },
  { id: 'runAsNonRoot', level: 'restricted', run(_m, spec) {
    const setters: string[] = [];
    const podValue = spec.securityContext?.runAsNonRoot;
    if (podValue === false) setters.push('pod');
    const explicit: string[] = []; const implicit: string[] = [];
    for (const c of containersOf(spec)) {
      const v = c.securityContext?.runAsNonRoot;
      if (v === false) explicit.push(c.name);
      else if (v === undefined && podValue !== true) implicit.push(c.name);
    }
    if (explicit.length) setters.push(named(explicit));
    if (setters.length) return { reason: 'runAsNonRoot != true', detail: `${setters.join(' and ')} must not set securityContext.runAsNonRoot=false` };
    return implicit.length ? { reason: 'runAsNonRoot != true', detail: `pod or ${named(implicit)} must set securityContext.runAsNonRoot=true` } : undefined;
  } },
  { id: 'runAsUser', level: 'restricted', run(_m, spec) {
    const setters: string[] = [];
    if (spec.securityContext?.runAsUser === 0) setters.push('pod');
    const bad = containersOf(spec).filter((c) => c.securityContext?.runAsUser === 0).map((c) => c.name);
    if (bad.length) setters.push(named(bad));
    return setters.length ? { reason: 'runAsUser=0', detail: `${setters.join(' and ')} must not set runAsUser=0` } : undefined;
  } },
  { id: 'seccompProfile_restricted', level: 'restricted', overrides: 'seccompProfile_baseline', run(_m, spec) {
    const valid = (t: unknown) => t === 'RuntimeDefault' || t === 'Localhost';
    const setters: string[] = []; const badValues = new Set<string>();
    const podType = spec.securityContext?.seccompProfile?.type;
    let podSet = false;
    if (spec.securityContext?.seccompProfile) {
      if (!valid(podType)) { setters.push('pod'); badValues.add(String(podType)); } else podSet = true;
    }
    const explicit: string[] = []; const implicit: string[] = [];
    for (const c of containersOf(spec)) {
      const p = c.securityContext?.seccompProfile;
      if (p) { if (!valid(p.type)) { explicit.push(c.name); badValues.add(String(p.type)); } } else if (!podSet) implicit.push(c.name);
    }
    if (explicit.length) setters.push(named(explicit));
    if (setters.length) return { reason: 'seccompProfile', detail: `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${quote([...badValues].sort())}` };
    return implicit.length ? { reason: 'seccompProfile', detail: `pod or ${named(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"` } : undefined;
  } },
];

export const ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';
export const ENFORCE_VERSION_LABEL = 'pod-security.kubernetes.io/enforce-version';

/** The enforce level of a namespace; an unknown value fails closed to restricted, as the real plugin does. */
export function enforceLevel(ns: Obj | undefined): { level: Level; version: string } {
  const labels = ns?.metadata?.labels ?? {};
  const raw = labels[ENFORCE_LABEL];
  const level: Level = raw === undefined || raw === 'privileged' ? 'privileged' : raw === 'baseline' ? 'baseline' : 'restricted';
  return { level, version: labels[ENFORCE_VERSION_LABEL] || 'latest' };
}

/** The failed checks' `reason (detail)` texts for a level, in the evaluator's order. */
export function evaluate(level: Level, pod: Obj): string[] {
  if (level === 'privileged') return [];
  const active = CHECKS.filter((c) => level === 'restricted' || c.level === 'baseline');
  const overridden = new Set(active.map((c) => c.overrides).filter(Boolean));
  return active.filter((c) => !overridden.has(c.id))
    .map((c) => c.run(pod.metadata ?? {}, pod.spec ?? {}))
    .filter((r): r is Result => !!r)
    .map((r) => (r.detail ? `${r.reason} (${r.detail})` : r.reason));
}

/** Throws the real 403 `pods "x" is forbidden: violates PodSecurity "restricted:latest": ...` when the pod fails. */
export function enforcePodSecurity(ns: Obj | undefined, pod: Obj): void {
  const { level, version } = enforceLevel(ns);
  const failures = evaluate(level, pod);
  if (failures.length === 0) return;
  const name = pod.metadata?.name ?? '';
  throw forbidden(`pods "${name}" is forbidden: violates PodSecurity "${level}:${version}": ${failures.join(', ')}`, { name, kind: 'pods' });
}
