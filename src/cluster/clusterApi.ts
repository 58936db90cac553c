/**
 * The one facade every feature uses to talk to a cluster. Implemented over @kubernetes/client-node in
 * `client.ts`; nothing else in the extension calls client-node's API classes directly, so logging, error
 * mapping and the strategic-merge patch for ephemeral containers live in one place.
 */
import type { Duplex, Readable, Writable } from 'node:stream';
import type {
  CoreV1Event,
  EventsV1Event,
  V1Namespace,
  V1Node,
  V1Pod,
  V1ResourceAttributes,
  V1Status,
} from '@kubernetes/client-node';
import type { PolicyCheckedContainer, PolicyCheckedPod } from './policyChecked';
import type { Workload, WorkloadKind } from './workloadKinds';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface ListResult<T> {
  items: T[];
  /** The list's resourceVersion: where a watch resumes from. */
  resourceVersion: string;
  /** Set when `limit` cut the list short: pass it as `continue` for the next page (same snapshot). */
  continue?: string;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

/** One page of a list: at most `limit` items, from where `continue` (the previous page's) left off. */
export interface PageOptions extends ListOptions {
  limit?: number;
  continue?: string;
}

export interface WatchOptions extends ListOptions {
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
}

/** A running watch. `done` settles when the server or the network ends it (or `stop()` was called). */
export interface WatchHandle {
  stop(): void;
  /** Resolves when the watch ended normally or was stopped; rejects with a ClusterError (410 Gone included). */
  readonly done: Promise<void>;
}

/** A stdout stream that also carries terminal size, the shape client-node's TTY resizing looks for. */
export interface TerminalSizedWritable extends Writable {
  rows: number;
  columns: number;
}

/** An open exec or attach WebSocket. */
export interface StreamConnection {
  close(): void;
  /** Resolves with the channel-3 Status (exec), or undefined when the stream closed without one (attach). */
  readonly closed: Promise<V1Status | undefined>;
}

export interface StreamOptions {
  stdout: Writable | TerminalSizedWritable | null;
  stderr?: Writable | null;
  stdin?: Readable | null;
  tty: boolean;
}

/** One forwarded TCP connection: a WebSocket to pods/portforward carrying one local socket's bytes. */
export interface PortForwardStream {
  /** Closes the WebSocket and destroys the local socket. */
  close(): void;
  /**
   * Settles once both the WebSocket and the local socket are closed: with the kubelet's message from the
   * error channel when it sent one (e.g. nothing listens on the port), else undefined.
   */
  readonly closed: Promise<{ readonly error?: string }>;
}

/** The authenticated user as the API server sees it. */
export interface UserIdentity {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
}

export interface LogOptions {
  follow?: boolean;
  tailLines?: number;
  previous?: boolean;
  timestamps?: boolean;
}

export interface ClusterApi {
  /** The kubeconfig context this facade serves. */
  readonly contextName: string;
  /** The context's default namespace ('default' when unset). */
  readonly defaultNamespace: string;

  listNamespaces(): Promise<ListResult<V1Namespace>>;
  readNamespace(name: string): Promise<V1Namespace>;
  watchNamespaces(options: WatchOptions, onEvent: (type: WatchEventType, namespace: V1Namespace) => void): Promise<WatchHandle>;

  /** Nodes (cluster scope: RBAC `list`/`watch` on `nodes`). Optional so that older stand-ins still type-check. */
  listNodes?(): Promise<ListResult<V1Node>>;
  watchNodes?(options: WatchOptions, onEvent: (type: WatchEventType, node: V1Node) => void): Promise<WatchHandle>;

  /** All namespaces when `namespace` is undefined; one page when `limit` is set (see ListResult.continue). */
  listPods(namespace: string | undefined, options?: PageOptions): Promise<ListResult<V1Pod>>;
  readPod(namespace: string, name: string): Promise<V1Pod>;
  watchPods(namespace: string | undefined, options: WatchOptions, onEvent: (type: WatchEventType, pod: V1Pod) => void): Promise<WatchHandle>;
  /** Deployments, StatefulSets, DaemonSets, ReplicaSets or Jobs (apps/v1, batch/v1); all namespaces when undefined. */
  listWorkloads(kind: WorkloadKind, namespace: string | undefined, options?: PageOptions): Promise<ListResult<Workload>>;
  readWorkload(kind: WorkloadKind, namespace: string, name: string): Promise<Workload>;
  watchWorkloads(kind: WorkloadKind, namespace: string | undefined, options: WatchOptions, onEvent: (type: WatchEventType, workload: Workload) => void): Promise<WatchHandle>;
  /** Events (core/v1) in a namespace, e.g. `fieldSelector: involvedObject.name=web` for one pod's. */
  listEvents(namespace: string, options?: ListOptions): Promise<CoreV1Event[]>;
  /** Creates an events.k8s.io/v1 Event (a session's start or end, see src/session/clusterEvents.ts). */
  createEvent(namespace: string, event: EventsV1Event): Promise<void>;

  /**
   * Appends one ephemeral container with a strategic-merge patch on pods/ephemeralcontainers (what kubectl
   * sends; client-node would otherwise send a JSON patch). `pod` is the state the patch is computed from.
   * Only a spec the spec builder made after applying the policy is accepted (see policyChecked.ts).
   */
  addEphemeralContainer(pod: V1Pod, container: PolicyCheckedContainer): Promise<V1Pod>;

  /**
   * Creates a debug pod (a copy) that the copy builder made after applying the policy; the server's admission
   * and validation errors come back as ClusterError.
   */
  createPod(namespace: string, pod: PolicyCheckedPod): Promise<V1Pod>;
  /** Deletes a pod; `gracePeriodSeconds` as in kubectl delete --grace-period. */
  deletePod(namespace: string, name: string, options?: { gracePeriodSeconds?: number }): Promise<void>;
  /**
   * Who the server says we are (SelfSubjectReview, authentication.k8s.io/v1); undefined when the server does
   * not offer it (before 1.28) so callers fall back to the kubeconfig user.
   */
  whoAmI(): Promise<UserIdentity | undefined>;

  /** SelfSubjectAccessReview for each attribute set, in order. */
  canI(attributes: readonly V1ResourceAttributes[]): Promise<boolean[]>;

  exec(namespace: string, pod: string, container: string, command: readonly string[], streams: StreamOptions): Promise<StreamConnection>;
  attach(namespace: string, pod: string, container: string, streams: StreamOptions): Promise<StreamConnection>;
  /**
   * Forwards one connection to `port` of the pod over pods/portforward (one WebSocket per connection, as
   * client-node does). Bytes flow both ways with back-pressure; when either side ends or fails the other is
   * ended too (client-node itself never ends `socket`). Rejects with a ClusterError when the upgrade fails.
   * Optional only so that stand-ins written before it existed still type-check; client.ts implements it.
   */
  portForward?(namespace: string, pod: string, port: number, socket: Duplex): Promise<PortForwardStream>;
  /** Streams a container's log into `out`; abort to stop following. Resolves when the stream ends. */
  streamLog(namespace: string, pod: string, container: string, options: LogOptions, out: Writable, signal?: AbortSignal): Promise<void>;
  /** The whole (tail of a) log as text. */
  readLog(namespace: string, pod: string, container: string, options: LogOptions): Promise<string>;
}

/**
 * Every failure of a ClusterApi call: a one-line, actionable `message` (what failed, why, what to do),
 * plus the server's Status for "Show Details".
 */
export class ClusterError extends Error {
  constructor(
    message: string,
    /** HTTP status code; 0 when the server was not reached. */
    readonly code: number,
    /** metav1.Status reason (NotFound, Forbidden, Invalid, …), or a network reason (ECONNREFUSED, …). */
    readonly reason: string,
    /** The server's Status when it sent one. */
    readonly status?: V1Status,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'ClusterError';
  }
}

/** The sink for one line per API call (method, path, status, ms) and other diagnostics; never secrets. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}
