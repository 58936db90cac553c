/**
 * "Attach Debug Container", the engine: kubectl's options → complete → validate → run, with the decisions a
 * user must make handed to callbacks (reattach instead of adding, privileged profile, the permanent-container
 * notice), progress reported as it happens, and cancellation through an AbortSignal. The UI opens the attach
 * terminal on the result.
 */
import type { V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';
import type { ClusterApi } from '../cluster/clusterApi';
import { DebugFlowError, throwIfAborted } from './debugFlowError';
import { defaultTargetContainer, findRunningDebugContainers, type ExistingDebugContainer } from './debugContainers';
import { buildDebugContainer, checkReusableDebugContainer, type DebugContainerOptions, type DebugPolicy, type DebugContainerResult } from './debugContainerSpec';
import { DebugSpecError } from './errors';
import { BASELINE_ALLOWED_CAPABILITIES } from './podSecurity';
import { assertPreflightPassed, runPreflight, type PreflightResult } from './preflight';
import type { NamedProfile, ProfileChoice } from './profiles';
import { explainAddEphemeralContainerError } from './serverErrors';
import { DEFAULT_WAIT_TIMEOUT_MS, waitForEphemeralContainer } from './waitForContainer';

export const DEFAULT_DEBUG_IMAGE = 'busybox:1.36';

/** What the user asked for; everything optional is completed from the pod and the settings. */
export interface AttachRequest {
  readonly namespace: string;
  readonly podName: string;
  readonly image?: string;
  /**
   * Default: the only regular container, else the first running one. null: no target (kubectl debug without
   * --target): the pod's network, IPC and hostname, its processes only where the pod shares its process namespace.
   */
  readonly targetContainer?: string | null;
  /** Default: `debugger-xxxxx`. An explicit name always adds a new container. */
  readonly name?: string;
  readonly profile?: ProfileChoice;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly env?: DebugContainerOptions['env'];
  readonly custom?: DebugContainerOptions['custom'];
  readonly imagePullPolicy?: DebugContainerOptions['imagePullPolicy'];
  readonly sessionId?: string;
}

/** Extension settings that shape the flow. */
export interface AttachSettings {
  readonly defaultImage?: string;
  /** Default 'auto'. */
  readonly defaultProfile?: ProfileChoice;
  readonly policy?: DebugPolicy;
  /** Skip the privileged-profile confirmation. */
  readonly skipPrivilegedConfirmation?: boolean;
  /** Default 120 s. */
  readonly waitTimeoutMs?: number;
  /** For users exempt from Pod Security (not visible to clients). */
  readonly skipPodSecurityPrecheck?: boolean;
  /** For RBAC messages, e.g. `user debugger`. */
  readonly userLabel?: string;
}

export interface PrivilegeConfirmation {
  readonly podName: string;
  readonly profile: NamedProfile;
  /** e.g. ['SYS_PTRACE'] or ['privileged']. */
  readonly grants: readonly string[];
  readonly profileReason: string;
}

/** Reattach (to the first offered, or to the named one), add a new one anyway, or stop. */
export type ReattachChoice = 'reattach' | { readonly reattach: string } | 'add-new' | 'cancel';

export interface AttachCallbacks {
  /** One short line per step. */
  readonly onProgress?: (message: string) => void;
  /** A running debug container with the same image and target exists; default: add a new one. */
  readonly chooseReattach?: (existing: readonly ExistingDebugContainer[]) => Promise<ReattachChoice>;
  /** The profile adds privileges; false cancels. Default: allowed. */
  readonly confirmPrivileged?: (info: PrivilegeConfirmation) => Promise<boolean>;
  /** First ephemeral container in this pod: it cannot be removed. false cancels. Default: go on. */
  readonly acknowledgePermanent?: (info: { readonly podName: string; readonly namespace: string }) => Promise<boolean>;
  /** Non-blocking warnings (spec builder, preflight notes). */
  readonly onWarning?: (message: string) => void;
}

export interface AttachResult {
  readonly namespace: string;
  readonly podName: string;
  readonly containerName: string;
  readonly image: string;
  readonly targetContainer?: string;
  /** The profile applied (unknown for a reattached container we did not create in this call). */
  readonly profile?: NamedProfile;
  readonly profileReason?: string;
  /** True when an existing container was chosen instead of adding one. */
  readonly reattached: boolean;
  /** Whether attaching gives an interactive terminal (stdin + tty). */
  readonly interactive: boolean;
  /** The pod once the container runs. */
  readonly pod: V1Pod;
  readonly warnings: readonly string[];
}

export async function attachDebugContainer(
  api: ClusterApi,
  request: AttachRequest,
  settings: AttachSettings = {},
  callbacks: AttachCallbacks = {},
  signal?: AbortSignal,
): Promise<AttachResult> {
  const progress = (message: string): void => callbacks.onProgress?.(message);
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    callbacks.onWarning?.(message);
  };

  // --- preflight ---
  progress(`checking permissions and pod ${request.podName}…`);
  const preflight: PreflightResult = await runPreflight(api, { namespace: request.namespace, podName: request.podName, userLabel: settings.userLabel, signal });
  assertPreflightPassed(preflight);
  preflight.notes.forEach(warn);
  const pod = preflight.pod;
  throwIfAborted(signal, 'Attach');

  // --- complete ---
  const image = request.image ?? settings.defaultImage ?? DEFAULT_DEBUG_IMAGE;
  const targetContainer = request.targetContainer === null ? undefined : (request.targetContainer ?? defaultTargetContainer(pod));
  const profile = request.profile ?? settings.defaultProfile ?? 'auto';

  // --- reuse a running one? ---
  if (request.name === undefined && callbacks.chooseReattach !== undefined) {
    // Only those the policy allows now are offered (one added before the policy, or by another client, is not).
    const existing = findRunningDebugContainers(pod, image, targetContainer).filter((c) => c.interactive && passesReusePolicy(pod, c.name, settings.policy));
    if (existing.length > 0) {
      const choice = await callbacks.chooseReattach(existing);
      throwIfAborted(signal, 'Attach');
      if (choice === 'cancel') {
        throw new DebugFlowError('cancelled', 'Attach cancelled');
      }
      if (choice === 'reattach' || typeof choice === 'object') {
        const chosen = choice === 'reattach' ? existing[0] : existing.find((c) => c.name === choice.reattach);
        if (chosen === undefined) {
          throw new DebugFlowError('not-found', `Debug container ${typeof choice === 'object' ? choice.reattach : ''} is not a running debug container with image ${image} in pod ${request.podName}`);
        }
        checkReuse(pod, chosen.name, settings.policy);
        return { namespace: request.namespace, podName: request.podName, containerName: chosen.name, image, targetContainer, reattached: true, interactive: true, pod, warnings };
      }
    }
  }

  // --- validate and build ---
  let built: DebugContainerResult;
  try {
    built = buildDebugContainer(
      {
        image,
        targetContainer,
        profile,
        name: request.name,
        command: request.command,
        args: request.args,
        env: request.env,
        custom: request.custom,
        imagePullPolicy: request.imagePullPolicy,
        sessionId: request.sessionId,
      },
      { pod, namespacePodSecurityLevel: preflight.podSecurityLevel, policy: settings.policy, skipPodSecurityPrecheck: settings.skipPodSecurityPrecheck },
    );
  } catch (error) {
    if (error instanceof DebugSpecError) {
      throw new DebugFlowError(error.code === 'duplicate-name' ? 'name-clash' : 'spec', error.message, undefined, undefined, error);
    }
    throw error;
  }
  built.warnings.forEach(warn);

  // --- confirmations ---
  const grants = privilegesGranted(built.container);
  if (grants.length > 0 && !settings.skipPrivilegedConfirmation && callbacks.confirmPrivileged !== undefined) {
    const ok = await callbacks.confirmPrivileged({ podName: request.podName, profile: built.profile, grants, profileReason: built.profileReason });
    if (!ok) {
      throw new DebugFlowError('cancelled', `Attach cancelled: profile "${built.profile}" not confirmed`);
    }
  }
  if ((pod.spec?.ephemeralContainers ?? []).length === 0 && callbacks.acknowledgePermanent !== undefined) {
    const ok = await callbacks.acknowledgePermanent({ podName: request.podName, namespace: request.namespace });
    if (!ok) {
      throw new DebugFlowError('cancelled', 'Attach cancelled');
    }
  }
  throwIfAborted(signal, 'Attach');

  // --- run ---
  progress(`adding debug container ${built.container.name} (${image}, profile ${built.profile})…`);
  let updated: V1Pod;
  try {
    updated = await api.addEphemeralContainer(pod, built.checked);
  } catch (error) {
    throw explainAddEphemeralContainerError(error, {
      namespace: request.namespace,
      podName: request.podName,
      pod,
      container: built.container,
      userLabel: settings.userLabel,
    });
  }
  const running = await waitForEphemeralContainer(api, updated, built.container.name, {
    timeoutMs: settings.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS,
    signal,
    onProgress: progress,
  });
  progress(`debug container ${built.container.name} is running`);
  return {
    namespace: request.namespace,
    podName: request.podName,
    containerName: built.container.name,
    image,
    targetContainer,
    profile: built.profile,
    profileReason: built.profileReason,
    reattached: false,
    interactive: built.container.stdin === true && built.container.tty === true,
    pod: running,
    warnings,
  };
}

/**
 * The policy on using a running debug container instead of adding one (see checkReusableDebugContainer), as a
 * DebugFlowError for the flows; every reuse path goes through here or passesReusePolicy.
 */
export function checkReuse(pod: V1Pod, containerName: string, policy: DebugPolicy | undefined): void {
  try {
    checkReusableDebugContainer(pod, containerName, policy);
  } catch (error) {
    if (error instanceof DebugSpecError) throw new DebugFlowError('spec', error.message, undefined, undefined, error);
    throw error;
  }
}

/** Whether the policy allows using this running debug container (candidates that do not are skipped). */
export function passesReusePolicy(pod: V1Pod, containerName: string, policy: DebugPolicy | undefined): boolean {
  try {
    checkReusableDebugContainer(pod, containerName, policy);
    return true;
  } catch (error) {
    if (error instanceof DebugSpecError) return false;
    throw error;
  }
}

/** What the container gets beyond the runtime's defaults: privileged, or added non-default capabilities. */
export function privilegesGranted(container: V1EphemeralContainer): string[] {
  const securityContext = container.securityContext;
  const grants: string[] = [];
  if (securityContext?.privileged === true) {
    grants.push('privileged');
  }
  if (securityContext?.allowPrivilegeEscalation === true) {
    grants.push('allowPrivilegeEscalation');
  }
  grants.push(...(securityContext?.capabilities?.add ?? []).filter((cap) => !BASELINE_ALLOWED_CAPABILITIES.has(cap)));
  return grants;
}
