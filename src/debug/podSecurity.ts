/**
 * A client-side replica of the Pod Security admission checks that concern container and pod security
 * contexts (k8s.io/pod-security-admission `policy/check_*.go`, "latest" version), producing the same
 * reason/detail strings and the same order as the API server, so a debug container can be checked before it is
 * sent and leftovers that block every later add can be named.
 *
 * Not replicated, because a debug container cannot affect them and the server reports them anyway: volumes,
 * hostPorts, probes/lifecycle with host, sysctls, and the pre-1.19 seccomp annotations.
 */
import type { V1Container, V1EphemeralContainer, V1Pod, V1PodSecurityContext, V1SecurityContext } from '@kubernetes/client-node';

export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

export const POD_SECURITY_ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';

/**
 * The enforced level from a namespace's labels. Missing means `privileged` (unless the cluster's admission
 * configuration sets another default, which is not visible to clients); an invalid value is treated as
 * `restricted`, as the admission plugin fails closed.
 */
export function podSecurityLevelFromNamespaceLabels(labels: Readonly<Record<string, string>> | undefined): PodSecurityLevel {
  const value = labels?.[POD_SECURITY_ENFORCE_LABEL];
  if (value === undefined) {
    return 'privileged';
  }
  return value === 'privileged' || value === 'baseline' ? value : 'restricted';
}

export interface PodSecurityViolation {
  /** The check's id in pod-security-admission, e.g. `allowPrivilegeEscalation`. */
  readonly checkId: string;
  /** e.g. `allowPrivilegeEscalation != false`. */
  readonly reason: string;
  /** e.g. `container "debugger-abcde" must set securityContext.allowPrivilegeEscalation=false`. */
  readonly detail: string;
}

/** `reason (detail)`, as the API server prints one violation. */
export function formatViolation(violation: PodSecurityViolation): string {
  return violation.detail ? `${violation.reason} (${violation.detail})` : violation.reason;
}

/** The server's wording: `violates PodSecurity "restricted:latest": a (…), b (…)`. */
export function formatPodSecurityViolations(level: PodSecurityLevel, violations: readonly PodSecurityViolation[]): string {
  return `violates PodSecurity "${level}:latest": ${violations.map(formatViolation).join(', ')}`;
}

interface NamedSecurityContainer {
  readonly name: string;
  readonly securityContext?: V1SecurityContext;
}

/** What the checks look at: the pod-level settings plus the containers in scope. */
interface CheckScope {
  readonly podSecurityContext?: V1PodSecurityContext;
  readonly hostUsers?: boolean;
  readonly osName?: string;
  readonly hostNetwork?: boolean;
  readonly hostPID?: boolean;
  readonly hostIPC?: boolean;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly containers: readonly NamedSecurityContainer[];
  /** Whether pod-level settings are themselves reported (they are still inherited either way). */
  readonly reportPodLevel: boolean;
}

type CheckOutcome = { reason: string; detail: string } | undefined;

interface PodSecurityCheck {
  readonly id: string;
  readonly level: 'baseline' | 'restricted';
  /** Baseline checks this one replaces at the restricted level. */
  readonly overrides?: readonly string[];
  readonly evaluate: (scope: CheckScope) => CheckOutcome;
}

const pluralize = (singular: string, plural: string, count: number): string => (count === 1 ? singular : plural);
const joinQuote = (items: readonly string[]): string => (items.length === 0 ? '' : `"${items.join('", "')}"`);
const containersPhrase = (names: readonly string[]): string => `${pluralize('container', 'containers', names.length)} ${joinQuote(names)}`;
const sortedUnique = (values: Iterable<string>): string[] => [...new Set(values)].sort();
/** User namespaces (hostUsers: false) relax the root-related checks since 1.35. */
const inUserNamespace = (scope: CheckScope): boolean => scope.hostUsers === false;
const isWindows = (scope: CheckScope): boolean => scope.osName === 'windows';

const defaultCapabilities = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);
/** Capabilities a baseline pod may add (the container runtime's default set). */
export const BASELINE_ALLOWED_CAPABILITIES: ReadonlySet<string> = defaultCapabilities;

const allowedSeLinuxTypes = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
const validSeccompType = (type: string): boolean => type === 'RuntimeDefault' || type === 'Localhost';
const appArmorAnnotationPrefix = 'container.apparmor.security.beta.kubernetes.io/';

/** "pod and containers "a", "b"" style list of who set a bad value. */
function setters(podIsBad: boolean, badContainers: readonly string[]): string[] {
  const result: string[] = podIsBad ? ['pod'] : [];
  if (badContainers.length > 0) {
    result.push(containersPhrase(badContainers));
  }
  return result;
}

const checks: readonly PodSecurityCheck[] = [
  {
    id: 'appArmorProfile',
    level: 'baseline',
    evaluate(scope) {
      const badValues = new Set<string>();
      const allowed = (type: string): boolean => type === 'RuntimeDefault' || type === 'Localhost';
      const podType = scope.podSecurityContext?.appArmorProfile?.type;
      const podIsBad = scope.reportPodLevel && podType !== undefined && !allowed(podType);
      if (podIsBad && podType !== undefined) {
        badValues.add(podType);
      }
      const badContainers: string[] = [];
      for (const container of scope.containers) {
        const type = container.securityContext?.appArmorProfile?.type;
        if (type !== undefined && !allowed(type)) {
          badContainers.push(container.name);
          badValues.add(type);
        }
      }
      const names = new Set(scope.containers.map((c) => c.name));
      const forbiddenAnnotations = Object.entries(scope.annotations ?? {})
        .filter(([key]) => key.startsWith(appArmorAnnotationPrefix) && names.has(key.slice(appArmorAnnotationPrefix.length)))
        .filter(([, value]) => !(value === '' || value === 'runtime/default' || value.startsWith('localhost/')))
        .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
        .sort();
      const badList = [...sortedUnique(badValues), ...forbiddenAnnotations];
      const who = setters(podIsBad, badContainers);
      if (forbiddenAnnotations.length > 0) {
        who.push(pluralize('annotation', 'annotations', forbiddenAnnotations.length));
      }
      if (who.length === 0) {
        return undefined;
      }
      return {
        reason: pluralize('forbidden AppArmor profile', 'forbidden AppArmor profiles', badList.length),
        detail: `${who.join(' and ')} must not set AppArmor profile type to ${joinQuote(badList)}`,
      };
    },
  },
  {
    id: 'capabilities_baseline',
    level: 'baseline',
    evaluate(scope) {
      const badContainers: string[] = [];
      const added = new Set<string>();
      for (const container of scope.containers) {
        const bad = (container.securityContext?.capabilities?.add ?? []).filter((cap) => !defaultCapabilities.has(cap));
        if (bad.length > 0) {
          badContainers.push(container.name);
          bad.forEach((cap) => added.add(cap));
        }
      }
      if (badContainers.length === 0) {
        return undefined;
      }
      return {
        reason: 'non-default capabilities',
        detail: `${containersPhrase(badContainers)} must not include ${joinQuote(sortedUnique(added))} in securityContext.capabilities.add`,
      };
    },
  },
  {
    id: 'hostNamespaces',
    level: 'baseline',
    evaluate(scope) {
      if (!scope.reportPodLevel) {
        return undefined;
      }
      const used = [
        scope.hostNetwork ? 'hostNetwork=true' : undefined,
        scope.hostPID ? 'hostPID=true' : undefined,
        scope.hostIPC ? 'hostIPC=true' : undefined,
      ].filter((value): value is string => value !== undefined);
      return used.length > 0 ? { reason: 'host namespaces', detail: used.join(', ') } : undefined;
    },
  },
  {
    id: 'privileged',
    level: 'baseline',
    evaluate(scope) {
      const bad = scope.containers.filter((c) => c.securityContext?.privileged === true).map((c) => c.name);
      return bad.length > 0 ? { reason: 'privileged', detail: `${containersPhrase(bad)} must not set securityContext.privileged=true` } : undefined;
    },
  },
  {
    id: 'procMount',
    level: 'baseline',
    evaluate: (scope) => (inUserNamespace(scope) ? undefined : procMountOutcome(scope)),
  },
  {
    id: 'seLinuxOptions',
    level: 'baseline',
    evaluate(scope) {
      const badTypes = new Set<string>();
      let setUser = false;
      let setRole = false;
      const valid = (options: { type?: string; user?: string; role?: string }): boolean => {
        let ok = true;
        if (!allowedSeLinuxTypes.has(options.type ?? '')) {
          ok = false;
          badTypes.add(options.type ?? '');
        }
        if (options.user) {
          ok = false;
          setUser = true;
        }
        if (options.role) {
          ok = false;
          setRole = true;
        }
        return ok;
      };
      const podOptions = scope.reportPodLevel ? scope.podSecurityContext?.seLinuxOptions : undefined;
      const podIsBad = podOptions !== undefined && !valid(podOptions);
      const badContainers = scope.containers
        .filter((c) => c.securityContext?.seLinuxOptions !== undefined && !valid(c.securityContext.seLinuxOptions))
        .map((c) => c.name);
      const who = setters(podIsBad, badContainers);
      if (who.length === 0) {
        return undefined;
      }
      const data: string[] = [];
      if (badTypes.size > 0) {
        data.push(`${pluralize('type', 'types', badTypes.size)} ${joinQuote(sortedUnique(badTypes))}`);
      }
      if (setUser) {
        data.push('user may not be set');
      }
      if (setRole) {
        data.push('role may not be set');
      }
      return { reason: 'seLinuxOptions', detail: `${who.join(' and ')} set forbidden securityContext.seLinuxOptions: ${data.join('; ')}` };
    },
  },
  {
    id: 'seccompProfile_baseline',
    level: 'baseline',
    evaluate: (scope) => seccompOutcome(scope, false),
  },
  {
    id: 'windowsHostProcess',
    level: 'baseline',
    evaluate(scope) {
      const podIsBad = scope.reportPodLevel && scope.podSecurityContext?.windowsOptions?.hostProcess === true;
      const bad = scope.containers.filter((c) => c.securityContext?.windowsOptions?.hostProcess === true).map((c) => c.name);
      const who = setters(podIsBad, bad);
      return who.length > 0
        ? { reason: 'hostProcess', detail: `${who.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true` }
        : undefined;
    },
  },
  {
    id: 'allowPrivilegeEscalation',
    level: 'restricted',
    evaluate(scope) {
      if (isWindows(scope)) {
        return undefined;
      }
      const bad = scope.containers.filter((c) => c.securityContext?.allowPrivilegeEscalation !== false).map((c) => c.name);
      return bad.length > 0
        ? { reason: 'allowPrivilegeEscalation != false', detail: `${containersPhrase(bad)} must set securityContext.allowPrivilegeEscalation=false` }
        : undefined;
    },
  },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    overrides: ['capabilities_baseline'],
    evaluate(scope) {
      if (isWindows(scope)) {
        return undefined;
      }
      const missingDropAll: string[] = [];
      const addingForbidden: string[] = [];
      const forbidden = new Set<string>();
      for (const container of scope.containers) {
        const capabilities = container.securityContext?.capabilities;
        if (capabilities === undefined) {
          missingDropAll.push(container.name);
          continue;
        }
        if (!(capabilities.drop ?? []).includes('ALL')) {
          missingDropAll.push(container.name);
        }
        const bad = (capabilities.add ?? []).filter((cap) => cap !== 'NET_BIND_SERVICE');
        if (bad.length > 0) {
          addingForbidden.push(container.name);
          bad.forEach((cap) => forbidden.add(cap));
        }
      }
      const details: string[] = [];
      if (missingDropAll.length > 0) {
        details.push(`${containersPhrase(missingDropAll)} must set securityContext.capabilities.drop=["ALL"]`);
      }
      if (addingForbidden.length > 0) {
        details.push(`${containersPhrase(addingForbidden)} must not include ${joinQuote(sortedUnique(forbidden))} in securityContext.capabilities.add`);
      }
      return details.length > 0 ? { reason: 'unrestricted capabilities', detail: details.join('; ') } : undefined;
    },
  },
  {
    id: 'procMount_restricted',
    level: 'restricted',
    overrides: ['procMount'],
    evaluate: procMountOutcome,
  },
  {
    id: 'runAsNonRoot',
    level: 'restricted',
    evaluate(scope) {
      if (inUserNamespace(scope)) {
        return undefined;
      }
      const badSetters: string[] = [];
      const podValue = scope.podSecurityContext?.runAsNonRoot;
      if (podValue === false && scope.reportPodLevel) {
        badSetters.push('pod');
      }
      const podRunAsNonRoot = podValue === true;
      const explicitlyBad: string[] = [];
      const implicitlyBad: string[] = [];
      for (const container of scope.containers) {
        const value = container.securityContext?.runAsNonRoot;
        if (value === false) {
          explicitlyBad.push(container.name);
        } else if (value === undefined && !podRunAsNonRoot) {
          implicitlyBad.push(container.name);
        }
      }
      if (explicitlyBad.length > 0) {
        badSetters.push(containersPhrase(explicitlyBad));
      }
      if (badSetters.length > 0) {
        return { reason: 'runAsNonRoot != true', detail: `${badSetters.join(' and ')} must not set securityContext.runAsNonRoot=false` };
      }
      if (implicitlyBad.length > 0) {
        return { reason: 'runAsNonRoot != true', detail: `pod or ${containersPhrase(implicitlyBad)} must set securityContext.runAsNonRoot=true` };
      }
      return undefined;
    },
  },
  {
    id: 'runAsUser',
    level: 'restricted',
    evaluate(scope) {
      if (inUserNamespace(scope)) {
        return undefined;
      }
      const podIsBad = scope.reportPodLevel && scope.podSecurityContext?.runAsUser === 0;
      const bad = scope.containers.filter((c) => c.securityContext?.runAsUser === 0).map((c) => c.name);
      const who = setters(podIsBad, bad);
      return who.length > 0 ? { reason: 'runAsUser=0', detail: `${who.join(' and ')} must not set runAsUser=0` } : undefined;
    },
  },
  {
    id: 'seccompProfile_restricted',
    level: 'restricted',
    overrides: ['seccompProfile_baseline'],
    evaluate: (scope) => (isWindows(scope) ? undefined : seccompOutcome(scope, true)),
  },
];

function procMountOutcome(scope: CheckScope): CheckOutcome {
  const types = new Set<string>();
  const bad: string[] = [];
  for (const container of scope.containers) {
    const procMount = container.securityContext?.procMount;
    if (procMount !== undefined && procMount !== 'Default') {
      bad.push(container.name);
      types.add(procMount);
    }
  }
  return bad.length > 0
    ? { reason: 'procMount', detail: `${containersPhrase(bad)} must not set securityContext.procMount to ${joinQuote(sortedUnique(types))}` }
    : undefined;
}

function seccompOutcome(scope: CheckScope, required: boolean): CheckOutcome {
  const badValues = new Set<string>();
  const podType = scope.podSecurityContext?.seccompProfile?.type;
  let podIsBad = false;
  let podSeccompSet = false;
  if (podType !== undefined) {
    if (!validSeccompType(podType)) {
      podIsBad = scope.reportPodLevel;
      if (podIsBad) {
        badValues.add(podType);
      }
    } else {
      podSeccompSet = true;
    }
  }
  const explicitlyBad: string[] = [];
  const implicitlyBad: string[] = [];
  for (const container of scope.containers) {
    const type = container.securityContext?.seccompProfile?.type;
    if (type !== undefined) {
      if (!validSeccompType(type)) {
        explicitlyBad.push(container.name);
        badValues.add(type);
      }
    } else if (!podSeccompSet) {
      implicitlyBad.push(container.name);
    }
  }
  const who = setters(podIsBad, explicitlyBad);
  if (who.length > 0) {
    return { reason: 'seccompProfile', detail: `${who.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedUnique(badValues))}` };
  }
  if (required && implicitlyBad.length > 0) {
    return {
      reason: 'seccompProfile',
      detail: `pod or ${containersPhrase(implicitlyBad)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
    };
  }
  return undefined;
}

/** Checks in the server's order: baseline ids sorted, then restricted ids sorted; overridden ones dropped. */
function checksForLevel(level: PodSecurityLevel): PodSecurityCheck[] {
  if (level === 'privileged') {
    return [];
  }
  const byId = (a: PodSecurityCheck, b: PodSecurityCheck): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const baseline = checks.filter((c) => c.level === 'baseline').sort(byId);
  if (level === 'baseline') {
    return baseline;
  }
  const restricted = checks.filter((c) => c.level === 'restricted').sort(byId);
  const overridden = new Set(restricted.flatMap((c) => c.overrides ?? []));
  return [...baseline.filter((c) => !overridden.has(c.id)), ...restricted];
}

function runChecks(level: PodSecurityLevel, scope: CheckScope): PodSecurityViolation[] {
  const violations: PodSecurityViolation[] = [];
  for (const check of checksForLevel(level)) {
    const outcome = check.evaluate(scope);
    if (outcome) {
      violations.push({ checkId: check.id, ...outcome });
    }
  }
  return violations;
}

function scopeOf(pod: V1Pod, containers: readonly NamedSecurityContainer[], reportPodLevel: boolean): CheckScope {
  const spec = pod.spec;
  return {
    podSecurityContext: spec?.securityContext,
    hostUsers: spec?.hostUsers,
    osName: spec?.os?.name,
    hostNetwork: spec?.hostNetwork,
    hostPID: spec?.hostPID,
    hostIPC: spec?.hostIPC,
    annotations: pod.metadata?.annotations,
    containers,
    reportPodLevel,
  };
}

/** All containers in the server's visiting order: init, regular, ephemeral. */
function allContainers(pod: V1Pod): NamedSecurityContainer[] {
  const spec = pod.spec;
  const list: (V1Container | V1EphemeralContainer)[] = [...(spec?.initContainers ?? []), ...(spec?.containers ?? []), ...(spec?.ephemeralContainers ?? [])];
  return list;
}

/**
 * Evaluates a whole pod (optionally with one more ephemeral container appended) the way admission does when
 * `pods/ephemeralcontainers` is patched: every container, including earlier ephemeral ones, is re-checked.
 */
export function evaluatePodSecurity(pod: V1Pod, level: PodSecurityLevel, addedEphemeralContainer?: V1EphemeralContainer): PodSecurityViolation[] {
  const containers = allContainers(pod);
  if (addedEphemeralContainer) {
    containers.push(addedEphemeralContainer);
  }
  return runChecks(level, scopeOf(pod, containers, true));
}

/**
 * Checks one (ephemeral) container, taking pod-level settings into account both as inherited defaults and as
 * violations of their own.
 */
export function checkEphemeralContainer(container: NamedSecurityContainer, pod: V1Pod, level: PodSecurityLevel): PodSecurityViolation[] {
  return runChecks(level, scopeOf(pod, [container], true));
}

/** Like checkEphemeralContainer, but blames only the container: pod-level settings count as inherited defaults. */
export function checkContainerOnly(container: NamedSecurityContainer, pod: V1Pod, level: PodSecurityLevel): PodSecurityViolation[] {
  return runChecks(level, scopeOf(pod, [container], false));
}

export interface NonCompliantEphemeralContainer {
  readonly name: string;
  readonly violations: readonly PodSecurityViolation[];
}

/**
 * Ephemeral containers already in the pod that violate the level. They cannot be removed, and admission
 * re-checks them on every add, so while one exists no new debug container can be added (kubernetes#118961).
 */
export function findNonCompliantEphemeralContainers(pod: V1Pod, level: PodSecurityLevel): NonCompliantEphemeralContainer[] {
  return (pod.spec?.ephemeralContainers ?? [])
    .map((container) => ({ name: container.name, violations: checkContainerOnly(container, pod, level) }))
    .filter((entry) => entry.violations.length > 0);
}
