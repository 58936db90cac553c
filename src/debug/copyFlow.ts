/**
 * "Debug a Copy of Pod", the engine: check permissions and read the source, build the copy (podCopy.ts),
 * create it, wait until it really runs, then delete the source when asked (kubectl `debug --copy-to
 * --replace`). Unlike kubectl, the source is deleted only once the copy runs, so a copy that fails to start
 * never costs the original. Progress is reported as it happens; an AbortSignal cancels.
 */
import type { V1Pod, V1ResourceAttributes } from '@kubernetes/client-node';
import { ClusterError, type ClusterApi } from '../cluster/clusterApi';
import { privilegesGranted, type PrivilegeConfirmation } from './attachFlow';
import { DEFAULT_COPY_WAIT_TIMEOUT_MS, waitForCopyRunning } from './copyWait';
import { DebugFlowError, flowReporter, throwIfAborted } from './debugFlowError';
import type { DebugPolicy } from './debugContainerSpec';
import { DebugSpecError } from './errors';
import { buildPodCopy, type PodCopyDebugContainer, type PodCopyOptions, type PodCopyResult } from './podCopy';
import { checkContainerOnly, evaluatePodSecurity, formatViolation, podSecurityLevelFromNamespaceLabels, type PodSecurityLevel } from './podSecurity';
import type { NamedProfile, ProfileChoice } from './profiles';
import { profilePassingPodSecurity, rbacDeniedMessage, requiredChanges } from './serverErrors';

export const DEFAULT_COPY_DEBUG_IMAGE = 'busybox:1.36';

export interface CopyRequest extends Omit<PodCopyOptions, 'debugContainer' | 'profile'> {
  readonly namespace: string;
  readonly podName: string;
  /** Default: settings.defaultProfile, else auto. */
  readonly profile?: ProfileChoice;
  /** Add a debug container; its image defaults to settings.defaultImage, else busybox:1.36. */
  readonly debugContainer?: Omit<PodCopyDebugContainer, 'image'> & { readonly image?: string };
}

export interface CopySettings {
  readonly defaultImage?: string;
  readonly defaultProfile?: ProfileChoice;
  readonly policy?: DebugPolicy;
  readonly skipPrivilegedConfirmation?: boolean;
  /** Default 180 s. */
  readonly waitTimeoutMs?: number;
  readonly skipPodSecurityPrecheck?: boolean;
  /** For messages, e.g. `user debugger`. */
  readonly userLabel?: string;
  /** Recorded as created-by; default: the SelfSubjectReview username, else the userLabel, else the context. */
  readonly creator?: string;
}

export interface CopyCallbacks {
  readonly onProgress?: (message: string) => void;
  readonly onWarning?: (message: string) => void;
  /** The debug container gets privileges; false cancels. Default: allowed. */
  readonly confirmPrivileged?: (info: PrivilegeConfirmation) => Promise<boolean>;
  /** Before deleting the source (replace), once the copy runs; false keeps it. Default: delete. */
  readonly confirmDeleteOriginal?: (info: { readonly namespace: string; readonly podName: string; readonly copyName: string; readonly owner?: string }) => Promise<boolean>;
}

export interface CopyResult {
  readonly namespace: string;
  readonly sourceName: string;
  readonly copyName: string;
  /** The container to attach or exec into: the debug container, else the replaced one, else the first. */
  readonly containerName: string;
  readonly debugContainerName?: string;
  /** Whether attaching to containerName gives an interactive terminal. */
  readonly interactive: boolean;
  readonly profile: NamedProfile;
  readonly profileReason: string;
  readonly createdAt: Date;
  readonly deadline?: Date;
  /** The copy once it runs. */
  readonly pod: V1Pod;
  /** The pod copied, as read before copying (for the equivalent kubectl command). */
  readonly source: V1Pod;
  readonly originalDeleted: boolean;
  readonly warnings: readonly string[];
}

export async function debugCopyOfPod(
  api: ClusterApi,
  request: CopyRequest,
  settings: CopySettings = {},
  callbacks: CopyCallbacks = {},
  signal?: AbortSignal,
): Promise<CopyResult> {
  const { progress, warn, warnings } = flowReporter(callbacks);
  const userLabel = settings.userLabel ?? `context ${api.contextName}`;
  const { namespace, podName } = request;

  // --- preflight: the source, the namespace's Pod Security level, permissions, who we are ---
  progress(`checking permissions and reading pod ${podName}…`);
  const checks = await copyPreflight(api, request, userLabel);
  checks.notes.forEach(warn);
  throwIfAborted(signal, 'Copy');
  const creator = settings.creator ?? (await whoCreates(api, userLabel));
  throwIfAborted(signal, 'Copy');

  // --- build ---
  let built: PodCopyResult;
  try {
    const debugContainer = request.debugContainer !== undefined ? { ...request.debugContainer, image: request.debugContainer.image ?? settings.defaultImage ?? DEFAULT_COPY_DEBUG_IMAGE } : undefined;
    built = buildPodCopy(checks.pod, { ...request, profile: request.profile ?? settings.defaultProfile ?? 'auto', debugContainer }, {
      creator,
      policy: settings.policy,
      namespacePodSecurityLevel: checks.podSecurityLevel,
      skipPodSecurityPrecheck: settings.skipPodSecurityPrecheck,
    });
  } catch (error) {
    if (error instanceof DebugSpecError) {
      throw new DebugFlowError(error.code === 'duplicate-name' ? 'name-clash' : 'spec', error.message, undefined, undefined, error);
    }
    throw error;
  }
  built.warnings.forEach(warn);
  const debugContainer = built.pod.spec?.containers.find((c) => c.name === built.debugContainerName);
  const grants = debugContainer !== undefined ? privilegesGranted(debugContainer) : [];
  if (grants.length > 0 && !settings.skipPrivilegedConfirmation && callbacks.confirmPrivileged !== undefined) {
    const ok = await callbacks.confirmPrivileged({ podName, profile: built.profile, grants, profileReason: built.profileReason });
    if (!ok) {
      throw new DebugFlowError('cancelled', `Copy cancelled: profile "${built.profile}" not confirmed`);
    }
  }
  throwIfAborted(signal, 'Copy');

  // --- create and wait ---
  progress(`creating copy ${built.copyName} of pod ${podName}…`);
  let created: V1Pod;
  try {
    created = await api.createPod(namespace, built.checked);
  } catch (error) {
    throw explainCreateCopyError(error, { namespace, built, userLabel, level: checks.podSecurityLevel });
  }
  const running = await waitForCopyRunning(api, created, built.waitFor, { timeoutMs: settings.waitTimeoutMs ?? DEFAULT_COPY_WAIT_TIMEOUT_MS, signal, onProgress: progress });
  progress(`copy ${built.copyName} is running`);
  for (const status of running.status?.containerStatuses ?? []) {
    if (built.waitFor.includes(status.name) && (status.restartCount ?? 0) > 0) {
      warn(`container ${status.name} of copy ${built.copyName} runs, but already restarted ${status.restartCount} time(s): it may not stay up`);
    }
  }

  // --- replace: only now that the copy runs ---
  let originalDeleted = false;
  if (built.replaceOriginal) {
    originalDeleted = await deleteOriginal(api, checks.pod, built.copyName, callbacks, warn, userLabel);
  }
  return {
    namespace,
    sourceName: podName,
    copyName: built.copyName,
    containerName: built.primaryContainer,
    debugContainerName: built.debugContainerName,
    interactive: built.interactive,
    profile: built.profile,
    profileReason: built.profileReason,
    createdAt: built.createdAt,
    deadline: built.deadline,
    pod: running,
    source: checks.pod,
    originalDeleted,
    warnings,
  };
}

interface CopyPreflight {
  readonly pod: V1Pod;
  readonly podSecurityLevel: PodSecurityLevel;
  readonly notes: readonly string[];
}

async function copyPreflight(api: ClusterApi, request: CopyRequest, userLabel: string): Promise<CopyPreflight> {
  const { namespace, podName } = request;
  const wanted: { verb: string; resource: string; subresource?: string; name?: string; blocking: boolean; why: string }[] = [
    { verb: 'create', resource: 'pods', blocking: true, why: 'to create the copy' },
    ...(request.replace ? [{ verb: 'delete', resource: 'pods', name: podName, blocking: true, why: 'to delete the original (replace)' }] : []),
    ...(request.debugContainer !== undefined && request.debugContainer.interactive !== false
      ? [{ verb: 'create', resource: 'pods', subresource: 'attach', blocking: false, why: 'to attach to the debug container' }]
      : []),
  ];
  const attributes: V1ResourceAttributes[] = wanted.map((w) => ({ namespace, verb: w.verb, resource: w.resource, subresource: w.subresource, name: w.name }));
  const [pod, allowed, namespaceObject] = await Promise.all([
    api.readPod(namespace, podName).catch((error: unknown) => {
      throw podReadError(error, namespace, podName, userLabel);
    }),
    api.canI(attributes).catch(() => wanted.map(() => true)), // unknown: let the server decide
    api.readNamespace(namespace).catch(() => undefined),
  ]);
  const notes: string[] = [];
  wanted.forEach((w, i) => {
    if (allowed[i] === true) {
      return;
    }
    const resource = w.subresource ? `${w.resource}/${w.subresource}` : w.resource;
    if (w.blocking) {
      throw new DebugFlowError('forbidden', `${rbacDeniedMessage(w.verb, resource, namespace, userLabel)} (${w.why})`);
    }
    notes.push(`${rbacDeniedMessage(w.verb, resource, namespace, userLabel)} (${w.why}); the copy is still created`);
  });
  let podSecurityLevel: PodSecurityLevel;
  if (namespaceObject !== undefined) {
    podSecurityLevel = podSecurityLevelFromNamespaceLabels(namespaceObject.metadata?.labels);
  } else {
    // The namespace admitted the source, so the strictest level the source passes is a safe assumption.
    const withoutEphemeral: V1Pod = { ...pod, spec: pod.spec ? { ...pod.spec, ephemeralContainers: undefined } : pod.spec };
    podSecurityLevel = (['restricted', 'baseline'] as const).find((level) => evaluatePodSecurity(withoutEphemeral, level).length === 0) ?? 'privileged';
    notes.push(`Pod Security level of namespace ${namespace} unknown (it could not be read): assuming "${podSecurityLevel}", the strictest level the pod itself passes`);
  }
  return { pod, podSecurityLevel, notes };
}

function podReadError(error: unknown, namespace: string, podName: string, userLabel: string): DebugFlowError {
  if (error instanceof ClusterError && error.code === 404) {
    return new DebugFlowError('not-found', `Pod ${podName} does not exist in namespace ${namespace}: refresh the pod list`, error.status);
  }
  if (error instanceof ClusterError && error.code === 403) {
    return new DebugFlowError('forbidden', rbacDeniedMessage('get', 'pods', namespace, userLabel), error.status);
  }
  return asFlowError(error, `Reading pod ${podName} failed`);
}

async function whoCreates(api: ClusterApi, userLabel: string): Promise<string> {
  try {
    return (await api.whoAmI())?.username ?? userLabel;
  } catch {
    return userLabel; // who created the copy is a label for people; not worth failing over
  }
}

interface CreateFailureContext {
  readonly namespace: string;
  readonly built: PodCopyResult;
  readonly userLabel: string;
  readonly level: PodSecurityLevel;
}

const podSecurityPattern = /violates PodSecurity "([a-z]+):[^"]*"/;

/** Maps a createPod failure to a one-line DebugFlowError. */
export function explainCreateCopyError(error: unknown, context: CreateFailureContext): DebugFlowError {
  const { namespace, built } = context;
  const copyName = built.copyName;
  if (!(error instanceof ClusterError)) {
    return asFlowError(error, `Creating copy ${copyName} failed`);
  }
  const status = error.status;
  const serverMessage = status?.message ?? error.message;
  if (error.code === 409 || error.reason === 'AlreadyExists') {
    return new DebugFlowError('name-clash', `A pod named ${copyName} already exists in namespace ${namespace}: choose another copy name, or leave it empty for a generated one`, status, undefined, error);
  }
  if (error.code === 0) {
    return new DebugFlowError(/^E[A-Z]+|^UND_ERR/.test(error.reason) ? 'connection-lost' : 'unknown', error.message, status, undefined, error);
  }
  if (error.code === 404) {
    return new DebugFlowError('not-found', `Namespace ${namespace} no longer exists: pick the pod again`, status, undefined, error);
  }
  if (error.code === 403) {
    const level = podSecurityPattern.exec(serverMessage)?.[1] as PodSecurityLevel | undefined;
    if (level !== undefined) {
      return explainPodSecurity(level, serverMessage, context, error);
    }
    const user = /User "([^"]*)"/.exec(serverMessage)?.[1];
    return new DebugFlowError('forbidden', rbacDeniedMessage('create', 'pods', namespace, user ? `user ${user}` : context.userLabel), status, undefined, error);
  }
  if (error.code === 422) {
    const causes = (status?.details?.causes ?? []).map((c) => [c.field, c.message].filter(Boolean).join(': '));
    return new DebugFlowError('invalid', `The API server rejected copy ${copyName}: ${causes.join('; ') || serverMessage}`, status, causes, error);
  }
  return new DebugFlowError('unknown', `Creating copy ${copyName} failed: ${error.message}`, status, undefined, error);
}

function explainPodSecurity(level: PodSecurityLevel, serverMessage: string, context: CreateFailureContext, error: ClusterError): DebugFlowError {
  const { built, namespace } = context;
  const where = `Pod Security "${level}" in namespace ${namespace}`;
  const debugContainer = built.pod.spec?.containers.find((c) => c.name === built.debugContainerName);
  if (debugContainer !== undefined) {
    const violations = checkContainerOnly(debugContainer, built.pod, level);
    if (violations.length > 0) {
      const fields = [...new Set(violations.flatMap((v) => requiredChanges(v.detail)))];
      const passing = profilePassingPodSecurity(debugContainer, built.pod, level);
      const fix = passing !== undefined ? `use profile "${passing}", which passes` : 'no debug profile passes it';
      return new DebugFlowError(
        'pod-security',
        `${where} rejected copy ${built.copyName}: debug container ${debugContainer.name} ${violations.map((v) => v.reason).join(', ')}; ${fields.join(', ') || 'make its securityContext compliant'}, or ${fix}`,
        error.status,
        violations.map(formatViolation),
        error,
      );
    }
  }
  // The source's own containers: the namespace was tightened after the source was admitted.
  return new DebugFlowError('pod-security', `${where} rejected copy ${built.copyName}: ${serverMessage}; the pod itself no longer passes the namespace's level`, error.status, undefined, error);
}

async function deleteOriginal(api: ClusterApi, source: V1Pod, copyName: string, callbacks: CopyCallbacks, warn: (message: string) => void, userLabel: string): Promise<boolean> {
  const namespace = source.metadata?.namespace ?? api.defaultNamespace;
  const podName = source.metadata?.name ?? '';
  const ownerReference = source.metadata?.ownerReferences?.find((o) => o.controller === true);
  const owner = ownerReference !== undefined ? `${ownerReference.kind} ${ownerReference.name}` : undefined;
  if (callbacks.confirmDeleteOriginal !== undefined && !(await callbacks.confirmDeleteOriginal({ namespace, podName, copyName, owner }))) {
    warn(`pod ${podName} was kept: deleting it was not confirmed`);
    return false;
  }
  try {
    // As kubectl --replace: no grace period, the copy already serves as its replacement.
    await api.deletePod(namespace, podName, { gracePeriodSeconds: 0 });
    return true;
  } catch (error) {
    if (error instanceof ClusterError && error.code === 404) {
      return true;
    }
    const why = error instanceof ClusterError && error.code === 403 ? rbacDeniedMessage('delete', 'pods', namespace, userLabel) : error instanceof Error ? error.message : String(error);
    // The copy runs; failing here would hide it, so the failed delete is reported as a warning.
    warn(`copy ${copyName} runs, but deleting the original pod ${podName} failed: ${why}`);
    return false;
  }
}

function asFlowError(error: unknown, what: string): DebugFlowError {
  if (error instanceof DebugFlowError) {
    return error;
  }
  const text = error instanceof Error ? error.message : String(error);
  const status = error instanceof ClusterError ? error.status : undefined;
  const code = error instanceof ClusterError && error.code === 0 ? 'connection-lost' : 'unknown';
  return new DebugFlowError(code, `${what}: ${text}`, status, undefined, error);
}
