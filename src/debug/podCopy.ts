/**
 * "Debug a Copy of Pod": kubectl `debug --copy-to` as a pure builder. The copy is a new pod made from the
 * source's spec (never its status or server-owned metadata), with the requested changes (images, a replaced
 * command, an added debug container, a shared process namespace) and the profile's copy effects (labels,
 * annotations, probes and init containers removed unless kept). Every copy is marked so it can be found and
 * cleaned up later, even when the source's labels are dropped:
 *
 * - label `ephemeral-debug.io/copy: "true"`: the selector of every debug copy;
 * - label `ephemeral-debug.io/copy-of: <source pod name>` (truncated to a valid label value);
 * - annotation `ephemeral-debug.io/copied-from: <namespace>/<name>` (exact, any length);
 * - annotation `ephemeral-debug.io/created-by: <user>` and `ephemeral-debug.io/created-at: <ISO 8601 time>`
 *   (annotations, because neither is a valid label value in general).
 */
import type { V1Container, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { PolicyCheckedPod } from '../cluster/policyChecked';
import {
  CREATED_AT_ANNOTATION_KEY,
  CREATED_BY_ANNOTATION_KEY,
  DEBUG_CONTAINER_NAME_ALPHABET,
  buildPodCopyDebugContainer,
  checkNamespaceAllowed,
  validateImage,
  type DebugContainerOptions,
  type DebugPolicy,
} from './debugContainerSpec';
import { DebugSpecError } from './errors';
import type { PodSecurityLevel } from './podSecurity';
import { DEBUG_PROFILES, isProfileChoice, NAMED_PROFILES, type AutoProfileDecision, type NamedProfile, type PodCopyEffect, type ProfileChoice } from './profiles';

export const COPY_LABEL = 'ephemeral-debug.io/copy';
export const COPY_OF_LABEL = 'ephemeral-debug.io/copy-of';
export const COPIED_FROM_ANNOTATION = 'ephemeral-debug.io/copied-from';
/** Shared with node debug pods (debugContainerSpec.ts), so Clean Up reads both alike. */
export const CREATED_BY_ANNOTATION = CREATED_BY_ANNOTATION_KEY;
export const CREATED_AT_ANNOTATION = CREATED_AT_ANNOTATION_KEY;
/** The label selector of every debug copy. */
export const DEBUG_COPY_SELECTOR = `${COPY_LABEL}=true`;
/** `<pod>-debug-xxxxx`. */
export const COPY_NAME_INFIX = '-debug-';

/** Kept in a pod name so the pod's hostname (a DNS label, at most 63 characters) is the whole name. */
const maxGeneratedNameLength = 63;
const suffixLength = 5;
const maxPodNameLength = 253;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const maxLabelValueLength = 63;

/** Which of the source's fields survive the profile's copy effects (kubectl --keep-*). */
export interface PodCopyKeep {
  readonly labels?: boolean;
  readonly annotations?: boolean;
  readonly livenessProbe?: boolean;
  readonly readinessProbe?: boolean;
  readonly startupProbe?: boolean;
  readonly initContainers?: boolean;
}

/** Replace one container's command, e.g. `sleep 3600` to keep a CrashLoopBackOff app alive for inspection. */
export interface ReplaceCommand {
  /** A regular container, or an init container when init containers are kept. */
  readonly container: string;
  readonly command: readonly string[];
  /** Default: none (the image's CMD is dropped with the command, as kubectl does). */
  readonly args?: readonly string[];
  /** stdin + tty, so a shell command stays alive and can be attached to. Default false. */
  readonly interactive?: boolean;
}

/** A new container added to the copy (kubectl --image with --copy-to). */
export interface PodCopyDebugContainer {
  readonly image: string;
  /** Default `debugger-xxxxx`. */
  readonly name?: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly env?: DebugContainerOptions['env'];
  /** stdin + tty so it can be attached to. Default true. */
  readonly interactive?: boolean;
  readonly imagePullPolicy?: DebugContainerOptions['imagePullPolicy'];
  readonly custom?: DebugContainerOptions['custom'];
  /** Exposed to the container as DEBUG_SESSION_ID. */
  readonly sessionId?: string;
}

export interface PodCopyOptions {
  /** Default `<pod>-debug-` plus 5 characters of kubectl's alphabet, at most 63 characters. */
  readonly copyName?: string;
  /** Default 'auto': drives the copy effects and the debug container's securityContext. */
  readonly profile?: ProfileChoice;
  /** Default true (kubectl --share-processes): containers of the copy see each other's processes. */
  readonly shareProcesses?: boolean;
  /** Container name → image; `*` applies to every regular container (a named entry wins). */
  readonly setImages?: Readonly<Record<string, string>>;
  readonly replaceCommand?: ReplaceCommand;
  readonly debugContainer?: PodCopyDebugContainer;
  readonly keep?: PodCopyKeep;
  /** Keep spec.nodeName so the copy runs on the source's node. Default false. */
  readonly sameNode?: boolean;
  /** Delete the source once the copy runs (the flow does it). Default false. */
  readonly replace?: boolean;
}

export interface PodCopyContext {
  /** Who creates the copy, recorded in the created-by annotation (e.g. the SelfSubjectReview username). */
  readonly creator: string;
  readonly policy?: DebugPolicy;
  /** The namespace's enforced level, for the debug container precheck. Default 'privileged' (no precheck). */
  readonly namespacePodSecurityLevel?: PodSecurityLevel;
  readonly skipPodSecurityPrecheck?: boolean;
  /** Source of randomness for generated names; injectable for tests. */
  readonly random?: () => number;
  /** The clock of created-at and the session deadline; injectable for tests. */
  readonly now?: () => Date;
}

export interface PodCopyResult {
  /** The pod to create. */
  readonly pod: V1Pod;
  /** The same pod, frozen, in the only form ClusterApi.createPod accepts. */
  readonly checked: PolicyCheckedPod;
  readonly namespace: string;
  readonly sourceName: string;
  readonly copyName: string;
  readonly debugContainerName?: string;
  /** Containers whose running state means the copy is usable: the debug container, else the replaced one, else all. */
  readonly waitFor: readonly string[];
  /** The container to attach or exec into: the debug container, else the replaced one, else the first. */
  readonly primaryContainer: string;
  /** stdin + tty on the primary container. */
  readonly interactive: boolean;
  /** The profile applied (auto resolved). */
  readonly profile: NamedProfile;
  readonly profileReason: string;
  readonly autoDecision?: AutoProfileDecision;
  readonly replaceOriginal: boolean;
  readonly createdAt: Date;
  readonly deadline?: Date;
  readonly warnings: readonly string[];
}

/** `<pod>-debug-xxxxx`, the pod part shortened so the whole name stays within 63 characters. */
export function generateCopyName(sourceName: string, random: () => number = Math.random): string {
  let suffix = '';
  for (let i = 0; i < suffixLength; i++) {
    suffix += DEBUG_CONTAINER_NAME_ALPHABET[Math.min(Math.floor(random() * DEBUG_CONTAINER_NAME_ALPHABET.length), DEBUG_CONTAINER_NAME_ALPHABET.length - 1)];
  }
  const room = maxGeneratedNameLength - COPY_NAME_INFIX.length - suffixLength;
  const base = sourceName.slice(0, room).replace(/[^a-z0-9]+$/, '');
  return `${base || 'pod'}${COPY_NAME_INFIX}${suffix}`;
}

/** A pod name as a label value: at most 63 characters, starting and ending alphanumeric. */
export function toLabelValue(value: string): string {
  return value.slice(0, maxLabelValueLength).replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
}

export function buildPodCopy(source: V1Pod, options: PodCopyOptions, context: PodCopyContext): PodCopyResult {
  const sourceName = source.metadata?.name ?? '';
  const namespace = source.metadata?.namespace ?? 'default';
  const policy = context.policy ?? {};
  const warnings: string[] = [];
  if (!source.spec || (source.spec.containers ?? []).length === 0 || sourceName === '') {
    throw new DebugSpecError('invalid-pod', `pod "${sourceName || '(unnamed)'}" has no name, spec or containers; fetch the full pod before copying it`);
  }
  checkNamespaceAllowed(namespace, policy);
  const profileChoice = options.profile ?? 'auto';
  if (!isProfileChoice(profileChoice)) {
    throw new DebugSpecError('unknown-profile', `unknown profile "${String(profileChoice)}"; choose auto, ${NAMED_PROFILES.join(', ')}`);
  }
  const copyName = options.copyName !== undefined ? validateCopyName(options.copyName, sourceName) : generateCopyName(sourceName, context.random);
  const now = context.now?.() ?? new Date();
  const keep = options.keep ?? {};

  const spec: V1PodSpec = structuredClone(source.spec);
  delete spec.ephemeralContainers;
  if (!options.sameNode) {
    delete spec.nodeName;
  }
  applySetImages(spec, options.setImages ?? {}, policy);
  applyShareProcesses(spec, options.shareProcesses, warnings);

  // auto never resolves to legacy, and every other profile strips alike, so the copy effect is known before
  // the debug container is built (which is then judged on the copy as it will be).
  const effectProfile: NamedProfile = profileChoice === 'auto' ? 'general' : profileChoice;
  const copy: V1Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: copyName, namespace }, spec };
  applyCopyEffect(copy, source, DEBUG_PROFILES[effectProfile].podCopy, keep);
  const replaced = options.replaceCommand !== undefined ? applyReplaceCommand(spec, options.replaceCommand, keep, warnings) : undefined;
  let profile = effectProfile;
  let profileReason = DEBUG_PROFILES[profile].summary;
  let debugContainerName: string | undefined;
  let autoDecision: AutoProfileDecision | undefined;
  let deadline: Date | undefined;
  if (options.debugContainer !== undefined) {
    const request = options.debugContainer;
    const interactive = request.interactive ?? true;
    const built = buildPodCopyDebugContainer(
      {
        image: request.image,
        profile: profileChoice,
        name: request.name,
        command: request.command,
        args: request.args,
        env: request.env,
        stdin: interactive,
        tty: interactive,
        imagePullPolicy: request.imagePullPolicy,
        custom: request.custom,
        sessionId: request.sessionId,
      },
      { pod: copy, namespacePodSecurityLevel: context.namespacePodSecurityLevel ?? 'privileged', policy, random: context.random, now: context.now, skipPodSecurityPrecheck: context.skipPodSecurityPrecheck },
    );
    spec.containers.push(built.container);
    debugContainerName = built.container.name;
    autoDecision = built.autoDecision;
    deadline = built.deadline;
    profile = built.profile;
    profileReason = built.profileReason;
    warnings.push(...built.warnings);
  }

  copy.metadata!.labels = { ...copy.metadata!.labels, [COPY_LABEL]: 'true', [COPY_OF_LABEL]: toLabelValue(sourceName) };
  copy.metadata!.annotations = {
    ...copy.metadata!.annotations,
    [COPIED_FROM_ANNOTATION]: `${namespace}/${sourceName}`,
    [CREATED_BY_ANNOTATION]: context.creator,
    [CREATED_AT_ANNOTATION]: now.toISOString(),
  };
  warnings.push(...ownershipWarnings(source, copy, options.replace === true));

  const primaryContainer = debugContainerName ?? replaced ?? spec.containers[0].name;
  const primary = [...spec.containers, ...(spec.initContainers ?? [])].find((c) => c.name === primaryContainer);
  return {
    pod: copy,
    checked: PolicyCheckedPod.mint(copy),
    namespace,
    sourceName,
    copyName,
    debugContainerName,
    waitFor: debugContainerName !== undefined ? [debugContainerName] : replaced !== undefined ? [replaced] : spec.containers.map((c) => c.name),
    primaryContainer,
    interactive: primary?.stdin === true && primary.tty === true,
    profile,
    profileReason,
    autoDecision,
    replaceOriginal: options.replace === true,
    createdAt: now,
    deadline,
    warnings,
  };
}

function validateCopyName(name: string, sourceName: string): string {
  if (name.length > maxPodNameLength || !dns1123Subdomain.test(name)) {
    throw new DebugSpecError(
      'invalid-name',
      `invalid copy name "${name}": a pod name is lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most ${maxPodNameLength} characters`,
    );
  }
  if (name === sourceName) {
    throw new DebugSpecError('invalid-name', `the copy cannot be named like its source "${sourceName}": choose another name, or leave it empty for ${sourceName}${COPY_NAME_INFIX}xxxxx`);
  }
  return name;
}

function applySetImages(spec: V1PodSpec, setImages: Readonly<Record<string, string>>, policy: DebugPolicy): void {
  const names = spec.containers.map((c) => c.name);
  for (const [container, image] of Object.entries(setImages)) {
    if (container !== '*' && !names.includes(container)) {
      throw new DebugSpecError('invalid-target', `cannot set the image of container "${container}": the pod has no such container; choose one of ${names.join(', ')}, or * for all`);
    }
    checkCopyImage(image, container, policy);
  }
  for (const container of spec.containers) {
    const image = setImages[container.name] ?? setImages['*'];
    if (image !== undefined) {
      container.image = image;
    }
  }
}

/** An image put into the copy passes the same image policy as a debug image: it is one. */
function checkCopyImage(image: string, container: string, policy: DebugPolicy): void {
  validateImage(image, policy, container === '*' ? 'for all containers' : `for container "${container}"`);
}

function applyShareProcesses(spec: V1PodSpec, requested: boolean | undefined, warnings: string[]): void {
  if (spec.hostPID === true) {
    // The API server rejects shareProcessNamespace together with hostPID; the host's PID namespace is shared anyway.
    if (requested === true) {
      throw new DebugSpecError('invalid-option', 'the pod uses the host PID namespace (hostPID), which cannot be combined with a shared process namespace; turn process sharing off');
    }
    if (requested === undefined) {
      warnings.push('the pod uses the host PID namespace (hostPID), so the copy does not get a shared process namespace');
    }
    return;
  }
  spec.shareProcessNamespace = requested ?? true;
}

/** Labels, annotations, probes and init containers, as the profile and the keep options say. */
function applyCopyEffect(copy: V1Pod, source: V1Pod, effect: PodCopyEffect, keep: PodCopyKeep): void {
  const metadata = copy.metadata!;
  const spec = copy.spec!;
  if (effect.removeLabels === 'unless-kept' && keep.labels === true && source.metadata?.labels) {
    metadata.labels = { ...source.metadata.labels };
  }
  if ((!effect.removeAnnotations || keep.annotations === true) && source.metadata?.annotations) {
    metadata.annotations = { ...source.metadata.annotations };
  }
  if (effect.removeInitContainers && keep.initContainers !== true) {
    delete spec.initContainers;
  }
  if (effect.removeProbes) {
    for (const container of spec.containers) {
      if (keep.livenessProbe !== true) delete container.livenessProbe;
      if (keep.readinessProbe !== true) delete container.readinessProbe;
      if (keep.startupProbe !== true) delete container.startupProbe;
    }
  }
  if (effect.shareProcessNamespace && spec.shareProcessNamespace === undefined && spec.hostPID !== true) {
    spec.shareProcessNamespace = true;
  }
}

function applyReplaceCommand(spec: V1PodSpec, replace: ReplaceCommand, keep: PodCopyKeep, warnings: string[]): string {
  const regular = spec.containers.find((c) => c.name === replace.container);
  const init = (spec.initContainers ?? []).find((c) => c.name === replace.container);
  const target: V1Container | undefined = regular ?? init;
  if (target === undefined) {
    const names = [...spec.containers, ...(spec.initContainers ?? [])].map((c) => c.name).join(', ');
    const hint = keep.initContainers !== true ? ' (init containers are removed from the copy unless kept)' : '';
    throw new DebugSpecError('invalid-target', `cannot replace the command of container "${replace.container}": the copy has no such container${hint}; choose one of ${names}`);
  }
  if (replace.command.length === 0 || replace.command.some((part) => typeof part !== 'string')) {
    throw new DebugSpecError('invalid-option', `the replacement command for container "${replace.container}" is empty; give one, e.g. sleep 3600`);
  }
  target.command = [...replace.command];
  if (replace.args !== undefined && replace.args.length > 0) {
    target.args = [...replace.args];
  } else {
    delete target.args;
  }
  if (replace.interactive === true) {
    target.stdin = true;
    target.tty = true;
  }
  for (const probe of ['livenessProbe', 'startupProbe'] as const) {
    if (target[probe] !== undefined) {
      warnings.push(`container "${target.name}" keeps its ${probe} but runs "${replace.command.join(' ')}": the probe will probably fail and restart it; drop the probe`);
    }
  }
  return target.name;
}

function ownershipWarnings(source: V1Pod, copy: V1Pod, replace: boolean): string[] {
  const warnings: string[] = [];
  const owner = source.metadata?.ownerReferences?.find((o) => o.controller === true);
  const keptLabels = Object.keys(copy.metadata?.labels ?? {}).some((key) => key !== COPY_LABEL && key !== COPY_OF_LABEL);
  if (keptLabels && owner !== undefined) {
    warnings.push(`the copy keeps the labels of a pod managed by ${owner.kind} ${owner.name}: its Services send the copy traffic, and the controller may adopt and delete it`);
  }
  if (replace && owner !== undefined) {
    warnings.push(`pod ${source.metadata?.name} is managed by ${owner.kind} ${owner.name}: once it is deleted, the controller creates a new one`);
  }
  return warnings;
}
