/**
 * kubectl debug profiles (kubernetes/kubectl `pkg/cmd/debug/profiles.go`) as data, the privilege order used by
 * the "maximum profile" policy, and `auto`: the least privilege that passes the namespace's Pod Security level
 * and can still read the target's `/proc/<pid>/root`.
 */
import type { V1Pod, V1SecurityContext } from '@kubernetes/client-node';
import { BASELINE_ALLOWED_CAPABILITIES, checkContainerOnly, formatViolation, type PodSecurityLevel } from './podSecurity';

export const NAMED_PROFILES = ['legacy', 'general', 'baseline', 'restricted', 'netadmin', 'sysadmin'] as const;
export type NamedProfile = (typeof NAMED_PROFILES)[number];
export type ProfileChoice = NamedProfile | 'auto';

export function isNamedProfile(value: string): value is NamedProfile {
  return (NAMED_PROFILES as readonly string[]).includes(value);
}

export function isProfileChoice(value: string): value is ProfileChoice {
  return value === 'auto' || isNamedProfile(value);
}

/** What a profile does to one container's securityContext, applied in this order. */
export interface ContainerSecurityEffect {
  /** kubectl's clearSecurityContext: start from nothing. */
  readonly clearSecurityContext: boolean;
  /** Fields set (shallowly, so `capabilities` is replaced as a whole). */
  readonly set?: Readonly<V1SecurityContext>;
  /** Appended to `capabilities.add`, as kubectl's addCapability does (no de-duplication). */
  readonly addCapabilities?: readonly string[];
}

/** `--copy-to` effects. The remove* flags apply unless the matching `--keep-*` flag is given. */
export interface PodCopyEffect {
  /** `always`: legacy removes labels even with --keep-labels. */
  readonly removeLabels: 'always' | 'unless-kept';
  readonly removeAnnotations: boolean;
  /** Liveness, readiness and startup probes of every container. */
  readonly removeProbes: boolean;
  readonly removeInitContainers: boolean;
  /** Sets `shareProcessNamespace: true` only when the pod leaves it unset. */
  readonly shareProcessNamespace: boolean;
  readonly debugContainer: ContainerSecurityEffect;
}

/** `kubectl debug node/…` effects. */
export interface NodeDebugEffect {
  /** hostNetwork, hostPID and hostIPC. */
  readonly useHostNamespaces: boolean;
  /** hostPath `/` volume `host-root` mounted at `/host`. */
  readonly mountHostRoot: boolean;
  readonly debugContainer: ContainerSecurityEffect;
}

export interface DebugProfile {
  readonly name: NamedProfile;
  readonly summary: string;
  /** Position in the privilege order (see PROFILE_PRIVILEGE_RANK). */
  readonly privilegeRank: number;
  /** The strictest Pod Security level its ephemeral container passes (before any custom spec). */
  readonly strictestPassingLevel: PodSecurityLevel;
  readonly deprecation?: string;
  readonly ephemeral: ContainerSecurityEffect;
  readonly podCopy: PodCopyEffect;
  readonly node: NodeDebugEffect;
}

const unchanged: ContainerSecurityEffect = { clearSecurityContext: false };
const cleared: ContainerSecurityEffect = { clearSecurityContext: true };
const processTracing: ContainerSecurityEffect = { clearSecurityContext: false, addCapabilities: ['SYS_PTRACE'] };
const networkAdmin: ContainerSecurityEffect = { clearSecurityContext: false, addCapabilities: ['NET_ADMIN', 'NET_RAW'] };
const privileged: ContainerSecurityEffect = { clearSecurityContext: false, set: { privileged: true } };
const restrictedContainer: ContainerSecurityEffect = {
  clearSecurityContext: true,
  set: {
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    allowPrivilegeEscalation: false,
    seccompProfile: { type: 'RuntimeDefault' },
  },
};

const stripCopy = { removeLabels: 'unless-kept', removeAnnotations: true, removeProbes: true, removeInitContainers: true, shareProcessNamespace: true } as const;

/**
 * Privilege order, lowest first. Ranked by what the ephemeral container can do, since that is what this
 * extension creates:
 * - restricted (0): non-root, no capabilities, no privilege escalation.
 * - baseline = legacy (1): both leave the securityContext empty, i.e. the image's user (often root) with the
 *   runtime's default capabilities. legacy is not "more" on an ephemeral container; it only differs for
 *   node debugging, which is not built here.
 * - general (2): adds SYS_PTRACE, reaching into the memory of processes in the shared PID namespace.
 * - netadmin (3): NET_ADMIN + NET_RAW act on the pod's network namespace, shared by every container, so it can
 *   re-route or sniff the whole pod's traffic; judged wider than ptrace into the target. The two are not truly
 *   comparable (neither contains the other), but the policy needs a total order.
 * - sysadmin (4): privileged, i.e. all capabilities and host devices.
 */
export const PROFILE_PRIVILEGE_RANK: Readonly<Record<NamedProfile, number>> = {
  restricted: 0,
  baseline: 1,
  legacy: 1,
  general: 2,
  netadmin: 3,
  sysadmin: 4,
};

export const DEBUG_PROFILES: Readonly<Record<NamedProfile, DebugProfile>> = {
  legacy: {
    name: 'legacy',
    summary: 'kubectl before 1.36: no changes to the debug container',
    privilegeRank: PROFILE_PRIVILEGE_RANK.legacy,
    strictestPassingLevel: 'baseline',
    deprecation: 'profile "legacy" is deprecated and kubectl plans to remove it in v1.39; use "general" or "baseline"',
    ephemeral: unchanged,
    podCopy: { removeLabels: 'always', removeAnnotations: false, removeProbes: false, removeInitContainers: false, shareProcessNamespace: false, debugContainer: unchanged },
    node: { useHostNamespaces: true, mountHostRoot: true, debugContainer: unchanged },
  },
  general: {
    name: 'general',
    summary: 'adds SYS_PTRACE so debuggers and /proc/<pid>/root work on any user',
    privilegeRank: PROFILE_PRIVILEGE_RANK.general,
    strictestPassingLevel: 'privileged',
    ephemeral: processTracing,
    podCopy: { ...stripCopy, debugContainer: processTracing },
    node: { useHostNamespaces: true, mountHostRoot: true, debugContainer: cleared },
  },
  baseline: {
    name: 'baseline',
    summary: 'no extra privileges: passes the baseline Pod Security level',
    privilegeRank: PROFILE_PRIVILEGE_RANK.baseline,
    strictestPassingLevel: 'baseline',
    ephemeral: cleared,
    podCopy: { ...stripCopy, debugContainer: cleared },
    node: { useHostNamespaces: false, mountHostRoot: false, debugContainer: cleared },
  },
  restricted: {
    name: 'restricted',
    summary: 'non-root, all capabilities dropped: passes the restricted Pod Security level',
    privilegeRank: PROFILE_PRIVILEGE_RANK.restricted,
    strictestPassingLevel: 'restricted',
    ephemeral: restrictedContainer,
    podCopy: { ...stripCopy, debugContainer: restrictedContainer },
    node: { useHostNamespaces: false, mountHostRoot: false, debugContainer: restrictedContainer },
  },
  netadmin: {
    name: 'netadmin',
    summary: 'adds NET_ADMIN and NET_RAW for network debugging',
    privilegeRank: PROFILE_PRIVILEGE_RANK.netadmin,
    strictestPassingLevel: 'privileged',
    ephemeral: networkAdmin,
    podCopy: { ...stripCopy, debugContainer: networkAdmin },
    node: { useHostNamespaces: true, mountHostRoot: false, debugContainer: networkAdmin },
  },
  sysadmin: {
    name: 'sysadmin',
    summary: 'privileged container',
    privilegeRank: PROFILE_PRIVILEGE_RANK.sysadmin,
    strictestPassingLevel: 'privileged',
    ephemeral: privileged,
    podCopy: { ...stripCopy, debugContainer: privileged },
    node: { useHostNamespaces: true, mountHostRoot: true, debugContainer: privileged },
  },
};

/** Applies a profile's effect to a container's securityContext; never mutates its input. */
export function applyContainerSecurityEffect(effect: ContainerSecurityEffect, current: V1SecurityContext | undefined): V1SecurityContext | undefined {
  let result: V1SecurityContext | undefined = effect.clearSecurityContext || current === undefined ? undefined : structuredClone(current);
  if (effect.set) {
    result = { ...result, ...structuredClone(effect.set) };
  }
  if (effect.addCapabilities && effect.addCapabilities.length > 0) {
    result = result ?? {};
    result.capabilities = { ...result.capabilities, add: [...(result.capabilities?.add ?? []), ...effect.addCapabilities] };
  }
  return result;
}

/** The ephemeral container's securityContext under a profile (kubectl starts from none). */
export function ephemeralSecurityContextFor(profile: NamedProfile): V1SecurityContext | undefined {
  return applyContainerSecurityEffect(DEBUG_PROFILES[profile].ephemeral, undefined);
}

export function isProfileWithin(profile: NamedProfile, maximum: NamedProfile): boolean {
  return PROFILE_PRIVILEGE_RANK[profile] <= PROFILE_PRIVILEGE_RANK[maximum];
}

export function profilesWithin(maximum: NamedProfile): NamedProfile[] {
  return NAMED_PROFILES.filter((profile) => isProfileWithin(profile, maximum));
}

/**
 * Why a final securityContext (profile + custom spec) grants more than `maximum` allows, or undefined if it
 * does not. Judged on effects, so a custom spec cannot add what the maximum profile would not.
 */
export function securityContextExceedsProfile(
  securityContext: V1SecurityContext | undefined,
  pod: V1Pod,
  maximum: NamedProfile,
): string | undefined {
  if (maximum === 'sysadmin') {
    return undefined;
  }
  const probe = { name: 'debug', securityContext };
  if (maximum === 'restricted') {
    const violations = checkContainerOnly(probe, pod, 'restricted');
    return violations.length > 0 ? violations.map(formatViolation).join(', ') : undefined;
  }
  const problems: string[] = [];
  if (securityContext?.privileged === true) {
    problems.push('sets privileged=true');
  }
  const allowedCapabilities = new Set([...BASELINE_ALLOWED_CAPABILITIES, ...(DEBUG_PROFILES[maximum].ephemeral.addCapabilities ?? [])]);
  const extraCapabilities = (securityContext?.capabilities?.add ?? []).filter((cap) => !allowedCapabilities.has(cap));
  if (extraCapabilities.length > 0) {
    problems.push(`adds capabilities ${extraCapabilities.join(', ')}`);
  }
  // The remaining baseline checks (procMount, seLinux, seccomp, AppArmor, hostProcess) apply to every profile
  // below sysadmin; capabilities and privileged were judged above against the maximum's own grants.
  const others = checkContainerOnly(probe, pod, 'baseline').filter((v) => v.checkId !== 'capabilities_baseline' && v.checkId !== 'privileged');
  problems.push(...others.map(formatViolation));
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/** Who a container runs as, from its and the pod's securityContext (container wins, as in the kubelet). */
export interface ContainerIdentity {
  readonly containerName?: string;
  /**
   * From runAsUser, else from the running container's status (`status.containerStatuses[].user`, reported by
   * kubelet 1.33+ when the runtime tells); undefined when neither says: the image's USER decides.
   */
  readonly uid?: number;
  readonly gid?: number;
  /** Where uid came from. */
  readonly uidFrom?: 'spec' | 'status';
  readonly runAsNonRoot: boolean;
  /** Capabilities beyond the runtime default that a root process in it holds. */
  readonly extraCapabilities: readonly string[];
  readonly privileged: boolean;
}

export function resolveContainerIdentity(pod: V1Pod, containerName?: string): ContainerIdentity {
  const spec = pod.spec;
  const candidates = [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])];
  const container = containerName === undefined ? spec?.containers?.[0] : candidates.find((c) => c.name === containerName);
  const own = container?.securityContext;
  const podLevel = spec?.securityContext;
  const specUid = own?.runAsUser ?? podLevel?.runAsUser;
  const specGid = own?.runAsGroup ?? podLevel?.runAsGroup;
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  const reported = container === undefined ? undefined : statuses.find((s) => s.name === container.name)?.user?.linux;
  const uid = specUid ?? reported?.uid;
  return {
    containerName: container?.name,
    uid,
    gid: specGid ?? (specUid === undefined || specUid === reported?.uid ? reported?.gid : undefined),
    ...(uid !== undefined ? { uidFrom: specUid !== undefined ? 'spec' as const : 'status' as const } : {}),
    runAsNonRoot: (own?.runAsNonRoot ?? podLevel?.runAsNonRoot) === true,
    extraCapabilities: (own?.capabilities?.add ?? []).filter((cap) => !BASELINE_ALLOWED_CAPABILITIES.has(cap)),
    privileged: own?.privileged === true,
  };
}

export interface AutoProfileInput {
  readonly pod: V1Pod;
  readonly targetContainerName?: string;
  /** A debug container with no target container (kubectl debug without --target): nothing to read through. */
  readonly noTarget?: boolean;
  readonly podSecurityLevel: PodSecurityLevel;
  /** Policy ceiling; auto never picks above it. */
  readonly maxProfile?: NamedProfile;
}

export interface AutoProfileDecision {
  readonly profile: NamedProfile;
  /** Set on top of the profile's securityContext: the identity the debug container runs as. */
  readonly identity: Readonly<Pick<V1SecurityContext, 'runAsUser' | 'runAsGroup' | 'runAsNonRoot'>>;
  /** Whether the debug container will be able to read the target's /proc/<pid>/root. */
  readonly targetFilesystemReadable: 'yes' | 'no' | 'unknown';
  /** One line for the user. */
  readonly reason: string;
}

/** The most privileged profile auto may use: general at most, lowered by Pod Security and by policy. */
function autoCeiling(level: PodSecurityLevel, maxProfile: NamedProfile | undefined): 'general' | 'baseline' | 'restricted' {
  const byLevel = level === 'privileged' ? 'general' : level;
  if (maxProfile === undefined || PROFILE_PRIVILEGE_RANK[maxProfile] >= PROFILE_PRIVILEGE_RANK[byLevel]) {
    return byLevel;
  }
  return maxProfile === 'restricted' ? 'restricted' : 'baseline';
}

/**
 * Chooses the least privilege that passes the namespace's Pod Security level and can read the target's
 * /proc/<pid>/root. The kernel allows that (ptrace read access) to a caller with the same uid and gid as the
 * target and at least its capabilities, or to one holding CAP_SYS_PTRACE.
 */
export function chooseAutoProfile(input: AutoProfileInput): AutoProfileDecision {
  const { pod, podSecurityLevel } = input;
  const target = resolveContainerIdentity(pod, input.targetContainerName);
  const who = target.containerName ? `target container "${target.containerName}"` : 'the target';
  const ceiling = autoCeiling(podSecurityLevel, input.maxProfile);
  const limitedBy = input.maxProfile !== undefined && ceiling !== autoCeiling(podSecurityLevel, undefined) ? `policy maximum "${input.maxProfile}"` : `Pod Security "${podSecurityLevel}"`;

  if (input.noTarget === true) return autoWithoutTarget(pod, ceiling, limitedBy);

  // Non-root with a known uid: become the same user, which needs no capability at any level.
  if (target.uid !== undefined && target.uid !== 0) {
    const gidText = target.gid !== undefined ? `gid ${target.gid}` : 'gid from its image (unknown here; set runAsGroup in a custom spec if reading fails)';
    return {
      profile: 'restricted',
      identity: { runAsUser: target.uid, ...(target.gid !== undefined ? { runAsGroup: target.gid } : {}) },
      targetFilesystemReadable: target.gid !== undefined ? 'yes' : 'unknown',
      reason: `restricted as uid ${target.uid}: ${who} runs as uid ${target.uid} with ${gidText}, so the same user reads its files without capabilities`,
    };
  }

  const rootOverrides = rootIdentity(pod, target.gid);
  const uidUnknownNonRoot = target.uid === undefined && target.runAsNonRoot;
  if (uidUnknownNonRoot) {
    const hint = 'set securityContext.runAsUser/runAsGroup to its uid/gid in a custom spec to read its files';
    if (ceiling === 'general') {
      return {
        profile: 'general',
        identity: rootOverrides,
        targetFilesystemReadable: 'yes',
        reason: `general (root + SYS_PTRACE): ${who} runs as a non-root user chosen by its image, and SYS_PTRACE reads any user's files`,
      };
    }
    return {
      profile: ceiling,
      identity: ceiling === 'baseline' ? rootOverrides : {},
      targetFilesystemReadable: 'no',
      reason: `${ceiling}: ${who} runs as a non-root user chosen by its image and ${limitedBy} forbids SYS_PTRACE; ${hint}`,
    };
  }

  const rootText = target.uid === 0
    ? `runs as root${target.uidFrom === 'status' ? ' (as its status reports)' : ''}`
    : 'probably runs as root (no runAsUser, and the cluster does not report the user its image chose)';
  const missing = [...target.extraCapabilities, ...(target.privileged ? ['privileged'] : [])];
  if (ceiling === 'general') {
    // Linux lets a caller read /proc/<pid>/root of a process with the same uid and gid when the caller holds
    // every capability the process holds: a root debug container with the runtime's default capabilities reads
    // a root target that has no more, without SYS_PTRACE. Measured on the loopback kubelet (real namespaces and
    // capability sets): test/suite/extension/auto-profile-measured.test.ts.
    if (target.uid === 0 && missing.length === 0) {
      return {
        profile: 'baseline',
        identity: rootOverrides,
        targetFilesystemReadable: 'yes',
        reason: `baseline (root, the runtime's default capabilities): ${who} ${rootText} with no capability beyond those, so the same user reads its files without SYS_PTRACE`,
      };
    }
    return {
      profile: 'general',
      identity: rootOverrides,
      targetFilesystemReadable: 'yes',
      reason: missing.length > 0
        ? `general (root + SYS_PTRACE): ${who} ${rootText} with ${missing.join(', ')}, which a debug container without SYS_PTRACE cannot read past`
        : `general (root + SYS_PTRACE): ${who} ${rootText}; SYS_PTRACE reads its files whichever user it is`,
    };
  }
  if (ceiling === 'baseline') {
    return {
      profile: 'baseline',
      identity: rootOverrides,
      targetFilesystemReadable: missing.length > 0 ? 'no' : target.uid === 0 ? 'yes' : 'unknown',
      reason:
        missing.length > 0
          ? `baseline: ${who} ${rootText} with ${missing.join(', ')} that a baseline debug container lacks, and ${limitedBy} forbids SYS_PTRACE, so its files are not readable`
          : `baseline (root, default capabilities): ${who} ${rootText}; same uid and capabilities read its files without SYS_PTRACE, but debuggers needing ptrace will not attach`,
    };
  }
  return {
    profile: 'restricted',
    identity: {},
    targetFilesystemReadable: 'no',
    reason: `restricted: ${who} ${rootText} but ${limitedBy} requires a non-root debug container, which cannot read a root process's files; shell and network tools still work`,
  };
}

/**
 * No target: the debug container shares the pod's network, IPC and hostname, and its processes only where the
 * pod shares its process namespace. Root with the runtime's default capabilities (NET_RAW for ping and
 * traceroute) is enough for that; nothing needs SYS_PTRACE. Restricted where Pod Security or policy says so.
 */
function autoWithoutTarget(pod: V1Pod, ceiling: 'general' | 'baseline' | 'restricted', limitedBy: string): AutoProfileDecision {
  const sharesProcesses = pod.spec?.shareProcessNamespace === true;
  const sees = sharesProcesses ? "the pod's network and its processes (it shares its process namespace)" : "the pod's network, not its processes";
  if (ceiling === 'restricted') {
    return { profile: 'restricted', identity: {}, targetFilesystemReadable: 'no', reason: `restricted: no target container (it sees ${sees}), and ${limitedBy} requires a non-root debug container` };
  }
  return {
    profile: 'baseline',
    identity: rootIdentity(pod, undefined),
    targetFilesystemReadable: sharesProcesses ? 'unknown' : 'no',
    reason: `baseline (root, the runtime's default capabilities): no target container, so it sees ${sees}; nothing there needs SYS_PTRACE`,
  };
}

/**
 * Root identity for the debug container, undoing pod-level settings it would otherwise inherit
 * (runAsNonRoot: true makes a root container fail with CreateContainerConfigError).
 */
function rootIdentity(pod: V1Pod, targetGid: number | undefined): AutoProfileDecision['identity'] {
  const podLevel = pod.spec?.securityContext;
  const identity: { runAsUser?: number; runAsGroup?: number; runAsNonRoot?: boolean } = {};
  if (podLevel?.runAsUser !== undefined && podLevel.runAsUser !== 0) {
    identity.runAsUser = 0;
  }
  if (podLevel?.runAsNonRoot === true) {
    identity.runAsUser = 0;
    identity.runAsNonRoot = false;
  }
  if (targetGid !== undefined && targetGid !== podLevel?.runAsGroup) {
    identity.runAsGroup = targetGid;
  }
  return identity;
}
