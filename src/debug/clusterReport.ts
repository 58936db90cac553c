/**
 * What the cluster itself said about a container that does not start (ErrImagePull, ImagePullBackOff,
 * CreateContainerConfigError, …): the kubelet's container status and the pod's Events about that container,
 * kept as the API server returned them for "Show Details", so the user reads the kubelet's words, not ours.
 */
import type { CoreV1Event, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { ClusterApi } from '../cluster/clusterApi';

export interface ClusterReport {
  /** Where the content came from, one line (shown as a comment over it). */
  readonly source: string;
  /** Objects as the API server returned them (plain JSON values). */
  readonly content: Record<string, unknown>;
}

/** The newest events kept: a pull that backs off for minutes produces one event per reason, with a count. */
const MAX_EVENTS = 20;

/**
 * The container's status as the pod reports it, and the pod's Events whose `involvedObject.fieldPath` names the
 * container (`spec.ephemeralContainers{name}`, `spec.containers{name}`), oldest first. When the events cannot
 * be listed (RBAC, a server without them) the report says why instead of failing.
 */
export async function containerStartReport(api: ClusterApi, pod: V1Pod, status: V1ContainerStatus, statusField: string): Promise<ClusterReport> {
  const namespace = pod.metadata?.namespace ?? api.defaultNamespace;
  const podName = pod.metadata?.name ?? '';
  const content: Record<string, unknown> = { containerStatus: plain(status) };
  try {
    const events = await api.listEvents(namespace, { fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${podName}` });
    content.events = eventsAbout(events, pod, status.name).map(eventSummary);
  } catch (error) {
    content.eventsUnavailable = error instanceof Error ? error.message : String(error);
  }
  return { source: `${statusField}[${status.name}] of pod ${namespace}/${podName}, and the pod's events about container ${status.name}`, content };
}

/** Events of this pod (this uid, when both carry one) about container `name`, oldest first, the newest MAX_EVENTS. */
export function eventsAbout(events: readonly CoreV1Event[], pod: V1Pod, name: string): CoreV1Event[] {
  const uid = pod.metadata?.uid;
  const fieldPathSuffix = `{${name}}`;
  return events
    .filter((e) => (uid === undefined || e.involvedObject.uid === undefined || e.involvedObject.uid === uid) && (e.involvedObject.fieldPath ?? '').endsWith(fieldPathSuffix))
    .sort((a, b) => eventTime(a) - eventTime(b))
    .slice(-MAX_EVENTS);
}

function eventTime(event: CoreV1Event): number {
  const when = event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? event.metadata.creationTimestamp;
  return when === undefined ? 0 : new Date(when as unknown as string).getTime();
}

/** The event's own fields a reader needs (its metadata and managedFields are noise here), unchanged. */
function eventSummary(event: CoreV1Event): unknown {
  return plain({
    type: event.type,
    reason: event.reason,
    message: event.message,
    count: event.count,
    firstTimestamp: event.firstTimestamp,
    lastTimestamp: event.lastTimestamp ?? event.eventTime,
    source: event.source ?? event.reportingComponent,
    fieldPath: event.involvedObject.fieldPath,
  });
}

/** client-node objects as plain JSON: Dates as ISO 8601 text, unset fields dropped. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}
