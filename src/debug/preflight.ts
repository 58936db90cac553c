/**
 * Checks before adding a debug container, so each "no" arrives as one line saying what is missing instead of a
 * server error halfway through: RBAC (SelfSubjectAccessReview), the pod's phase, static pods, the namespace's
 * Pod Security level and leftover ephemeral containers that Pod Security will keep rejecting.
 */
import type { V1Pod, V1ResourceAttributes } from '@kubernetes/client-node';
import { ClusterError, type ClusterApi } from '../cluster/clusterApi';
import { DebugFlowError } from './debugFlowError';
import { evaluatePodSecurity, findNonCompliantEphemeralContainers, podSecurityLevelFromNamespaceLabels, type PodSecurityLevel } from './podSecurity';
import { leftoverContainersMessage, rbacDeniedMessage } from './serverErrors';

export interface PreflightOptions {
  readonly namespace: string;
  readonly podName: string;
  /** Adds pods/ephemeralcontainers (default true). */
  readonly needsAdd?: boolean;
  /** Attaches to the debug container (default true). */
  readonly needsAttach?: boolean;
  /** Runs a command in it: Open Shell, Shell in Target Root, Stop (default false). */
  readonly needsExec?: boolean;
  /** Who is asking, for messages, e.g. `user debugger` (from the kubeconfig); defaults to the context. */
  readonly userLabel?: string;
  readonly signal?: AbortSignal;
}

export type PreflightProblemCode = 'rbac' | 'pod-not-found' | 'pod-unreadable' | 'pod-not-running' | 'static-pod' | 'pod-security-leftovers';

export interface PreflightProblem {
  readonly code: PreflightProblemCode;
  /** One line: what is missing and what to do. */
  readonly message: string;
}

export interface PreflightResult {
  /** The pod as read (undefined when it could not be read). */
  readonly pod?: V1Pod;
  /** The level the debug container must pass. */
  readonly podSecurityLevel: PodSecurityLevel;
  /** `label`: read from the namespace; `inferred`: the namespace was unreadable, so the strictest level the pod passes. */
  readonly podSecuritySource: 'label' | 'inferred';
  /** Blocking: the add would fail. Empty means go. */
  readonly problems: readonly PreflightProblem[];
  /** Not blocking, worth showing. */
  readonly notes: readonly string[];
}

const mirrorPodAnnotation = 'kubernetes.io/config.mirror';

interface Permission {
  readonly verb: string;
  readonly resource: string;
  readonly subresource: string;
}

export async function runPreflight(api: ClusterApi, options: PreflightOptions): Promise<PreflightResult> {
  const { namespace, podName } = options;
  const userLabel = options.userLabel ?? `context ${api.contextName}`;
  const permissions: Permission[] = [
    ...(options.needsAdd ?? true ? [{ verb: 'patch', resource: 'pods', subresource: 'ephemeralcontainers' }] : []),
    ...(options.needsAttach ?? true ? [{ verb: 'create', resource: 'pods', subresource: 'attach' }] : []),
    ...(options.needsExec ? [{ verb: 'create', resource: 'pods', subresource: 'exec' }] : []),
  ];
  const attributes: V1ResourceAttributes[] = permissions.map((p) => ({ namespace, verb: p.verb, resource: p.resource, subresource: p.subresource, name: podName }));

  const [podOutcome, allowed, namespaceOutcome] = await Promise.all([
    settle(api.readPod(namespace, podName)),
    attributes.length > 0 ? api.canI(attributes) : Promise.resolve([]),
    settle(api.readNamespace(namespace)),
  ]);
  if (options.signal?.aborted) {
    throw new DebugFlowError('cancelled', 'Preflight cancelled');
  }

  const problems: PreflightProblem[] = [];
  const notes: string[] = [];
  permissions.forEach((p, i) => {
    if (allowed[i] !== true) {
      problems.push({ code: 'rbac', message: rbacDeniedMessage(p.verb, `${p.resource}/${p.subresource}`, namespace, userLabel) });
    }
  });

  const pod = podOutcome.ok ? podOutcome.value : undefined;
  if (!podOutcome.ok) {
    problems.unshift(podReadProblem(podOutcome.error, namespace, podName, userLabel));
  }

  let podSecurityLevel: PodSecurityLevel;
  let podSecuritySource: PreflightResult['podSecuritySource'];
  if (namespaceOutcome.ok) {
    podSecurityLevel = podSecurityLevelFromNamespaceLabels(namespaceOutcome.value.metadata?.labels);
    podSecuritySource = 'label';
  } else {
    // Without the label, assume the strictest level the running pod itself passes: the namespace cannot
    // enforce anything stricter than what admitted the pod, and anything looser is safe to comply with.
    podSecurityLevel = pod ? strictestLevelPassedBy(pod) : 'restricted';
    podSecuritySource = 'inferred';
    const why = namespaceOutcome.error instanceof ClusterError && namespaceOutcome.error.code === 403 ? `you cannot get namespace ${namespace}` : `namespace ${namespace} could not be read`;
    notes.push(`Pod Security level unknown (${why}): assuming "${podSecurityLevel}", the strictest level the pod itself passes`);
  }

  if (pod !== undefined) {
    problems.push(...podStateProblems(pod, podName));
    if (podSecurityLevel !== 'privileged' && podSecuritySource === 'label') {
      const leftovers = findNonCompliantEphemeralContainers(pod, podSecurityLevel);
      if (leftovers.length > 0) {
        problems.push({ code: 'pod-security-leftovers', message: leftoverContainersMessage(podName, podSecurityLevel, leftovers.map((l) => l.name)) });
      }
    }
    notes.push(...targetNotes(pod));
  }
  return { pod, podSecurityLevel, podSecuritySource, problems, notes };
}

/** Throws a 'preflight' DebugFlowError carrying every problem when there is any. */
export function assertPreflightPassed(result: PreflightResult): asserts result is PreflightResult & { pod: V1Pod } {
  if (result.problems.length > 0 || result.pod === undefined) {
    const messages = result.problems.map((p) => p.message);
    throw new DebugFlowError('preflight', messages[0] ?? 'The pod could not be read', undefined, messages);
  }
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

function podReadProblem(error: unknown, namespace: string, podName: string, userLabel: string): PreflightProblem {
  if (error instanceof ClusterError && error.code === 404) {
    return { code: 'pod-not-found', message: `Pod ${podName} does not exist in namespace ${namespace}: refresh the pod list` };
  }
  if (error instanceof ClusterError && error.code === 403) {
    return { code: 'pod-unreadable', message: rbacDeniedMessage('get', 'pods', namespace, userLabel) };
  }
  return { code: 'pod-unreadable', message: `Pod ${podName} could not be read: ${error instanceof Error ? error.message : String(error)}` };
}

function podStateProblems(pod: V1Pod, podName: string): PreflightProblem[] {
  const problems: PreflightProblem[] = [];
  if (pod.metadata?.annotations?.[mirrorPodAnnotation] !== undefined) {
    problems.push({ code: 'static-pod', message: `Pod ${podName} is a static (mirror) pod, which cannot get ephemeral containers: debug the node or a copy of the pod instead` });
  }
  const phase = pod.status?.phase ?? 'Unknown';
  if (pod.metadata?.deletionTimestamp !== undefined) {
    problems.push({ code: 'pod-not-running', message: `Pod ${podName} is being deleted: pick its replacement` });
  } else if (phase === 'Succeeded' || phase === 'Failed') {
    problems.push({ code: 'pod-not-running', message: `Pod ${podName} has finished (${phase}) and finished pods cannot get ephemeral containers: debug a copy of the pod instead` });
  } else if (phase !== 'Running') {
    const reason = pod.status?.reason ?? (pod.status?.containerStatuses ?? []).map((s) => s.state?.waiting?.reason).find(Boolean);
    problems.push({ code: 'pod-not-running', message: `Pod ${podName} is ${phase}${reason ? ` (${reason})` : ''}, not Running: a debug container starts only in a running pod; wait for it or debug a copy` });
  }
  return problems;
}

function targetNotes(pod: V1Pod): string[] {
  return (pod.status?.containerStatuses ?? [])
    .filter((s) => s.state?.running === undefined)
    .map((s) => `Container ${s.name} is not running (${s.state?.waiting?.reason ?? s.state?.terminated?.reason ?? 'unknown'}): a debug container targeting it sees no processes of it`);
}

function strictestLevelPassedBy(pod: V1Pod): PodSecurityLevel {
  const withoutEphemeral: V1Pod = { ...pod, spec: pod.spec ? { ...pod.spec, ephemeralContainers: undefined } : pod.spec };
  for (const level of ['restricted', 'baseline'] as const) {
    if (evaluatePodSecurity(withoutEphemeral, level).length === 0) {
      return level;
    }
  }
  return 'privileged';
}
