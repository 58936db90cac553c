/**
 * Builds the ephemeral debug container spec: the one place where profiles and policies are applied. Modelled
 * on kubectl `pkg/cmd/debug` (options → complete → validate → run), and stricter: everything the API server,
 * Pod Security admission or the kubelet would reject is refused here with a one-line, actionable message.
 */
import type { V1Container, V1EnvVar, V1EphemeralContainer, V1Pod, V1SecurityContext } from '@kubernetes/client-node';
import { PolicyCheckedContainer, PolicyCheckedPod } from '../cluster/policyChecked';
import { mergeCustomContainerSpec, validateCustomContainerSpec, type CustomContainerSpec } from './customSpec';
import { DebugSpecError } from './errors';
import type { PodCopyContext } from './podCopy';
import {
  KUBECTL_DEBUG_MANAGER,
  KUBECTL_MANAGED_BY_LABEL,
  NODE_DEBUG_CONTAINER,
  NODE_DEBUG_LABEL,
  NODE_DEBUG_NODE_ANNOTATION,
  NODE_DEBUG_NODE_LABEL,
  NODE_DEBUG_PROFILE_ANNOTATION,
  NODE_HOST_ROOT,
  NODE_HOST_ROOT_VOLUME,
} from './nodeDebugPods';
import { globMatches, imageMatchesAnyPattern, parseImageReference, type ImageReference } from './imageReference';
import {
  checkContainerOnly,
  evaluatePodSecurity,
  findNonCompliantEphemeralContainers,
  formatViolation,
  type PodSecurityLevel,
  type PodSecurityViolation,
} from './podSecurity';
import {
  DEBUG_PROFILES,
  NAMED_PROFILES,
  PROFILE_PRIVILEGE_RANK,
  applyContainerSecurityEffect,
  chooseAutoProfile,
  ephemeralSecurityContextFor,
  isNamedProfile,
  isProfileChoice,
  isProfileWithin,
  profilesWithin,
  securityContextExceedsProfile,
  type AutoProfileDecision,
  type NamedProfile,
  type ProfileChoice,
} from './profiles';

export { DebugSpecError } from './errors';

export interface DebugContainerOptions {
  readonly image: string;
  /** A regular or init container whose process namespace the debug container joins. */
  readonly targetContainer?: string;
  readonly profile: ProfileChoice;
  readonly env?: readonly { readonly name: string; readonly value: string }[];
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  /** Defaults to `debugger-` plus 5 random characters. */
  readonly name?: string;
  /** Default true. */
  readonly stdin?: boolean;
  /** Default true. */
  readonly tty?: boolean;
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** Partial container spec merged after the profile (kubectl --custom). */
  readonly custom?: CustomContainerSpec;
  /** Exposed to the container as DEBUG_SESSION_ID. */
  readonly sessionId?: string;
}

export interface DebugPolicy {
  /** Glob patterns (`*` within a path segment, `**` across); matched against the image as written and fully qualified. */
  readonly allowedImages?: readonly string[];
  /** Require an `@sha256:` digest. */
  readonly requireDigest?: boolean;
  readonly maxProfile?: NamedProfile;
  /** Glob patterns of namespace names. */
  readonly allowedNamespaces?: readonly string[];
  /** A workspace's own (narrower) lists: an image or namespace must match these too, so a workspace can only tighten. */
  readonly workspaceAllowedImages?: readonly string[];
  readonly workspaceAllowedNamespaces?: readonly string[];
  /**
   * Minutes a debug container may run before the extension stops it (after a warning). The deadline is
   * written into the container's env (DEBUG_SESSION_DEADLINE) so the pod spec shows it too.
   */
  readonly sessionTimeLimitMinutes?: number;
  /**
   * Node debugging (a pod with the node's processes, network and root filesystem): off unless true. Taken
   * from user/machine settings only (governanceSettings.ts); buildNodeDebugPod refuses without it.
   */
  readonly allowNodeDebug?: boolean;
}

export interface DebugContainerContext {
  readonly pod: V1Pod;
  readonly namespacePodSecurityLevel: PodSecurityLevel;
  readonly policy?: DebugPolicy;
  /** Source of randomness for the default name; injectable for tests. */
  readonly random?: () => number;
  /** The clock the session deadline is computed from; injectable for tests. */
  readonly now?: () => Date;
  /**
   * Skip the Pod Security precheck, for users or runtime classes exempted from Pod Security admission
   * (exemptions are not visible to clients).
   */
  readonly skipPodSecurityPrecheck?: boolean;
}

export interface DebugContainerResult {
  readonly container: V1EphemeralContainer;
  /** The same spec, frozen, in the only form ClusterApi.addEphemeralContainer accepts. */
  readonly checked: PolicyCheckedContainer;
  /** The profile applied (auto resolved). */
  readonly profile: NamedProfile;
  /** One line on why this profile (for auto) or what it does. */
  readonly profileReason: string;
  readonly warnings: readonly string[];
  readonly autoDecision?: AutoProfileDecision;
  /** When the session time limit ends this container (policy.sessionTimeLimitMinutes), else undefined. */
  readonly deadline?: Date;
}

export const DEBUG_CONTAINER_NAME_PREFIX = 'debugger-';
/** kubectl's utilrand alphabet: no vowels (no accidental words) and no look-alike characters. */
export const DEBUG_CONTAINER_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
export const DEBUG_SESSION_ENV = 'DEBUG_SESSION_ID';
export const DEBUG_SESSION_DEADLINE_ENV = 'DEBUG_SESSION_DEADLINE';

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const maxLabelLength = 63;
const maxNameAttempts = 1000;
const mirrorPodAnnotation = 'kubernetes.io/config.mirror';

function existingContainerNames(pod: V1Pod): Set<string> {
  const spec = pod.spec;
  return new Set([...(spec?.initContainers ?? []), ...(spec?.containers ?? []), ...(spec?.ephemeralContainers ?? [])].map((c) => c.name));
}

/** `debugger-xxxxx`, regenerated until no init, regular or ephemeral container has the name (as kubectl). */
export function generateDebugContainerName(pod: V1Pod, random: () => number = Math.random): string {
  const taken = existingContainerNames(pod);
  for (let attempt = 0; attempt < maxNameAttempts; attempt++) {
    let suffix = '';
    for (let i = 0; i < 5; i++) {
      const index = Math.min(Math.floor(random() * DEBUG_CONTAINER_NAME_ALPHABET.length), DEBUG_CONTAINER_NAME_ALPHABET.length - 1);
      suffix += DEBUG_CONTAINER_NAME_ALPHABET[index];
    }
    const candidate = DEBUG_CONTAINER_NAME_PREFIX + suffix;
    if (!taken.has(candidate)) {
      return candidate;
    }
  }
  throw new DebugSpecError('duplicate-name', `could not find an unused debug container name after ${maxNameAttempts} attempts; pass a name explicitly`);
}

/** Options after defaults are filled in (kubectl's Complete). */
interface CompletedOptions {
  readonly image: ImageReference;
  readonly profile: ProfileChoice;
  readonly name: string;
  readonly stdin: boolean;
  readonly tty: boolean;
  readonly env: V1EnvVar[];
  /** DEBUG_SESSION_ID and DEBUG_SESSION_DEADLINE: set last, over whatever a custom spec says. */
  readonly sessionEnv: V1EnvVar[];
}

export function buildDebugContainer(options: DebugContainerOptions, context: DebugContainerContext): DebugContainerResult {
  const { pod } = context;
  const policy = context.policy ?? {};
  const podName = pod.metadata?.name ?? '(unnamed)';
  const namespace = pod.metadata?.namespace ?? 'default';
  const warnings: string[] = [];

  // --- validate: the pod, the policy and the options, before building anything ---
  validatePod(pod, podName);
  const { completed, deadline } = completeOptions(options, context, policy, () => validateTarget(options.targetContainer, pod, podName, warnings));

  // --- resolve the profile ---
  const { profile, profileReason, identity, autoDecision } = resolveProfile(completed.profile, policy, warnings, () =>
    chooseAutoProfile({ pod, targetContainerName: options.targetContainer, noTarget: options.targetContainer === undefined, podSecurityLevel: context.namespacePodSecurityLevel, maxProfile: policy.maxProfile }));

  // --- run: base container, then profile, then auto's identity, then the custom spec ---
  const container = assembleContainer(completed, options, profile, identity);

  // --- checks on the result ---
  checkWithinMaximumProfile(container.securityContext, pod, policy);
  if (!context.skipPodSecurityPrecheck) {
    checkPodSecurity(container, completed, options, context, { podName, namespace, identity });
  }
  warnings.push(...runtimeWarnings(container, pod, options.targetContainer));

  return { container, checked: PolicyCheckedContainer.mint(container), profile, profileReason, warnings, autoDecision, deadline };
}

interface ResolvedProfile {
  readonly profile: NamedProfile;
  readonly profileReason: string;
  /** auto's user/group for reading a non-root target's files; empty otherwise. */
  readonly identity: V1SecurityContext;
  readonly autoDecision?: AutoProfileDecision;
}

/**
 * kubectl's Complete + Validate for the options both builders share: policy, profile choice, image (policy
 * applied), stdin/tty, pull policy, name, session env (id and deadline), custom spec. `validateExtra` runs in
 * the middle, where the ephemeral builder checks its target (so errors keep their order).
 */
function completeOptions(options: DebugContainerOptions, context: DebugContainerContext, policy: DebugPolicy, validateExtra: () => void): { completed: CompletedOptions; deadline?: Date } {
  const { pod } = context;
  validatePolicy(policy);
  checkNamespaceAllowed(pod.metadata?.namespace ?? 'default', policy);
  if (!isProfileChoice(options.profile)) {
    throw new DebugSpecError('unknown-profile', `unknown profile "${String(options.profile)}"; choose auto, ${NAMED_PROFILES.join(', ')}`);
  }
  const image = validateImage(options.image, policy);
  const stdin = options.stdin ?? true;
  const tty = options.tty ?? true;
  if (tty && !stdin) {
    throw new DebugSpecError('invalid-option', 'a TTY needs stdin: enable stdin or disable tty');
  }
  if (options.imagePullPolicy !== undefined && !['Always', 'IfNotPresent', 'Never'].includes(options.imagePullPolicy)) {
    throw new DebugSpecError('invalid-option', `invalid image pull policy "${String(options.imagePullPolicy)}"; use Always, IfNotPresent or Never`);
  }
  const name = options.name !== undefined ? validateName(options.name, pod) : generateDebugContainerName(pod, context.random);
  validateExtra();
  const deadline = policy.sessionTimeLimitMinutes === undefined ? undefined : new Date((context.now?.() ?? new Date()).getTime() + policy.sessionTimeLimitMinutes * 60_000);
  const env = buildEnv(options, deadline);
  const sessionEnv = env.filter((e) => SESSION_ENV_NAMES.has(e.name));
  if (options.custom !== undefined) {
    validateCustomContainerSpec(options.custom, pod);
  }
  return { completed: { image, profile: options.profile, name, stdin, tty, env, sessionEnv }, ...(deadline !== undefined ? { deadline } : {}) };
}

/** auto's decision, or the named profile checked against the maximum; deprecation and auto caveats as warnings. */
function resolveProfile(choice: ProfileChoice, policy: DebugPolicy, warnings: string[], decideAuto: () => AutoProfileDecision): ResolvedProfile {
  let resolved: ResolvedProfile;
  if (choice === 'auto') {
    const autoDecision = decideAuto();
    resolved = { profile: autoDecision.profile, profileReason: autoDecision.reason, identity: { ...autoDecision.identity }, autoDecision };
    if (autoDecision.targetFilesystemReadable !== 'yes') {
      warnings.push(`auto profile: ${autoDecision.reason}`);
    }
  } else {
    if (policy.maxProfile !== undefined && !isProfileWithin(choice, policy.maxProfile)) {
      throw new DebugSpecError(
        'profile-not-allowed',
        `profile "${choice}" exceeds the maximum profile "${policy.maxProfile}" allowed by policy; choose auto or one of ${profilesWithin(policy.maxProfile).join(', ')}`,
      );
    }
    resolved = { profile: choice, profileReason: DEBUG_PROFILES[choice].summary, identity: {} };
  }
  const deprecation = DEBUG_PROFILES[resolved.profile].deprecation;
  if (deprecation) {
    warnings.push(deprecation);
  }
  return resolved;
}

/** A custom spec must not grant more than the maximum profile. */
function checkWithinMaximumProfile(securityContext: V1SecurityContext | undefined, pod: V1Pod, policy: DebugPolicy): void {
  if (policy.maxProfile === undefined) return;
  const excess = securityContextExceedsProfile(securityContext, pod, policy.maxProfile);
  if (excess !== undefined) {
    throw new DebugSpecError(
      'profile-not-allowed',
      `the custom spec grants more than the maximum profile "${policy.maxProfile}" allowed by policy: ${excess}; remove those securityContext settings`,
    );
  }
}

/**
 * The policy on reusing a running debug container instead of adding one (reattach, the debugger's reuse,
 * diagnostics, playbooks and the target filesystem "using the existing container"): the namespace, the image,
 * the maximum profile and the session deadline are checked as for a new one, so a container added before the
 * policy was set, or by another client, is not a way around it. Throws a DebugSpecError saying what to do.
 */
export function checkReusableDebugContainer(pod: V1Pod, containerName: string, policy: DebugPolicy = {}, now: Date = new Date()): void {
  validatePolicy(policy);
  const podName = pod.metadata?.name ?? '(unnamed)';
  checkNamespaceAllowed(pod.metadata?.namespace ?? 'default', policy);
  const container = (pod.spec?.ephemeralContainers ?? []).find((c) => c.name === containerName);
  if (container === undefined) {
    throw new DebugSpecError('invalid-target', `pod "${podName}" has no debug container "${containerName}"; refresh the view and pick a running one`);
  }
  const fix = 'add a new debug container instead (the policy applies to it)';
  try {
    validateImage(container.image ?? '', policy, `of debug container "${containerName}"`);
  } catch (error) {
    throw error instanceof DebugSpecError ? new DebugSpecError(error.code, `cannot reuse: ${error.message.replace(/;.*$/, '')}; ${fix}`) : error;
  }
  if (policy.maxProfile !== undefined) {
    const excess = securityContextExceedsProfile(container.securityContext, pod, policy.maxProfile);
    if (excess !== undefined) {
      throw new DebugSpecError('profile-not-allowed', `cannot reuse debug container "${containerName}": it has more than the maximum profile "${policy.maxProfile}" allowed by policy (${excess}); ${fix}`);
    }
  }
  const limit = policy.sessionTimeLimitMinutes;
  if (limit !== undefined) {
    const value = container.env?.find((e) => e.name === DEBUG_SESSION_DEADLINE_ENV)?.value;
    const deadline = value !== undefined ? new Date(value).getTime() : Number.NaN;
    if (Number.isNaN(deadline)) {
      throw new DebugSpecError('session-limit', `cannot reuse debug container "${containerName}": it carries no session deadline and policy limits sessions to ${limit} minutes; ${fix}`);
    }
    if (deadline <= now.getTime()) {
      throw new DebugSpecError('session-limit', `cannot reuse debug container "${containerName}": its session deadline ${value} has passed; ${fix}`);
    }
    if (deadline > now.getTime() + limit * 60_000 + REUSE_CLOCK_SKEW_MS) {
      throw new DebugSpecError('session-limit', `cannot reuse debug container "${containerName}": its session deadline ${value} is later than the policy's ${limit} minutes allow; ${fix}`);
    }
  }
}

/** Another machine may have written the deadline with a clock a little ahead of ours. */
const REUSE_CLOCK_SKEW_MS = 60_000;

/** The most privileged allowed profile (never legacy) for which `passes` holds: the closest to what was asked. */
function mostPrivilegedPassing(maximum: NamedProfile | undefined, passes: (candidate: NamedProfile) => boolean): NamedProfile | undefined {
  return NAMED_PROFILES.filter((p) => p !== 'legacy' && (maximum === undefined || isProfileWithin(p, maximum)))
    .sort((a, b) => PROFILE_PRIVILEGE_RANK[b] - PROFILE_PRIVILEGE_RANK[a])
    .find(passes);
}

function validatePod(pod: V1Pod, podName: string): void {
  if (!pod.spec || (pod.spec.containers ?? []).length === 0) {
    throw new DebugSpecError('invalid-pod', `pod "${podName}" has no spec or containers; fetch the full pod before building a debug container`);
  }
  if (pod.metadata?.annotations?.[mirrorPodAnnotation] !== undefined) {
    throw new DebugSpecError('invalid-pod', `pod "${podName}" is a static (mirror) pod, which rejects ephemeral containers; debug the node or a copy of the pod instead`);
  }
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') {
    throw new DebugSpecError('invalid-pod', `pod "${podName}" has finished (phase ${phase}), so an ephemeral container would never start; debug a copy of the pod instead`);
  }
}

function validatePolicy(policy: DebugPolicy): void {
  const limit = policy.sessionTimeLimitMinutes;
  if (limit !== undefined && !(Number.isFinite(limit) && limit > 0)) {
    throw new DebugSpecError('invalid-policy', `policy session time limit "${String(limit)}" is not a positive number of minutes; set it to e.g. 60, or remove it`);
  }
  if (policy.maxProfile !== undefined && !isNamedProfile(policy.maxProfile)) {
    throw new DebugSpecError('invalid-policy', `policy maxProfile "${String(policy.maxProfile)}" is not a profile; use one of ${NAMED_PROFILES.join(', ')}`);
  }
}

/** Policy: the namespace must match the allowed namespaces (and the workspace's own list, when it has one). */
export function checkNamespaceAllowed(namespace: string, policy: DebugPolicy): void {
  for (const [patterns, source] of [[policy.allowedNamespaces, 'policy'], [policy.workspaceAllowedNamespaces, "this workspace's policy"]] as const) {
    if (patterns !== undefined && !patterns.some((pattern) => globMatches(pattern, namespace))) {
      throw new DebugSpecError(
        'namespace-not-allowed',
        `debugging in namespace "${namespace}" is not allowed by ${source} (allowed namespaces: ${patterns.join(', ') || 'none'}); ask an administrator to add it`,
      );
    }
  }
}

/**
 * Policy on one image: valid reference, allowed by the user's and the workspace's lists, pinned when required.
 * `which` qualifies the image in messages (e.g. `for container "app"` for an image set on a debug copy).
 */
export function validateImage(image: string, policy: DebugPolicy, which?: string): ImageReference {
  const subject = which === undefined ? `"${image}"` : `"${image}" ${which}`;
  const parsed = parseImageReference(image);
  if ('error' in parsed) {
    throw new DebugSpecError('invalid-image', `invalid image name ${subject}: ${parsed.error}; e.g. busybox:1.36 or registry.example.com:5000/tools/debug@sha256:<64 hex>`);
  }
  for (const [patterns, source] of [[policy.allowedImages, 'policy'], [policy.workspaceAllowedImages, "this workspace's policy"]] as const) {
    if (patterns !== undefined && !imageMatchesAnyPattern(parsed, patterns)) {
      throw new DebugSpecError(
        'image-not-allowed',
        `image ${subject} is not allowed by ${source} (allowed: ${patterns.join(', ') || 'none'}); pick a matching image or ask an administrator`,
      );
    }
  }
  if (policy.requireDigest && parsed.digest === undefined) {
    throw new DebugSpecError('digest-required', `image ${subject} is not pinned and policy requires a digest; use ${image}@sha256:<digest> (e.g. from "crane digest ${image}")`);
  }
  return parsed;
}

function validateName(name: string, pod: V1Pod): string {
  if (name.length > maxLabelLength || !dns1123Label.test(name)) {
    throw new DebugSpecError(
      'invalid-name',
      `invalid container name "${name}": it must be a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most ${maxLabelLength} characters)`,
    );
  }
  if (existingContainerNames(pod).has(name)) {
    throw new DebugSpecError('duplicate-name', `container name "${name}" is already used in this pod (names are unique across init, regular and ephemeral containers); choose another or leave it empty`);
  }
  return name;
}

function validateTarget(target: string | undefined, pod: V1Pod, podName: string, warnings: string[]): void {
  if (target === undefined) {
    if (pod.spec?.shareProcessNamespace !== true) {
      warnings.push('no target container: the debug container gets its own process namespace and will not see the application processes');
    }
    return;
  }
  const spec = pod.spec;
  const regular = (spec?.containers ?? []).find((c) => c.name === target);
  const init = (spec?.initContainers ?? []).find((c) => c.name === target);
  if (regular || init) {
    if (init && init.restartPolicy !== 'Always') {
      warnings.push(`target "${target}" is an init container that has finished; its processes are gone`);
    }
    return;
  }
  const candidates = [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])].map((c) => c.name).join(', ');
  if ((spec?.ephemeralContainers ?? []).some((c) => c.name === target)) {
    throw new DebugSpecError('invalid-target', `target "${target}" is an ephemeral container; a target must be a regular or init container (${candidates})`);
  }
  throw new DebugSpecError('invalid-target', `target container "${target}" is not in pod "${podName}"; choose one of ${candidates}`);
}

function buildEnv(options: DebugContainerOptions, deadline: Date | undefined): V1EnvVar[] {
  const byName = new Map<string, V1EnvVar>();
  for (const variable of options.env ?? []) {
    // Names are printable ASCII without '=' (the relaxed rule, Kubernetes 1.34+).
    if (variable.name === '' || variable.name.includes('=') || !/^[\x20-\x7e]+$/.test(variable.name)) {
      throw new DebugSpecError('invalid-option', `invalid environment variable name "${variable.name}": use printable ASCII characters without '='`);
    }
    byName.delete(variable.name); // the last value wins, and moves to the end like a re-assignment
    byName.set(variable.name, { name: variable.name, value: variable.value });
  }
  if (options.sessionId !== undefined) {
    byName.delete(DEBUG_SESSION_ENV);
    byName.set(DEBUG_SESSION_ENV, { name: DEBUG_SESSION_ENV, value: options.sessionId });
  }
  if (deadline !== undefined) {
    byName.delete(DEBUG_SESSION_DEADLINE_ENV);
    byName.set(DEBUG_SESSION_DEADLINE_ENV, { name: DEBUG_SESSION_DEADLINE_ENV, value: deadline.toISOString() });
  }
  return [...byName.values()];
}

function assembleContainer(completed: CompletedOptions, options: DebugContainerOptions, profile: NamedProfile, identity: V1SecurityContext): V1EphemeralContainer {
  let container: V1EphemeralContainer = {
    name: completed.name,
    image: completed.image.original,
    stdin: completed.stdin,
    tty: completed.tty,
    terminationMessagePolicy: 'File',
  };
  if (options.imagePullPolicy !== undefined) {
    container.imagePullPolicy = options.imagePullPolicy;
  }
  if (completed.env.length > 0) {
    container.env = completed.env;
  }
  if (options.command !== undefined && options.command.length > 0) {
    container.command = [...options.command];
  }
  if (options.args !== undefined && options.args.length > 0) {
    container.args = [...options.args];
  }
  if (options.targetContainer !== undefined) {
    container.targetContainerName = options.targetContainer;
  }
  const securityContext = ephemeralSecurityContextFor(profile);
  const withIdentity = Object.keys(identity).length > 0 ? { ...securityContext, ...identity } : securityContext;
  if (withIdentity !== undefined) {
    container.securityContext = withIdentity;
  }
  if (options.custom !== undefined) {
    container = withSessionEnv(mergeCustomContainerSpec(container, options.custom), completed.sessionEnv);
  }
  return container;
}

const SESSION_ENV_NAMES: ReadonlySet<string> = new Set([DEBUG_SESSION_ENV, DEBUG_SESSION_DEADLINE_ENV]);

/**
 * The session's id and deadline, re-applied after a custom spec or template was merged: `env: null` or its own
 * DEBUG_SESSION_DEADLINE must not drop or move the time limit (explicit env wins over envFrom in Kubernetes).
 */
function withSessionEnv<T extends V1Container | V1EphemeralContainer>(container: T, sessionEnv: readonly V1EnvVar[]): T {
  if (sessionEnv.length === 0) return container;
  const others = (container.env ?? []).filter((e) => !SESSION_ENV_NAMES.has(e.name));
  return { ...container, env: [...others, ...sessionEnv.map((e) => ({ ...e }))] };
}

interface PodSecurityCheckInfo {
  readonly podName: string;
  readonly namespace: string;
  readonly identity: V1SecurityContext;
}

function checkPodSecurity(
  container: V1EphemeralContainer,
  completed: CompletedOptions,
  options: DebugContainerOptions,
  context: DebugContainerContext,
  info: PodSecurityCheckInfo,
): void {
  const level = context.namespacePodSecurityLevel;
  if (level === 'privileged') {
    return;
  }
  const { pod } = context;
  const levelText = `PodSecurity "${level}:latest"`;

  // Admission re-checks the whole pod on every add, so what is already there can block us.
  const existing = evaluatePodSecurity(pod, level);
  if (existing.length > 0) {
    const leftovers = findNonCompliantEphemeralContainers(pod, level);
    if (leftovers.length > 0) {
      const names = leftovers.map((l) => `"${l.name}"`).join(', ');
      const details = describeViolations(leftovers.flatMap((l) => l.violations));
      throw new DebugSpecError(
        'pod-security-pod',
        `pod "${info.podName}" already has ephemeral container(s) ${names} that violate ${levelText} (${details}); ephemeral containers cannot be removed and admission re-checks them, so every new debug container will be rejected: recreate the pod (delete it or restart its workload) or debug a copy`,
      );
    }
    throw new DebugSpecError(
      'pod-security-pod',
      `pod "${info.podName}" itself violates ${levelText} enforced in namespace "${info.namespace}" (${describeViolations(existing)}), and admission re-checks the whole pod when a debug container is added; recreate the pod compliant, or skip this precheck if you are exempt from Pod Security`,
    );
  }

  const violations = checkContainerOnly(container, pod, level);
  if (violations.length === 0) {
    return;
  }
  const passing = findPassingProfile(completed, options, context, info.identity);
  const fix =
    passing !== undefined
      ? `use profile "${passing}" instead${options.custom !== undefined ? ' (with the same custom spec)' : ''}`
      : options.custom !== undefined
        ? 'no profile passes with this custom spec: remove the securityContext settings named above from it'
        : `no allowed profile passes ${levelText}`;
  throw new DebugSpecError(
    'pod-security-container',
    `debug container "${container.name}" would be rejected: ${levelText} is enforced in namespace "${info.namespace}" and the container ${describeViolations(violations)}; ${fix}`,
  );
}

function describeViolations(violations: readonly PodSecurityViolation[]): string {
  return violations.map(formatViolation).join(', ');
}

/** The most privileged allowed profile that would pass, closest to what was asked for. */
function findPassingProfile(
  completed: CompletedOptions,
  options: DebugContainerOptions,
  context: DebugContainerContext,
  identity: V1SecurityContext,
): NamedProfile | undefined {
  return mostPrivilegedPassing(context.policy?.maxProfile, (candidate) =>
    checkContainerOnly(assembleContainer(completed, options, candidate, identity), context.pod, context.namespacePodSecurityLevel).length === 0);
}

/** Problems Pod Security does not catch but that make the container fail or its privileges useless. */
function runtimeWarnings(container: V1EphemeralContainer, pod: V1Pod, target: string | undefined): string[] {
  const warnings: string[] = [];
  const own = container.securityContext;
  const podLevel = pod.spec?.securityContext;

  // kubectl 1.33+ (#127696): capabilities are not effective for a non-root process.
  const podRunsAsNonRoot = podLevel?.runAsUser !== undefined && podLevel.runAsUser !== 0;
  const containerForcesRoot = own?.runAsUser === 0;
  const grantsPrivileges = own?.privileged === true || (own?.capabilities?.add ?? []).length > 0;
  if (podRunsAsNonRoot && own !== undefined && !containerForcesRoot && grantsPrivileges) {
    warnings.push(
      'Non-root user is configured for the entire target Pod, and some capabilities granted by debug profile may not work; use a custom spec with "securityContext.runAsUser: 0"',
    );
  }

  const mustBeNonRoot = (own?.runAsNonRoot ?? podLevel?.runAsNonRoot) === true;
  const uid = own?.runAsUser ?? podLevel?.runAsUser;
  if (mustBeNonRoot && uid === undefined) {
    warnings.push(
      `the debug container must run as non-root but sets no runAsUser: unless image "${container.image}" declares a numeric non-root USER it fails with CreateContainerConfigError; set securityContext.runAsUser in a custom spec`,
    );
  }
  if (target !== undefined && uid !== undefined && uid !== 0) {
    const targetUid = resolveTargetUid(pod, target);
    if (targetUid !== undefined && targetUid !== uid) {
      warnings.push(`the debug container runs as uid ${uid} but target "${target}" runs as uid ${targetUid}: /proc/<pid>/root of the target will not be readable`);
    }
  }
  return warnings;
}

function resolveTargetUid(pod: V1Pod, target: string): number | undefined {
  const container = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === target);
  return container?.securityContext?.runAsUser ?? pod.spec?.securityContext?.runAsUser;
}

/** The debug container of a pod copy (kubectl debug --copy-to --image): a regular container of the new pod. */
export interface CopyDebugContainerResult {
  /** A regular container of the copy; the copy as a whole is minted as PolicyCheckedPod by buildPodCopy. */
  readonly container: V1Container;
  /** The profile applied (auto resolved). */
  readonly profile: NamedProfile;
  readonly profileReason: string;
  readonly warnings: readonly string[];
  readonly autoDecision?: AutoProfileDecision;
  /** When the session time limit ends this copy's session (policy.sessionTimeLimitMinutes), else undefined. */
  readonly deadline?: Date;
}

/**
 * Builds the debug container added to a pod copy, through the same validation and policy as
 * buildDebugContainer (image allowlist and digest, maximum profile, allowed namespaces, session deadline and
 * DEBUG_SESSION_ID env), with the profile's `podCopy.debugContainer` effect. `context.pod` is the copy as built
 * so far, so its container names are taken. The static/finished-pod checks do not apply (a copy is a new pod,
 * which is the point of copying a finished one), and a target container is refused: the copy shares its process
 * namespace instead (kubectl: "--target is incompatible with --copy-to").
 */
export function buildPodCopyDebugContainer(options: DebugContainerOptions, context: DebugContainerContext): CopyDebugContainerResult {
  const { pod } = context;
  const policy = context.policy ?? {};
  const podName = pod.metadata?.name ?? '(unnamed)';
  const namespace = pod.metadata?.namespace ?? 'default';
  const warnings: string[] = [];

  if (!pod.spec || (pod.spec.containers ?? []).length === 0) {
    throw new DebugSpecError('invalid-pod', `pod "${podName}" has no spec or containers; fetch the full pod before copying it`);
  }
  if (options.targetContainer !== undefined) {
    throw new DebugSpecError('invalid-option', 'a debug container in a pod copy has no target container; share the process namespace of the copy instead (shareProcesses)');
  }
  const { completed, deadline } = completeOptions(options, context, policy, () => undefined);
  // Without a target, auto judges the copy's first container: the application in the common case.
  const { profile, profileReason, identity, autoDecision } = resolveProfile(completed.profile, policy, [], () =>
    chooseAutoProfile({ pod, podSecurityLevel: context.namespacePodSecurityLevel, maxProfile: policy.maxProfile }));
  const deprecation = DEBUG_PROFILES[profile].deprecation;
  if (deprecation) {
    warnings.push(deprecation);
  }

  const assemble = (candidate: NamedProfile): V1Container => {
    // The ephemeral assembly without target or custom spec, then the copy's own security effect, then the custom spec.
    const { targetContainerName: _none, ...base } = assembleContainer(completed, { ...options, custom: undefined, targetContainer: undefined }, candidate, {});
    const effect = applyContainerSecurityEffect(DEBUG_PROFILES[candidate].podCopy.debugContainer, undefined);
    const securityContext = Object.keys(identity).length > 0 ? { ...effect, ...identity } : effect;
    const container: V1Container = { ...base };
    delete container.securityContext;
    if (securityContext !== undefined) {
      container.securityContext = securityContext;
    }
    return options.custom !== undefined ? withSessionEnv(mergeCustomContainerSpec(container, options.custom) as V1Container, completed.sessionEnv) : container;
  };
  const container = assemble(profile);
  checkWithinMaximumProfile(container.securityContext, pod, policy);
  const level = context.namespacePodSecurityLevel;
  if (!context.skipPodSecurityPrecheck && level !== 'privileged') {
    const violations = checkContainerOnly(container, pod, level);
    if (violations.length > 0) {
      const passing = mostPrivilegedPassing(policy.maxProfile, (candidate) => checkContainerOnly(assemble(candidate), pod, level).length === 0);
      const fix = passing !== undefined ? `use profile "${passing}" instead` : `no allowed profile passes PodSecurity "${level}:latest"`;
      throw new DebugSpecError(
        'pod-security-container',
        `debug container "${container.name}" of the copy would be rejected: PodSecurity "${level}:latest" is enforced in namespace "${namespace}" and the container ${describeViolations(violations)}; ${fix}`,
      );
    }
  }
  warnings.push(...runtimeWarnings(container, pod, undefined));
  return { container, profile, profileReason, warnings, autoDecision, deadline };
}

// ------------------------------------------------------------------------------------------ node debugging

/** What `kubectl debug node/<node>` offers: the profiles, general first (kubectl's default since 1.36). */
export const NODE_DEBUG_PROFILES: readonly NamedProfile[] = ['general', 'sysadmin', 'netadmin', 'baseline', 'restricted', 'legacy'];
export const NODE_DEBUG_POD_PREFIX = 'node-debugger-';
export const CREATED_BY_ANNOTATION_KEY = 'ephemeral-debug.io/created-by';
export const CREATED_AT_ANNOTATION_KEY = 'ephemeral-debug.io/created-at';

export interface NodeDebugOptions {
  readonly nodeName: string;
  /** The namespace the pod is created in. */
  readonly namespace: string;
  readonly image: string;
  /** Default general. `auto` is a pod-debugging choice; a node has no target to read. */
  readonly profile?: NamedProfile;
  readonly command?: readonly string[];
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** Exposed to the container as DEBUG_SESSION_ID. */
  readonly sessionId?: string;
}

/** A debug pod's builder context: the same as a debug copy's (podCopy.ts). */
export type NodeDebugContext = PodCopyContext;

export interface NodeDebugPodResult {
  readonly pod: V1Pod;
  /** The same pod, frozen, in the only form ClusterApi.createPod accepts. */
  readonly checked: PolicyCheckedPod;
  readonly namespace: string;
  readonly podName: string;
  readonly nodeName: string;
  readonly containerName: string;
  readonly profile: NamedProfile;
  readonly profileReason: string;
  /** Whether the node's `/` is mounted at /host (general, sysadmin, legacy). */
  readonly hostRoot: boolean;
  /** hostPID, hostNetwork and hostIPC (general, sysadmin, netadmin, legacy). */
  readonly hostNamespaces: boolean;
  readonly createdAt: Date;
  readonly deadline?: Date;
  readonly warnings: readonly string[];
}

/**
 * For node debugging the privilege order judges the node effects: legacy mounts the node's root and joins its
 * namespaces like general (with the image's own securityContext), so it ranks with general, not with baseline.
 */
function nodeProfileRank(profile: NamedProfile): number {
  return profile === 'legacy' ? PROFILE_PRIVILEGE_RANK.general : PROFILE_PRIVILEGE_RANK[profile];
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MAX_POD_NAME = 253;

/** `node-debugger-<node>-xxxxx` as kubectl names it; the node part shortened only past 253 characters. */
export function generateNodeDebugPodName(nodeName: string, random: () => number = Math.random): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) {
    suffix += DEBUG_CONTAINER_NAME_ALPHABET[Math.min(Math.floor(random() * DEBUG_CONTAINER_NAME_ALPHABET.length), DEBUG_CONTAINER_NAME_ALPHABET.length - 1)];
  }
  const room = MAX_POD_NAME - NODE_DEBUG_POD_PREFIX.length - 1 - suffix.length;
  const node = nodeName.slice(0, room).replace(/[^a-z0-9]+$/, '');
  return `${NODE_DEBUG_POD_PREFIX}${node}-${suffix}`;
}

function nodeLabelValue(value: string): string {
  return value.slice(0, maxLabelLength).replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
}

/**
 * The pod of `kubectl debug node/<node> -it --image=<image> --profile=<profile>` (kubectl `generateNodeDebugPod`
 * and the profiles' node effects), as the only node debug pod ClusterApi.createPod takes, after the governance
 * policy: node debugging must be switched on (policy.allowNodeDebug, user/machine settings only), the namespace
 * allowed, the image allowed and pinned when required, the profile within the maximum (judged on node effects),
 * a session deadline as for debug containers (also as activeDeadlineSeconds, so the kubelet ends the pod even if
 * VS Code is gone). A Pod Security level that would reject host namespaces or hostPath is refused before sending.
 */
export function buildNodeDebugPod(options: NodeDebugOptions, context: NodeDebugContext): NodeDebugPodResult {
  const policy = context.policy ?? {};
  const { nodeName, namespace } = options;
  if (policy.allowNodeDebug !== true) {
    throw new DebugSpecError(
      'node-debug-not-allowed',
      `node debugging is off: it runs a pod with node ${nodeName}'s processes, network and root filesystem; enable it in your user settings with "ephemeralDebug.governance.allowNodeDebug": true (workspace settings cannot)`,
    );
  }
  validatePolicy(policy);
  if (nodeName === '' || nodeName.length > MAX_POD_NAME || !DNS_SUBDOMAIN.test(nodeName)) {
    throw new DebugSpecError('invalid-option', `invalid node name "${nodeName}": pick a node from the Nodes folder of the cluster`);
  }
  if (namespace === '' || namespace.length > maxLabelLength || !dns1123Label.test(namespace)) {
    throw new DebugSpecError('invalid-option', `invalid namespace "${namespace}": it must be a DNS-1123 label, e.g. default`);
  }
  checkNamespaceAllowed(namespace, policy);
  const profile = options.profile ?? 'general';
  if (!isNamedProfile(profile)) {
    throw new DebugSpecError('unknown-profile', `unknown node debug profile "${String(profile)}"; choose one of ${NODE_DEBUG_PROFILES.join(', ')}`);
  }
  if (policy.maxProfile !== undefined && nodeProfileRank(profile) > nodeProfileRank(policy.maxProfile)) {
    const allowed = NODE_DEBUG_PROFILES.filter((p) => nodeProfileRank(p) <= nodeProfileRank(policy.maxProfile!));
    throw new DebugSpecError('profile-not-allowed', `profile "${profile}" exceeds the maximum profile "${policy.maxProfile}" allowed by policy; choose one of ${allowed.join(', ') || 'none'}`);
  }
  const image = validateImage(options.image, policy);
  if (options.imagePullPolicy !== undefined && !['Always', 'IfNotPresent', 'Never'].includes(options.imagePullPolicy)) {
    throw new DebugSpecError('invalid-option', `invalid image pull policy "${String(options.imagePullPolicy)}"; use Always, IfNotPresent or Never`);
  }
  const now = context.now?.() ?? new Date();
  const deadline = policy.sessionTimeLimitMinutes === undefined ? undefined : new Date(now.getTime() + policy.sessionTimeLimitMinutes * 60_000);
  const env = buildEnv({ image: options.image, profile, sessionId: options.sessionId }, deadline);

  const effect = DEBUG_PROFILES[profile].node;
  const container: V1Container = { name: NODE_DEBUG_CONTAINER, image: image.original, stdin: true, tty: true, terminationMessagePolicy: 'File' };
  if (options.imagePullPolicy !== undefined) container.imagePullPolicy = options.imagePullPolicy;
  if (env.length > 0) container.env = env;
  if (options.command !== undefined && options.command.length > 0) container.command = [...options.command];
  const securityContext = applyContainerSecurityEffect(effect.debugContainer, undefined);
  if (securityContext !== undefined) container.securityContext = securityContext;
  if (effect.mountHostRoot) container.volumeMounts = [{ name: NODE_HOST_ROOT_VOLUME, mountPath: NODE_HOST_ROOT }];

  const podName = generateNodeDebugPodName(nodeName, context.random);
  const pod: V1Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: podName,
      namespace,
      labels: { [KUBECTL_MANAGED_BY_LABEL]: KUBECTL_DEBUG_MANAGER, [NODE_DEBUG_LABEL]: 'true', [NODE_DEBUG_NODE_LABEL]: nodeLabelValue(nodeName) },
      annotations: { [NODE_DEBUG_NODE_ANNOTATION]: nodeName, [NODE_DEBUG_PROFILE_ANNOTATION]: profile, [CREATED_BY_ANNOTATION_KEY]: context.creator, [CREATED_AT_ANNOTATION_KEY]: now.toISOString() },
    },
    spec: {
      containers: [container],
      nodeName,
      restartPolicy: 'Never',
      tolerations: [{ operator: 'Exists' }],
      ...(effect.useHostNamespaces ? { hostNetwork: true, hostPID: true, hostIPC: true } : {}),
      ...(effect.mountHostRoot ? { volumes: [{ name: NODE_HOST_ROOT_VOLUME, hostPath: { path: '/' } }] } : {}),
      ...(policy.sessionTimeLimitMinutes !== undefined ? { activeDeadlineSeconds: Math.max(1, Math.ceil(policy.sessionTimeLimitMinutes * 60)) } : {}),
    },
  };

  const level = context.namespacePodSecurityLevel ?? 'privileged';
  if (!context.skipPodSecurityPrecheck && level !== 'privileged') {
    const violations = evaluatePodSecurity(pod, level);
    if (violations.length > 0) {
      const passing = NODE_DEBUG_PROFILES.filter((p) => policy.maxProfile === undefined || nodeProfileRank(p) <= nodeProfileRank(policy.maxProfile))
        .find((p) => evaluatePodSecurity(nodeEffectProbe(pod, p), level).length === 0);
      const fix = passing !== undefined ? `create it in a namespace that allows privileged pods, or use profile "${passing}" (no host access)` : 'create it in a namespace that allows privileged pods';
      throw new DebugSpecError(
        'pod-security-container',
        `node debug pod would be rejected: PodSecurity "${level}:latest" is enforced in namespace "${namespace}" and the pod ${describeViolations(violations)}; ${fix}`,
      );
    }
  }
  const warnings: string[] = [];
  const deprecation = DEBUG_PROFILES[profile].deprecation;
  if (deprecation) warnings.push(deprecation);
  if (!effect.useHostNamespaces) warnings.push(`profile "${profile}" does not join the node's namespaces or mount its root: the pod sees only its own processes and files on node ${nodeName}`);
  return {
    pod,
    checked: PolicyCheckedPod.mint(pod),
    namespace,
    podName,
    nodeName,
    containerName: NODE_DEBUG_CONTAINER,
    profile,
    profileReason: describeNodeProfile(profile),
    hostRoot: effect.mountHostRoot,
    hostNamespaces: effect.useHostNamespaces,
    createdAt: now,
    ...(deadline !== undefined ? { deadline } : {}),
    warnings,
  };
}

/** The pod as another profile would make it (for the Pod Security precheck's suggestion). */
function nodeEffectProbe(pod: V1Pod, profile: NamedProfile): V1Pod {
  const effect = DEBUG_PROFILES[profile].node;
  const container = { ...pod.spec!.containers[0] } as V1Container;
  delete container.securityContext;
  delete container.volumeMounts;
  const securityContext = applyContainerSecurityEffect(effect.debugContainer, undefined);
  if (securityContext !== undefined) container.securityContext = securityContext;
  return { ...pod, spec: { containers: [container], ...(effect.useHostNamespaces ? { hostNetwork: true, hostPID: true, hostIPC: true } : {}), ...(effect.mountHostRoot ? { volumes: pod.spec!.volumes } : {}) } };
}

/** One line on what a profile gives a node debug pod. */
export function describeNodeProfile(profile: NamedProfile): string {
  const effect = DEBUG_PROFILES[profile].node;
  const reach = [effect.useHostNamespaces ? "the node's processes, network and IPC" : '', effect.mountHostRoot ? "the node's / at /host" : ''].filter(Boolean).join(' and ') || 'no host access';
  const sc = applyContainerSecurityEffect(effect.debugContainer, undefined);
  const power = sc?.privileged === true ? 'privileged' : (sc?.capabilities?.add ?? []).length > 0 ? `adds ${sc!.capabilities!.add!.join(', ')}` : sc?.runAsNonRoot === true ? 'non-root, no capabilities' : "the image's user, the runtime's default capabilities";
  return `${reach}; ${power}`;
}
