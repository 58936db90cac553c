/**
 * Sessions the cluster can see: an `events.k8s.io/v1` Event on the pod at the start and at the end of each
 * debugging session, so `kubectl get events`, `kubectl describe pod` and any event exporter show who debugged
 * what, with which image and profile, how it ended and what it collected. The human summary is the note
 * (limited to 1 KiB by the API server); the exact values are annotations, which have no such limit.
 */
import { V1MicroTime, type EventsV1Event } from '@kubernetes/client-node';
import type { SessionSummary } from './types';

export const SESSION_STARTED_REASON = 'EphemeralDebugSessionStarted';
export const SESSION_ENDED_REASON = 'EphemeralDebugSessionEnded';
/** A qualified name, as the API server requires of reportingController. */
export const REPORTING_CONTROLLER = 'ephemeral-debug.io/vscode-extension';

export const EVENT_ANNOTATION = {
  sessionId: 'ephemeral-debug.io/session-id',
  kind: 'ephemeral-debug.io/session-kind',
  user: 'ephemeral-debug.io/user',
  container: 'ephemeral-debug.io/container',
  targetContainer: 'ephemeral-debug.io/target-container',
  image: 'ephemeral-debug.io/image',
  imageID: 'ephemeral-debug.io/image-id',
  profile: 'ephemeral-debug.io/profile',
  outcome: 'ephemeral-debug.io/outcome',
  /** JSON: [{ "name": …, "sha256": …, "size": … }, …] */
  artifacts: 'ephemeral-debug.io/artifacts',
} as const;

/** The API server's limits (k8s.io/kubernetes pkg/apis/core/validation/events.go). */
const NOTE_LIMIT_BYTES = 1024;
const SHORT_FIELD_LIMIT = 128;

export interface SessionEventContext {
  /** Who reports: the user and machine, e.g. "alice@laptop" (≤ 128 characters). */
  readonly reportingInstance: string;
  readonly now: Date;
  /** The pod's uid when known, so the event stays with this pod and not a later one of the same name. */
  readonly podUid?: string;
}

type SessionFacts = Pick<SessionSummary, 'id' | 'kind' | 'identity' | 'namespace' | 'pod' | 'container' | 'targetContainer' | 'image' | 'imageID' | 'profile'>;

export function sessionStartedEvent(session: SessionFacts, context: SessionEventContext): EventsV1Event {
  const note = `${session.identity.username} started a ${session.kind} session ${session.id}${describeContainer(session)}.`;
  return sessionEvent(session, context, { reason: SESSION_STARTED_REASON, action: actionOf(session.kind, 'Start'), type: 'Normal', note, annotations: {} });
}

/** The end: outcome, and the artifacts' names with their SHA-256 (in the note as far as 1 KiB allows, all in the annotation). */
export function sessionEndedEvent(session: SessionFacts & Pick<SessionSummary, 'outcome' | 'artifacts'>, context: SessionEventContext): EventsV1Event {
  const status = session.outcome?.status ?? 'ended';
  const artifacts = session.artifacts.map((a) => ({ name: a.fileName, ...(a.sha256 ? { sha256: a.sha256 } : {}), size: a.size }));
  const listed = artifacts.map((a) => `${a.name}${a.sha256 ? ` sha256:${a.sha256}` : ''}`);
  let note = `${session.identity.username}'s ${session.kind} session ${session.id} ${status}${session.outcome?.message ? `: ${session.outcome.message}` : ''}.`;
  if (listed.length > 0) note += ` Artifacts: ${listed.join(', ')}.`;
  return sessionEvent(session, context, {
    reason: SESSION_ENDED_REASON, action: actionOf(session.kind, 'End'), type: status === 'failed' ? 'Warning' : 'Normal', note,
    annotations: { [EVENT_ANNOTATION.outcome]: status, ...(artifacts.length > 0 ? { [EVENT_ANNOTATION.artifacts]: JSON.stringify(artifacts) } : {}) },
  });
}

function sessionEvent(
  session: SessionFacts,
  context: SessionEventContext,
  what: { reason: string; action: string; type: 'Normal' | 'Warning'; note: string; annotations: Record<string, string> },
): EventsV1Event {
  const annotations: Record<string, string> = {
    [EVENT_ANNOTATION.sessionId]: session.id,
    [EVENT_ANNOTATION.kind]: session.kind,
    [EVENT_ANNOTATION.user]: session.identity.username,
    ...(session.container !== undefined ? { [EVENT_ANNOTATION.container]: session.container } : {}),
    ...(session.targetContainer !== undefined ? { [EVENT_ANNOTATION.targetContainer]: session.targetContainer } : {}),
    ...(session.image !== undefined ? { [EVENT_ANNOTATION.image]: session.image } : {}),
    ...(session.imageID !== undefined ? { [EVENT_ANNOTATION.imageID]: session.imageID } : {}),
    ...(session.profile !== undefined ? { [EVENT_ANNOTATION.profile]: session.profile } : {}),
    ...what.annotations,
  };
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    // Names like the kubelet's: the object, then something unique; a session has exactly one start and one end.
    metadata: { name: eventName(session.pod, session.id, what.reason === SESSION_STARTED_REASON ? 'start' : 'end'), namespace: session.namespace, annotations },
    // V1MicroTime serialises with the six fraction digits the server's MicroTime parser insists on.
    eventTime: new V1MicroTime(context.now.getTime()),
    reportingController: REPORTING_CONTROLLER,
    reportingInstance: truncate(context.reportingInstance || 'unknown', SHORT_FIELD_LIMIT),
    action: what.action,
    reason: what.reason,
    type: what.type,
    note: truncateUtf8(what.note, NOTE_LIMIT_BYTES),
    regarding: { apiVersion: 'v1', kind: 'Pod', namespace: session.namespace, name: session.pod, ...(context.podUid ? { uid: context.podUid } : {}) },
  };
}

function describeContainer(session: SessionFacts): string {
  const parts: string[] = [];
  if (session.container !== undefined) parts.push(`in ${session.container}`);
  if (session.targetContainer !== undefined) parts.push(`targeting ${session.targetContainer}`);
  if (session.image !== undefined) parts.push(`image ${session.image}`);
  if (session.profile !== undefined) parts.push(`profile ${session.profile}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** e.g. "DebugSessionStart", "DiagnosticsSessionEnd": machine-readable, as the API asks of `action`. */
function actionOf(kind: string, phase: 'Start' | 'End'): string {
  return `${kind.charAt(0).toUpperCase()}${kind.slice(1)}Session${phase}`;
}

/** A DNS subdomain of at most 253 characters: the pod's name (already one) shortened, plus the session id. */
function eventName(pod: string, sessionId: string, phase: string): string {
  const suffix = `.${sessionId.toLowerCase().replace(/[^a-z0-9-]/g, '-')}-${phase}`;
  return `${pod.slice(0, 253 - suffix.length).replace(/[.-]+$/, '')}${suffix}`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max);
}

function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let end = text.length;
  while (end > 0 && Buffer.byteLength(text.slice(0, end)) > maxBytes - 3) end--;
  return `${text.slice(0, end)}…`;
}
