/**
 * Turns API server failures around adding an ephemeral container into one-line, actionable messages, keeping
 * the Status for "Show Details". Pod Security rejections are re-computed locally (podSecurity.ts) so the message
 * can say which field to change and which profile would pass, which the server's text does not.
 */
import type { V1EphemeralContainer, V1Pod, V1Status } from '@kubernetes/client-node';
import { ClusterError } from '../cluster/clusterApi';
import { DebugFlowError } from './debugFlowError';
import { checkContainerOnly, findNonCompliantEphemeralContainers, formatViolation, type PodSecurityLevel } from './podSecurity';
import { NAMED_PROFILES, PROFILE_PRIVILEGE_RANK, ephemeralSecurityContextFor, type NamedProfile } from './profiles';

export interface AddFailureContext {
  readonly namespace: string;
  readonly podName: string;
  /** The pod as it was read before the add. */
  readonly pod?: V1Pod;
  readonly container?: V1EphemeralContainer;
  /** Who is asking, for RBAC messages (e.g. `user debugger`); the context name otherwise. */
  readonly userLabel?: string;
}

const podSecurityPattern = /violates PodSecurity "([a-z]+):[^"]*"/;
const rbacPattern = /User "([^"]*)" cannot (\w+) resource "([^"]+)"/;

/** Maps anything thrown by `addEphemeralContainer` to a DebugFlowError. */
export function explainAddEphemeralContainerError(error: unknown, context: AddFailureContext): DebugFlowError {
  if (error instanceof DebugFlowError) {
    return error;
  }
  if (!(error instanceof ClusterError)) {
    const text = error instanceof Error ? error.message : String(error);
    return new DebugFlowError('unknown', `Adding the debug container to pod ${context.podName} failed: ${text}`, undefined, undefined, error);
  }
  const status = error.status;
  const serverMessage = status?.message ?? error.message;
  if (error.reason === 'AlreadyExists') {
    const name = context.container?.name ?? 'the debug container';
    return new DebugFlowError('name-clash', `Container name "${name}" is already used in pod ${context.podName}: choose another name or leave it empty for a generated one`, status, undefined, error);
  }
  if (error.code === 0) {
    // The facade already says what failed and what to do (network, credentials plugin, …).
    return new DebugFlowError(/^E[A-Z]+|^UND_ERR/.test(error.reason) ? 'connection-lost' : 'unknown', error.message, status, undefined, error);
  }
  if (error.code === 404) {
    return explainNotFound(error, status, context);
  }
  if (error.code === 403) {
    const level = podSecurityPattern.exec(serverMessage)?.[1];
    if (level !== undefined) {
      return explainPodSecurityRejection(level as PodSecurityLevel, serverMessage, status, context);
    }
    return explainForbidden(serverMessage, status, context);
  }
  if (error.code === 422) {
    return explainInvalid(status, context, error);
  }
  if (error.code === 409) {
    return new DebugFlowError('conflict', `Pod ${context.podName} changed while the debug container was being added: try again (${serverMessage})`, status, undefined, error);
  }
  return new DebugFlowError('unknown', `Adding the debug container to pod ${context.podName} failed: ${error.message}`, status, undefined, error);
}

function explainNotFound(error: ClusterError, status: V1Status | undefined, context: AddFailureContext): DebugFlowError {
  // A 404 naming no object means the subresource itself is missing (kubectl checks the same thing).
  if (!status?.details?.name) {
    return new DebugFlowError(
      'feature-disabled',
      'Ephemeral containers are disabled on this cluster (the pods/ephemeralcontainers API does not exist; it needs Kubernetes 1.25+ with the feature on): debug a copy of the pod instead',
      status,
      undefined,
      error,
    );
  }
  return new DebugFlowError('not-found', `Pod ${context.podName} no longer exists in namespace ${context.namespace}: pick the pod again`, status, undefined, error);
}

/** `You cannot patch pods/ephemeralcontainers in namespace demo (user debugger): ask for RBAC 'patch' on 'pods/ephemeralcontainers'`. */
export function rbacDeniedMessage(verb: string, resource: string, namespace: string, userLabel: string): string {
  return `You cannot ${verb} ${resource} in namespace ${namespace} (${userLabel}): ask for RBAC '${verb}' on '${resource}'`;
}

function explainForbidden(serverMessage: string, status: V1Status | undefined, context: AddFailureContext): DebugFlowError {
  const match = rbacPattern.exec(serverMessage);
  const verb = match?.[2] ?? 'patch';
  const resource = match?.[3] ?? 'pods/ephemeralcontainers';
  const userLabel = match?.[1] ? `user ${match[1]}` : (context.userLabel ?? 'current user');
  return new DebugFlowError('forbidden', rbacDeniedMessage(verb, resource, context.namespace, userLabel), status);
}

function explainInvalid(status: V1Status | undefined, context: AddFailureContext, error: ClusterError): DebugFlowError {
  const causes = status?.details?.causes ?? [];
  const duplicate = causes.find(
    (c) => (c.reason === 'FieldValueDuplicate' && (c.field ?? '').endsWith('.name')) || /may not be changed|may not be removed/.test(c.message ?? ''),
  );
  if (duplicate !== undefined) {
    const name = context.container?.name ?? 'the debug container';
    return new DebugFlowError(
      'name-clash',
      `Container name "${name}" is already used in pod ${context.podName}: choose another name or leave it empty for a generated one`,
      status,
    );
  }
  const parts = causes.map((c) => [c.field, c.message].filter(Boolean).join(': '));
  const text = parts.length > 0 ? parts.join('; ') : (status?.message ?? error.message);
  return new DebugFlowError('invalid', `The API server rejected the debug container: ${text}`, status, parts);
}

function explainPodSecurityRejection(level: PodSecurityLevel, serverMessage: string, status: V1Status | undefined, context: AddFailureContext): DebugFlowError {
  const where = `Pod Security "${level}" in namespace ${context.namespace}`;
  const { pod, container } = context;
  if (pod !== undefined) {
    const leftovers = findNonCompliantEphemeralContainers(pod, level);
    if (leftovers.length > 0) {
      return new DebugFlowError('pod-security', leftoverContainersMessage(context.podName, level, leftovers.map((l) => l.name)), status, [serverMessage]);
    }
  }
  if (pod !== undefined && container !== undefined) {
    const violations = checkContainerOnly(container, pod, level);
    if (violations.length > 0) {
      const fields = [...new Set(violations.flatMap((v) => requiredChanges(v.detail)))];
      const passing = profilePassingPodSecurity(container, pod, level);
      const fix = passing !== undefined ? `use profile "${passing}", which passes` : 'no debug profile passes it';
      return new DebugFlowError(
        'pod-security',
        `${where} rejected debug container "${container.name}" (${violations.map((v) => v.reason).join(', ')}): ${fields.join(', ') || 'make its securityContext compliant'}, or ${fix}`,
        status,
        violations.map(formatViolation),
      );
    }
  }
  return new DebugFlowError('pod-security', `${where} rejected the debug container: ${serverMessage}`, status);
}

/** What a violation's detail asks for, as edits: `set X=v`, `unset X`, `remove A from X`. */
export function requiredChanges(detail: string): string[] {
  const changes: string[] = [];
  for (const match of detail.matchAll(/must not include (.+?) in (securityContext\.[\w.]+)/g)) {
    changes.push(`remove ${match[1]} from ${match[2]}`);
  }
  for (const match of detail.matchAll(/must not set (securityContext\.[\w.]+)/g)) {
    changes.push(`unset ${match[1]}`);
  }
  for (const match of detail.matchAll(/must set (securityContext\.[\w.]+(?:=(?:\[[^\]]*\]|[^\s,;)]+))?)/g)) {
    changes.push(`set ${match[1]}`);
  }
  return changes;
}

/** The message for leftovers that make admission reject every new ephemeral container. */
export function leftoverContainersMessage(podName: string, level: PodSecurityLevel, names: readonly string[]): string {
  const list = names.map((n) => `"${n}"`).join(', ');
  return `Pod ${podName} already has ephemeral container(s) ${list} that violate Pod Security "${level}", and admission re-checks them on every add, so no new debug container can be added; ephemeral containers cannot be removed: only deleting or recreating the pod clears them`;
}

/**
 * The most privileged named profile whose securityContext passes the level, keeping the container's identity
 * (runAsUser/runAsGroup) so the answer matches what the user is trying to do.
 */
export function profilePassingPodSecurity(container: V1EphemeralContainer, pod: V1Pod, level: PodSecurityLevel): NamedProfile | undefined {
  const identity = {
    ...(container.securityContext?.runAsUser !== undefined && container.securityContext.runAsUser !== 0 ? { runAsUser: container.securityContext.runAsUser } : {}),
    ...(container.securityContext?.runAsGroup !== undefined ? { runAsGroup: container.securityContext.runAsGroup } : {}),
  };
  const candidates = NAMED_PROFILES.filter((p) => p !== 'legacy').sort((a, b) => PROFILE_PRIVILEGE_RANK[b] - PROFILE_PRIVILEGE_RANK[a]);
  return candidates.find((profile) => {
    const securityContext = { ...ephemeralSecurityContextFor(profile), ...identity };
    return checkContainerOnly({ name: container.name, securityContext }, pod, level).length === 0;
  });
}
