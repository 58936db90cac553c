/**
 * "Debug Node…", the engine: `kubectl debug node/<node>` made careful. Checks permissions and the namespace's
 * Pod Security level, builds the pod (buildNodeDebugPod: the one place that applies the governance policy),
 * creates it, and waits until its container runs, ending at once with a one-line reason on an image that cannot
 * be pulled, a container that cannot start, a node that refuses the pod, or Pod Security admission. Unlike
 * kubectl it never waits for ever. An AbortSignal cancels the wait (the pod stays; Clean Up removes it).
 */
import type { V1Pod, V1ResourceAttributes } from '@kubernetes/client-node';
import { ClusterError, type ClusterApi } from '../cluster/clusterApi';
import type { PrivilegeConfirmation } from './attachFlow';
import { privilegesGranted } from './attachFlow';
import { DEFAULT_COPY_WAIT_TIMEOUT_MS, waitForCopyRunning, type WaitWording } from './copyWait';
import { DebugFlowError, flowReporter, throwIfAborted } from './debugFlowError';
import { buildNodeDebugPod, type DebugPolicy, type NodeDebugOptions, type NodeDebugPodResult } from './debugContainerSpec';
import { DebugSpecError } from './errors';
import { podSecurityLevelFromNamespaceLabels, type PodSecurityLevel } from './podSecurity';
import { rbacDeniedMessage } from './serverErrors';

/** What to debug: the builder's options, the namespace defaulting to the context's. */
export type NodeDebugRequest = Omit<NodeDebugOptions, 'namespace'> & { readonly namespace?: string };

export interface NodeDebugSettings {
  readonly policy?: DebugPolicy;
  readonly skipPrivilegedConfirmation?: boolean;
  readonly skipPodSecurityPrecheck?: boolean;
  /** Default 180 s: the node may have to pull the image. */
  readonly waitTimeoutMs?: number;
  /** For messages, e.g. `user debugger`. */
  readonly userLabel?: string;
  readonly creator?: string;
  /** Injectable for tests. */
  readonly random?: () => number;
}

export interface NodeDebugCallbacks {
  readonly onProgress?: (message: string) => void;
  readonly onWarning?: (message: string) => void;
  /** The pod gets the node's namespaces/root or privileges; false cancels before anything is created. */
  readonly confirmPrivileged?: (info: PrivilegeConfirmation & { readonly nodeName: string; readonly hostAccess: string }) => Promise<boolean>;
  /** Called once the pod exists (before the wait), e.g. to journal it. */
  readonly onCreated?: (pod: V1Pod, built: NodeDebugPodResult) => void;
}

export interface NodeDebugResult {
  readonly namespace: string;
  readonly podName: string;
  readonly nodeName: string;
  readonly containerName: string;
  readonly profile: NodeDebugPodResult['profile'];
  readonly profileReason: string;
  readonly hostRoot: boolean;
  readonly hostNamespaces: boolean;
  readonly deadline?: Date;
  /** The pod once its container runs. */
  readonly pod: V1Pod;
  readonly warnings: readonly string[];
}

export const NODE_POD_WORDING: WaitWording = {
  noun: 'node debug pod',
  cleanup: 'Clean Up Debug Pods',
  configHint: 'pick another profile or image (the node refused the container as specified)',
  imageHint: 'pick an image the node can pull (a node debug pod has no imagePullSecrets), or a digest from a registry it reaches',
  exitHint: 'the debug image must run a shell that stays up with a TTY (e.g. busybox), or give a command that does',
};

export async function debugNode(api: ClusterApi, request: NodeDebugRequest, settings: NodeDebugSettings = {}, callbacks: NodeDebugCallbacks = {}, signal?: AbortSignal): Promise<NodeDebugResult> {
  const { progress, warn, warnings } = flowReporter(callbacks);
  const userLabel = settings.userLabel ?? `context ${api.contextName}`;
  const namespace = request.namespace ?? api.defaultNamespace;
  const { nodeName } = request;

  // Governance first: nothing is read from the cluster when the switch is off.
  if (settings.policy?.allowNodeDebug !== true) {
    throw toFlowError(() => buildNodeDebugPod({ ...request, namespace }, { creator: '', policy: settings.policy }));
  }
  progress(`checking permissions in namespace ${namespace}…`);
  const podSecurityLevel = await preflight(api, namespace, userLabel, warn);
  throwIfAborted(signal, 'Debug Node');
  const creator = settings.creator ?? (await api.whoAmI().then((who) => who?.username, () => undefined)) ?? userLabel;
  throwIfAborted(signal, 'Debug Node');

  const built = toFlowError(() => buildNodeDebugPod({ ...request, namespace }, {
    creator,
    policy: settings.policy,
    namespacePodSecurityLevel: podSecurityLevel,
    skipPodSecurityPrecheck: settings.skipPodSecurityPrecheck,
    random: settings.random,
  }));
  built.warnings.forEach(warn);
  const container = built.pod.spec!.containers[0];
  const grants = [...(built.hostNamespaces ? ['hostPID', 'hostNetwork', 'hostIPC'] : []), ...(built.hostRoot ? ['hostPath /'] : []), ...privilegesGranted(container)];
  if (grants.length > 0 && !settings.skipPrivilegedConfirmation && callbacks.confirmPrivileged !== undefined) {
    const ok = await callbacks.confirmPrivileged({ podName: built.podName, nodeName, profile: built.profile, grants, profileReason: built.profileReason, hostAccess: built.profileReason });
    if (!ok) throw new DebugFlowError('cancelled', `Debug Node cancelled: profile "${built.profile}" not confirmed`);
  }
  throwIfAborted(signal, 'Debug Node');

  progress(`creating ${built.podName} on node ${nodeName}…`);
  let created: V1Pod;
  try {
    created = await api.createPod(namespace, built.checked);
  } catch (error) {
    throw explainCreateNodePodError(error, built, userLabel);
  }
  callbacks.onCreated?.(created, built);
  const running = await waitForCopyRunning(api, created, [built.containerName], {
    timeoutMs: settings.waitTimeoutMs ?? DEFAULT_COPY_WAIT_TIMEOUT_MS,
    signal,
    onProgress: progress,
    wording: NODE_POD_WORDING,
  });
  progress(`${built.podName} is running on node ${nodeName}`);
  return {
    namespace,
    podName: built.podName,
    nodeName,
    containerName: built.containerName,
    profile: built.profile,
    profileReason: built.profileReason,
    hostRoot: built.hostRoot,
    hostNamespaces: built.hostNamespaces,
    ...(built.deadline !== undefined ? { deadline: built.deadline } : {}),
    pod: running,
    warnings,
  };
}

function toFlowError<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof DebugSpecError) throw new DebugFlowError('spec', error.message, undefined, undefined, error);
    throw error;
  }
}

/** create pods (blocking) and pods/attach (a note), and the namespace's Pod Security level. */
async function preflight(api: ClusterApi, namespace: string, userLabel: string, warn: (message: string) => void): Promise<PodSecurityLevel> {
  const attributes: V1ResourceAttributes[] = [
    { namespace, verb: 'create', resource: 'pods' },
    { namespace, verb: 'create', resource: 'pods', subresource: 'attach' },
  ];
  const [allowed, namespaceObject] = await Promise.all([
    api.canI(attributes).catch(() => attributes.map(() => true)), // unknown: let the server decide
    api.readNamespace(namespace).catch((error: unknown) => (error instanceof ClusterError && error.code === 404 ? null : undefined)),
  ]);
  if (namespaceObject === null) throw new DebugFlowError('not-found', `Namespace ${namespace} does not exist: pick another namespace for the node debug pod`);
  if (allowed[0] !== true) throw new DebugFlowError('forbidden', `${rbacDeniedMessage('create', 'pods', namespace, userLabel)} (to create the node debug pod)`);
  if (allowed[1] !== true) warn(`${rbacDeniedMessage('create', 'pods/attach', namespace, userLabel)} (to open a terminal on the node debug pod); the pod is still created`);
  if (namespaceObject === undefined) {
    warn(`Pod Security level of namespace ${namespace} unknown (it could not be read): the API server decides`);
    return 'privileged';
  }
  return podSecurityLevelFromNamespaceLabels(namespaceObject.metadata?.labels);
}

const podSecurityPattern = /violates PodSecurity "([a-z]+):[^"]*"/;

/** A createPod failure as one line: Pod Security, RBAC, invalid spec, a name clash. */
export function explainCreateNodePodError(error: unknown, built: NodeDebugPodResult, userLabel: string): DebugFlowError {
  const { podName, namespace } = built;
  if (!(error instanceof ClusterError)) {
    return error instanceof DebugFlowError ? error : new DebugFlowError('unknown', `Creating node debug pod ${podName} failed: ${error instanceof Error ? error.message : String(error)}`, undefined, undefined, error);
  }
  const status = error.status;
  const serverMessage = status?.message ?? error.message;
  if (error.code === 0) return new DebugFlowError('connection-lost', error.message, status, undefined, error);
  if (error.code === 409) return new DebugFlowError('name-clash', `A pod named ${podName} already exists in namespace ${namespace}: run Debug Node again (a new name is drawn)`, status, undefined, error);
  if (error.code === 404) return new DebugFlowError('not-found', `Namespace ${namespace} does not exist: pick another namespace for the node debug pod`, status, undefined, error);
  if (error.code === 403) {
    const level = podSecurityPattern.exec(serverMessage)?.[1];
    if (level !== undefined) {
      const what = serverMessage.replace(/^.*?violates PodSecurity "[^"]*":\s*/, '');
      return new DebugFlowError(
        'pod-security',
        `Pod Security "${level}" in namespace ${namespace} rejected node debug pod ${podName} (${what}); create it in a namespace whose pod-security.kubernetes.io/enforce label is privileged, or use profile baseline or restricted (no host access)`,
        status,
        [serverMessage],
        error,
      );
    }
    const user = /User "([^"]*)"/.exec(serverMessage)?.[1];
    return new DebugFlowError('forbidden', rbacDeniedMessage('create', 'pods', namespace, user !== undefined ? `user ${user}` : userLabel), status, undefined, error);
  }
  if (error.code === 422) {
    const causes = (status?.details?.causes ?? []).map((c) => [c.field, c.message].filter(Boolean).join(': '));
    return new DebugFlowError('invalid', `The API server rejected node debug pod ${podName}: ${causes.join('; ') || serverMessage}`, status, causes, error);
  }
  return new DebugFlowError('unknown', `Creating node debug pod ${podName} failed: ${error.message}`, status, undefined, error);
}
