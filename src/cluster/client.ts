/**
 * The ClusterApi facade over @kubernetes/client-node 2.x: one KubeConfig context, every call logged as one
 * line and every failure mapped to a ClusterError (see errors.ts).
 */
import { PassThrough, Writable, type Duplex } from 'node:stream';
import WebSocket from 'ws';
import {
  AppsV1Api,
  Attach,
  AuthenticationV1Api,
  BatchV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  EventsV1Api,
  Exec,
  KubeConfig,
  Log,
  PatchStrategy,
  PortForward,
  ServerConfiguration,
  createConfiguration,
  setHeaderMiddleware,
  setHeaderOptions,
  type CoreV1Event,
  type EventsV1Event,
  type V1Namespace,
  type V1Node,
  type V1Pod,
  type V1ResourceAttributes,
  type V1Status,
} from '@kubernetes/client-node';
import { buildEphemeralContainerPatch } from '../debug/strategicPatch';
import { PolicyCheckedContainer, PolicyCheckedPod } from './policyChecked';
import {
  ClusterError,
  type ClusterApi,
  type ListOptions,
  type PageOptions,
  type ListResult,
  type LogOptions,
  type Logger,
  type PortForwardStream,
  type StreamConnection,
  type StreamOptions,
  type UserIdentity,
  type WatchEventType,
  type WatchHandle,
  type WatchOptions,
} from './clusterApi';
import { toClusterError, type CallDescription } from './errors';
import { KeptAliveAuthentication } from './keptAlive';
import { logCall, loggingHttpLibrary } from './requestLog';
import { LoggedStreamSocket, UpgradeRefused, streamConnection } from './streamSocket';
import { startWatch } from './watch';
import { WORKLOAD_RESOURCES, type Workload, type WorkloadKind } from './workloadKinds';

export interface ClusterApiOptions {
  /** The context to serve; the kubeconfig's current context when omitted. The KubeConfig is not modified. */
  context?: string;
  logger?: Logger;
}

const USER_AGENT = 'kubernetes-ephemeral-debug';

export function createClusterApi(kubeConfig: KubeConfig, options: ClusterApiOptions = {}): ClusterApi {
  return new ClientNodeClusterApi(forContext(kubeConfig, options.context), options.logger);
}

/** A private copy pinned to one context, so switching contexts elsewhere never redirects this facade. */
function forContext(source: KubeConfig, context: string | undefined): KubeConfig {
  const name = context ?? source.getCurrentContext();
  if (!name || !source.getContextObject(name)) {
    throw new ClusterError(name ? `context "${name}" is not in the kubeconfig` : 'the kubeconfig has no current context: choose one',
      0, 'NoContext');
  }
  const copy = new KubeConfig();
  copy.loadFromOptions({ clusters: source.clusters, users: source.users, contexts: source.contexts, currentContext: name });
  if (!copy.getCurrentCluster()) throw new ClusterError(`context "${name}" names a cluster that is not in the kubeconfig`, 0, 'NoCluster');
  return copy;
}

class ClientNodeClusterApi implements ClusterApi {
  readonly contextName: string;
  readonly defaultNamespace: string;
  private readonly core: CoreV1Api;
  private readonly events: EventsV1Api;
  private readonly authorization: AuthorizationV1Api;
  private readonly authentication: AuthenticationV1Api;
  private readonly apps: AppsV1Api;
  private readonly batch: BatchV1Api;
  private readonly server: string;
  private readonly execCommand?: string;

  constructor(private readonly kc: KubeConfig, private readonly logger: Logger | undefined) {
    this.contextName = kc.getCurrentContext();
    this.defaultNamespace = kc.getContextObject(this.contextName)?.namespace || 'default';
    this.server = kc.getCurrentCluster()?.server ?? '';
    this.execCommand = kc.getCurrentUser()?.exec?.command;
    const configuration = createConfiguration({
      baseServer: new ServerConfiguration(this.server, {}),
      // One kept-alive connection pool for all of this context's calls (client-node builds one per request).
      authMethods: { default: new KeptAliveAuthentication(kc) },
      httpApi: loggingHttpLibrary(logger),
      middleware: [setHeaderMiddleware('User-Agent', USER_AGENT)],
    });
    this.core = new CoreV1Api(configuration);
    this.events = new EventsV1Api(configuration);
    this.authorization = new AuthorizationV1Api(configuration);
    this.authentication = new AuthenticationV1Api(configuration);
    this.apps = new AppsV1Api(configuration);
    this.batch = new BatchV1Api(configuration);
  }

  listNamespaces(): Promise<ListResult<V1Namespace>> {
    return this.call({ verb: 'list', resource: 'namespaces' }, async () => {
      const list = await this.core.listNamespace();
      return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
    });
  }

  readNamespace(name: string): Promise<V1Namespace> {
    return this.call({ verb: 'get', resource: 'namespaces', name }, () => this.core.readNamespace({ name }));
  }

  watchNamespaces(options: WatchOptions, onEvent: (type: WatchEventType, namespace: V1Namespace) => void): Promise<WatchHandle> {
    return startWatch(this.kc, this.logger, '/api/v1/namespaces', options, this.describe({ verb: 'watch', resource: 'namespaces' }), onEvent);
  }

  listNodes(): Promise<ListResult<V1Node>> {
    return this.call({ verb: 'list', resource: 'nodes' }, async () => {
      const list = await this.core.listNode();
      return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
    });
  }

  watchNodes(options: WatchOptions, onEvent: (type: WatchEventType, node: V1Node) => void): Promise<WatchHandle> {
    return startWatch(this.kc, this.logger, '/api/v1/nodes', options, this.describe({ verb: 'watch', resource: 'nodes' }), onEvent);
  }

  listPods(namespace: string | undefined, options: PageOptions = {}): Promise<ListResult<V1Pod>> {
    return this.call({ verb: 'list', resource: 'pods', namespace }, async () => {
      const query = pageQuery(options);
      const list = namespace === undefined
        ? await this.core.listPodForAllNamespaces(query)
        : await this.core.listNamespacedPod({ namespace, ...query });
      return listResult(list);
    });
  }

  listEvents(namespace: string, options: ListOptions = {}): Promise<CoreV1Event[]> {
    return this.call({ verb: 'list', resource: 'events', namespace }, async () => (await this.core.listNamespacedEvent({ namespace, ...options })).items);
  }

  async createEvent(namespace: string, event: EventsV1Event): Promise<void> {
    await this.call({ verb: 'create', resource: 'events', namespace }, () => this.events.createNamespacedEvent({ namespace, body: event }));
  }

  readPod(namespace: string, name: string): Promise<V1Pod> {
    return this.call({ verb: 'get', resource: 'pods', namespace, name }, () => this.core.readNamespacedPod({ namespace, name }));
  }

  watchPods(namespace: string | undefined, options: WatchOptions, onEvent: (type: WatchEventType, pod: V1Pod) => void): Promise<WatchHandle> {
    const path = namespace === undefined ? '/api/v1/pods' : `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
    return startWatch(this.kc, this.logger, path, options, this.describe({ verb: 'watch', resource: 'pods', namespace }), onEvent);
  }

  listWorkloads(kind: WorkloadKind, namespace: string | undefined, options: PageOptions = {}): Promise<ListResult<Workload>> {
    return this.call({ verb: 'list', resource: workloadResource(kind), namespace }, async () => listResult(await this.listWorkloadsOf(kind, namespace, pageQuery(options))));
  }

  private listWorkloadsOf(kind: WorkloadKind, namespace: string | undefined, options: ClientPageQuery): Promise<{ items: Workload[]; metadata?: { resourceVersion?: string; _continue?: string } }> {
    const all = namespace === undefined;
    const ns = { namespace: namespace ?? '', ...options };
    switch (kind) {
      case 'Deployment': return all ? this.apps.listDeploymentForAllNamespaces(options) : this.apps.listNamespacedDeployment(ns);
      case 'StatefulSet': return all ? this.apps.listStatefulSetForAllNamespaces(options) : this.apps.listNamespacedStatefulSet(ns);
      case 'DaemonSet': return all ? this.apps.listDaemonSetForAllNamespaces(options) : this.apps.listNamespacedDaemonSet(ns);
      case 'ReplicaSet': return all ? this.apps.listReplicaSetForAllNamespaces(options) : this.apps.listNamespacedReplicaSet(ns);
      case 'Job': return all ? this.batch.listJobForAllNamespaces(options) : this.batch.listNamespacedJob(ns);
    }
  }

  readWorkload(kind: WorkloadKind, namespace: string, name: string): Promise<Workload> {
    return this.call({ verb: 'get', resource: workloadResource(kind), namespace, name }, (): Promise<Workload> => {
      switch (kind) {
        case 'Deployment': return this.apps.readNamespacedDeployment({ namespace, name });
        case 'StatefulSet': return this.apps.readNamespacedStatefulSet({ namespace, name });
        case 'DaemonSet': return this.apps.readNamespacedDaemonSet({ namespace, name });
        case 'ReplicaSet': return this.apps.readNamespacedReplicaSet({ namespace, name });
        case 'Job': return this.batch.readNamespacedJob({ namespace, name });
      }
    });
  }

  watchWorkloads(kind: WorkloadKind, namespace: string | undefined, options: WatchOptions, onEvent: (type: WatchEventType, workload: Workload) => void): Promise<WatchHandle> {
    const { group, resource } = WORKLOAD_RESOURCES[kind];
    const path = namespace === undefined ? `/apis/${group}/v1/${resource}` : `/apis/${group}/v1/namespaces/${encodeURIComponent(namespace)}/${resource}`;
    return startWatch(this.kc, this.logger, path, options, this.describe({ verb: 'watch', resource: workloadResource(kind), namespace }), onEvent);
  }

  addEphemeralContainer(pod: V1Pod, checked: PolicyCheckedContainer): Promise<V1Pod> {
    const namespace = pod.metadata?.namespace ?? this.defaultNamespace;
    const name = pod.metadata?.name ?? '';
    if (!PolicyCheckedContainer.isChecked(checked)) {
      return Promise.reject(new ClusterError('refused to add a debug container that the spec builder did not check against the policy: build it with buildDebugContainer', 0, 'PolicyNotApplied'));
    }
    let body: ReturnType<typeof buildEphemeralContainerPatch>;
    try {
      body = buildEphemeralContainerPatch(pod, checked.container);
    } catch (error) {
      return Promise.reject(new ClusterError(`${(error as Error).message}: choose another name`, 0, 'AlreadyExists', undefined, error));
    }
    return this.call({ verb: 'patch', resource: 'pods/ephemeralcontainers', namespace, name }, () => {
      // Without the override client-node sends application/json-patch+json, which this body is not.
      return this.core.patchNamespacedPodEphemeralcontainers({ name, namespace, body },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));
    });
  }

  createPod(namespace: string, checked: PolicyCheckedPod): Promise<V1Pod> {
    if (!PolicyCheckedPod.isChecked(checked)) {
      return Promise.reject(new ClusterError('refused to create a debug pod that the copy builder did not check against the policy: build it with buildPodCopy', 0, 'PolicyNotApplied'));
    }
    const pod = checked.pod;
    return this.call({ verb: 'create', resource: 'pods', namespace, name: pod.metadata?.name ?? pod.metadata?.generateName }, () =>
      this.core.createNamespacedPod({ namespace, body: structuredClone(pod) }));
  }

  async deletePod(namespace: string, name: string, options: { gracePeriodSeconds?: number } = {}): Promise<void> {
    await this.call({ verb: 'delete', resource: 'pods', namespace, name }, () =>
      this.core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: options.gracePeriodSeconds }));
  }

  async whoAmI(): Promise<UserIdentity | undefined> {
    try {
      const review = await this.call({ verb: 'create', resource: 'selfsubjectreviews.authentication.k8s.io' }, () =>
        this.authentication.createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } }));
      const info = review.status?.userInfo;
      if (!info?.username) return undefined;
      return { username: info.username, uid: info.uid || undefined, groups: info.groups ?? [] };
    } catch (error) {
      // 404: the API (GA in 1.28) is not served; anything else is a real failure.
      if (error instanceof ClusterError && error.code === 404) return undefined;
      throw error;
    }
  }

  async canI(attributes: readonly V1ResourceAttributes[]): Promise<boolean[]> {
    return Promise.all(attributes.map((resourceAttributes) =>
      this.call({ verb: 'create', resource: 'selfsubjectaccessreviews.authorization.k8s.io' }, async () => {
        const review = await this.authorization.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes } } });
        return review.status?.allowed === true;
      })));
  }

  exec(namespace: string, pod: string, container: string, command: readonly string[], streams: StreamOptions): Promise<StreamConnection> {
    return this.call({ verb: 'create', resource: 'pods/exec', namespace, name: pod }, async () => {
      let onStatus!: (status: V1Status) => void;
      const status = new Promise<V1Status>((resolve) => { onStatus = resolve; });
      const socket = await new Exec(this.kc, this.socketFor(streams)).exec(namespace, pod, container, [...command],
        streams.stdout, streams.stderr ?? null, streams.stdin ?? null, streams.tty, onStatus);
      return streamConnection(socket, status);
    });
  }

  attach(namespace: string, pod: string, container: string, streams: StreamOptions): Promise<StreamConnection> {
    return this.call({ verb: 'create', resource: 'pods/attach', namespace, name: pod }, async () => {
      const socket = await new Attach(this.kc, this.socketFor(streams)).attach(namespace, pod, container,
        streams.stdout, streams.stderr ?? null, streams.stdin ?? null, streams.tty);
      return streamConnection(socket);
    });
  }

  portForward(namespace: string, pod: string, port: number, socket: Duplex): Promise<PortForwardStream> {
    return this.call({ verb: 'create', resource: 'pods/portforward', namespace, name: pod }, async () => {
      const errorChunks: Buffer[] = [];
      const errorSink = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          errorChunks.push(chunk);
          callback();
        },
      });
      const open: { ws?: WebSocket } = {};
      // client-node writes every message into `output` ignoring back-pressure: relay to the socket at once
      // and pause the WebSocket while the socket's buffer is full.
      const output = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          if (!socket.destroyed && !socket.write(chunk) && open.ws !== undefined) {
            const paused = open.ws;
            paused.pause();
            socket.once('drain', () => paused.resume());
          }
          callback();
        },
      });
      socket.on('error', (error) => this.logger?.debug(`port-forward ${namespace}/${pod}:${port}: local socket: ${error.message}`));
      open.ws = await new PortForward(this.kc, true, new LoggedStreamSocket(this.kc, this.logger, {}, true))
        .portForward(namespace, pod, [port], output, errorSink, socket) as unknown as WebSocket;
      return forwardedConnection(open.ws, socket, errorChunks);
    });
  }

  /** Does not end `out`: the caller owns it (a terminal may print "log ended" after). */
  async streamLog(namespace: string, pod: string, container: string, options: LogOptions, out: Writable, signal?: AbortSignal): Promise<void> {
    const call = this.describe({ verb: 'get', resource: 'pods/log', namespace, name: pod });
    const startedAt = performance.now();
    const url = `${this.server}/api/v1/namespaces/${namespace}/pods/${pod}/log`;
    const relay = new PassThrough();
    relay.pipe(out, { end: false });
    // client-node pipes the response into `relay` without an error listener, so aborting (our only way
    // to stop following) would be an uncaught AbortError: catch it on the source as it is piped in.
    relay.on('pipe', (source: NodeJS.ReadableStream) => source.on('error', (error: unknown) => relay.destroy(error as Error)));
    let controller: AbortController;
    try {
      controller = await new Log(this.kc).log(namespace, pod, container, relay, { ...options });
    } catch {
      // client-node's Log drops the Status (and turns network errors into a fake 500): ask again with a
      // plain read, which reports the real cause, and fail with that.
      logCall(this.logger, 'GET', url, 'error', startedAt, ' (log stream)');
      await this.readLog(namespace, pod, container, { ...options, follow: false, tailLines: 1 });
      throw new ClusterError(`cannot stream the log of ${namespace}/${pod} container ${container}`, 0, 'Unknown');
    }
    logCall(this.logger, 'GET', url, '200', startedAt, ' (log stream)');
    await new Promise<void>((resolve, reject) => {
      const stop = () => {
        controller.abort();
        relay.unpipe(out);
        resolve();
      };
      if (signal?.aborted) return stop();
      signal?.addEventListener('abort', stop, { once: true });
      relay.on('end', () => resolve());
      relay.on('error', (error) => (signal?.aborted ? resolve() : reject(toClusterError(error, call))));
    });
  }

  readLog(namespace: string, pod: string, container: string, options: LogOptions): Promise<string> {
    return this.call({ verb: 'get', resource: 'pods/log', namespace, name: pod }, () =>
      this.core.readNamespacedPodLog({ namespace, name: pod, container, follow: false, tailLines: options.tailLines,
        previous: options.previous, timestamps: options.timestamps }));
  }

  private socketFor(streams: StreamOptions): LoggedStreamSocket {
    return new LoggedStreamSocket(this.kc, this.logger, { stdout: streams.stdout, stderr: streams.stderr });
  }

  private describe(call: Pick<CallDescription, 'verb' | 'resource' | 'namespace' | 'name'>): CallDescription {
    return { ...call, server: this.server, contextName: this.contextName, execCommand: this.execCommand };
  }

  private async call<T>(call: Pick<CallDescription, 'verb' | 'resource' | 'namespace' | 'name'>, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toClusterError(error instanceof UpgradeRefused ? { code: error.code, body: error.body } : error, this.describe(call));
    }
  }
}

/** `deployments.apps`, `jobs.batch`: how RBAC and error messages name the resource. */
function workloadResource(kind: WorkloadKind): string {
  const { group, resource } = WORKLOAD_RESOURCES[kind];
  return `${resource}.${group}`;
}

/** Above this many bytes queued on the WebSocket, the local socket is paused until it drains. */
const WS_HIGH_WATER = 1024 * 1024;
const WS_DRAIN_POLL_MS = 2;
/** After the pod's side ended and the local socket flushed, how long its peer gets to close before we destroy it. */
const LOCAL_LINGER_MS = 2000;

/** Ties one port-forward WebSocket to its local socket: each side's end or failure ends the other. */
function forwardedConnection(ws: WebSocket, socket: Duplex, errorChunks: Buffer[]): PortForwardStream {
  // client-node sends each chunk at once; hold the socket while the WebSocket's own buffer is full (ws has
  // no drain event, so poll its bufferedAmount while paused).
  let waiting = false;
  const waitForDrain = (): void => {
    if (ws.readyState !== WebSocket.OPEN || ws.bufferedAmount < WS_HIGH_WATER) {
      waiting = false;
      if (!socket.destroyed) socket.resume();
      return;
    }
    setTimeout(waitForDrain, WS_DRAIN_POLL_MS);
  };
  socket.on('data', () => {
    if (!waiting && ws.bufferedAmount >= WS_HIGH_WATER) {
      waiting = true;
      socket.pause();
      setTimeout(waitForDrain, WS_DRAIN_POLL_MS);
    }
  });

  const wsClosed = new Promise<void>((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) resolve();
    else ws.once('close', () => resolve());
  });
  const socketClosed = new Promise<void>((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });
  ws.on('error', () => socket.destroy());
  // The pod's side ended (or the kubelet failed): flush what came, then end the local socket.
  void wsClosed.then(() => {
    if (socket.destroyed) return;
    if (socket.writableEnded) return;
    socket.end(() => {
      const timer = setTimeout(() => socket.destroy(), LOCAL_LINGER_MS);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
    });
  });
  // The local side closed (or failed): nothing more can be delivered, close the WebSocket.
  void socketClosed.then(() => {
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
  });
  // client-node reads the socket with a 'data' listener, which does not restart a socket paused on purpose
  // (accepted with pauseOnConnect, or held until the WebSocket opened).
  if (!socket.destroyed) socket.resume();
  const closed = Promise.all([wsClosed, socketClosed]).then(() => {
    const text = Buffer.concat(errorChunks).toString('utf8').trim();
    return text ? { error: text } : {};
  });
  return {
    close: () => {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
      socket.destroy();
    },
    closed,
  };
}

/** A page request as client-node's list calls name it (`continue` is a reserved word there). */
interface ClientPageQuery {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  _continue?: string;
}

function pageQuery(options: PageOptions): ClientPageQuery {
  return {
    ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
    ...(options.fieldSelector ? { fieldSelector: options.fieldSelector } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.continue ? { _continue: options.continue } : {}),
  };
}

function listResult<T>(list: { items: T[]; metadata?: { resourceVersion?: string; _continue?: string } }): ListResult<T> {
  const next = list.metadata?._continue;
  return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '', ...(next ? { continue: next } : {}) };
}
