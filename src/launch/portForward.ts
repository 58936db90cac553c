/**
 * Port-forwarding over the API (pods/portforward), vscode-free: a local TCP server on 127.0.0.1 whose every
 * accepted connection gets its own WebSocket through `ClusterApi.portForward` (client-node's PortForward:
 * one port, one connection per WebSocket). Both directions are ended when either side closes, `stop()`
 * closes the server and every connection, and a watch on the pod ends the forward when the pod goes away.
 */
import * as net from 'node:net';
import type { V1Pod } from '@kubernetes/client-node';
import { ClusterError, type ClusterApi, type Logger, type PortForwardStream, type WatchHandle } from '../cluster/clusterApi';

export interface PortForwardOptions {
  readonly namespace: string;
  readonly pod: string;
  readonly remotePort: number;
  /** 0 or undefined: a free port. */
  readonly localPort?: number;
  /** Default 127.0.0.1 (never all interfaces unless asked). */
  readonly localAddress?: string;
  /** Watch the pod and end when it is deleted or finished. Default true. */
  readonly watchPod?: boolean;
  readonly logger?: Logger;
}

export type PortForwardEnd =
  | { readonly reason: 'stopped' }
  /** The pod was deleted, is being deleted or finished. */
  | { readonly reason: 'pod-gone'; readonly message: string }
  | { readonly reason: 'error'; readonly message: string };

export type PortForwardErrorCode = 'port-in-use' | 'listen-failed' | 'unsupported' | 'pod-gone';

export class PortForwardError extends Error {
  constructor(readonly code: PortForwardErrorCode, message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'PortForwardError';
  }
}

type Listener<T> = (value: T) => void;

class Emitter<T> {
  private readonly listeners = new Set<Listener<T>>();
  on(listener: Listener<T>): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
  fire(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch {
        // a listener's failure must not break the forward
      }
    }
  }
}

/** A connection the forward could not carry: the kubelet's message (nothing listening, …) or the upgrade's failure. */
export interface ConnectionFailure {
  readonly message: string;
}

export class ActivePortForward {
  private readonly sockets = new Set<net.Socket>();
  private readonly streams = new Set<PortForwardStream>();
  private readonly pendingClosed = new Set<Promise<unknown>>();
  private readonly endEmitter = new Emitter<PortForwardEnd>();
  private readonly failureEmitter = new Emitter<ConnectionFailure>();
  private watch: WatchHandle | undefined;
  private endResult: PortForwardEnd | undefined;
  private resolveEnded!: (end: PortForwardEnd) => void;
  /** Settles once, when the forward ended for any reason (stop included). */
  readonly ended: Promise<PortForwardEnd>;
  /** Connections accepted so far (for status and tests). */
  accepted = 0;

  /** @internal use startPortForward */
  constructor(
    private readonly api: ClusterApi,
    private readonly server: net.Server,
    readonly namespace: string,
    readonly pod: string,
    readonly remotePort: number,
    readonly localAddress: string,
    readonly localPort: number,
    private readonly logger: Logger | undefined,
  ) {
    this.ended = new Promise((resolve) => {
      this.resolveEnded = resolve;
    });
    server.on('connection', (socket) => this.accept(socket));
  }

  /** Open local connections. */
  get connectionCount(): number {
    return this.sockets.size;
  }

  get isEnded(): boolean {
    return this.endResult !== undefined;
  }

  /** `127.0.0.1:PORT → ns/pod:PORT`. */
  get description(): string {
    return `${this.localAddress}:${this.localPort} → ${this.namespace}/${this.pod}:${this.remotePort}`;
  }

  onDidEnd(listener: Listener<PortForwardEnd>): { dispose(): void } {
    if (this.endResult !== undefined) {
      const end = this.endResult;
      queueMicrotask(() => listener(end));
      return { dispose: () => undefined };
    }
    return this.endEmitter.on(listener);
  }

  onConnectionFailure(listener: Listener<ConnectionFailure>): { dispose(): void } {
    return this.failureEmitter.on(listener);
  }

  /** Closes the server and every connection; resolves once all sockets are closed. */
  async stop(): Promise<void> {
    await this.finish({ reason: 'stopped' });
  }

  /** @internal */
  async finish(end: PortForwardEnd): Promise<void> {
    if (this.endResult === undefined) {
      this.endResult = end;
      try {
        this.logger?.info(`port-forward ${this.description} ended: ${end.reason === 'stopped' ? 'stopped' : end.message}`);
      } catch {
        // the log may already be closed (extension deactivating)
      }
      this.watch?.stop();
      this.watch = undefined;
      const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      for (const stream of this.streams) stream.close();
      for (const socket of this.sockets) socket.destroy();
      await serverClosed;
      await Promise.allSettled([...this.pendingClosed]);
      this.resolveEnded(end);
      this.endEmitter.fire(end);
    }
    await this.ended;
  }

  /** @internal */
  setWatch(watch: WatchHandle): void {
    if (this.endResult !== undefined) {
      watch.stop();
      return;
    }
    this.watch = watch;
  }

  private accept(socket: net.Socket): void {
    if (this.endResult !== undefined) {
      socket.destroy();
      return;
    }
    this.accepted++;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    // Until the WebSocket is open, hold what the client sends (client-node starts reading on open).
    socket.pause();
    socket.on('error', (error) => this.logger?.debug(`port-forward ${this.description}: local connection: ${error.message}`));
    const socketClosed = new Promise<void>((resolve) => socket.once('close', () => {
      this.sockets.delete(socket);
      resolve();
    }));
    this.pendingClosed.add(socketClosed);
    void socketClosed.then(() => this.pendingClosed.delete(socketClosed));
    const portForward = this.api.portForward?.bind(this.api);
    if (portForward === undefined) {
      socket.destroy();
      return;
    }
    portForward(this.namespace, this.pod, this.remotePort, socket).then(
      (stream) => {
        if (this.endResult !== undefined) {
          stream.close();
          return;
        }
        this.streams.add(stream);
        void stream.closed.then(({ error }) => {
          this.streams.delete(stream);
          if (error !== undefined) {
            this.logger?.warn(`port-forward ${this.description}: ${error}`);
            this.failureEmitter.fire({ message: error });
          }
        });
      },
      (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        this.logger?.warn(`port-forward ${this.description}: connection failed: ${message}`);
        socket.destroy();
        this.failureEmitter.fire({ message });
        // The pod is gone: nothing more can be forwarded.
        if (error instanceof ClusterError && error.code === 404) {
          void this.finish({ reason: 'pod-gone', message: `pod ${this.namespace}/${this.pod} no longer exists: port-forward ${this.description} ended` });
        }
      },
    );
  }
}

/**
 * Listens on `localAddress:localPort` (a free port when 0) and forwards every connection to the pod's
 * `remotePort`. Throws a PortForwardError when the local port is taken or the pod is not running.
 */
export async function startPortForward(api: ClusterApi, options: PortForwardOptions): Promise<ActivePortForward> {
  if (api.portForward === undefined) {
    throw new PortForwardError('unsupported', 'this cluster connection cannot port-forward');
  }
  const { namespace, pod, remotePort } = options;
  if (!Number.isInteger(remotePort) || remotePort < 1 || remotePort > 65535) {
    throw new PortForwardError('listen-failed', `remote port ${remotePort} is not a TCP port (1-65535)`);
  }
  const localAddress = options.localAddress ?? '127.0.0.1';
  const requestedPort = options.localPort ?? 0;
  const watchPod = options.watchPod ?? true;

  let initial: V1Pod | undefined;
  if (watchPod) {
    initial = await api.readPod(namespace, pod);
    const gone = podGoneReason(initial);
    if (gone !== undefined) throw new PortForwardError('pod-gone', `cannot port-forward to ${namespace}/${pod}: ${gone}`);
  }

  const server = net.createServer({ pauseOnConnect: true });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.close();
      if (error.code === 'EADDRINUSE') {
        reject(new PortForwardError('port-in-use',
          `local port ${requestedPort} on ${localAddress} is already in use: choose another port, or leave the port empty for a free one`, error));
      } else {
        reject(new PortForwardError('listen-failed', `cannot listen on ${localAddress}:${requestedPort}: ${error.message}`, error));
      }
    };
    server.once('error', onError);
    server.listen(requestedPort, localAddress, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address();
  const localPort = typeof address === 'object' && address !== null ? address.port : requestedPort;
  const forward = new ActivePortForward(api, server, namespace, pod, remotePort, localAddress, localPort, options.logger);
  server.on('error', (error) => void forward.finish({ reason: 'error', message: `local server ${localAddress}:${localPort} failed: ${error.message}` }));
  options.logger?.info(`port-forward ${forward.description} started`);
  if (watchPod && initial !== undefined) {
    void watchForPodEnd(api, forward, initial.metadata?.resourceVersion ?? '', options.logger);
  }
  return forward;
}

/** Why the pod can no longer be forwarded to, or undefined while it can. */
export function podGoneReason(pod: V1Pod): string | undefined {
  if (pod.metadata?.deletionTimestamp !== undefined) return 'the pod is being deleted';
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return `the pod has finished (phase ${phase})`;
  return undefined;
}

/** Between reads of the pod when watching it is forbidden (RBAC allows get but not watch). */
export const POD_POLL_MS = 10_000;
/** Retry pauses after a failed watch: doubling from the first to the last. */
const WATCH_RETRY_FIRST_MS = 1_000;
const WATCH_RETRY_MAX_MS = 30_000;

/**
 * Watches one pod until it goes away (resuming after idle ends, relisting after 410 Gone). Never calls the API
 * server in a tight loop: a failed watch is retried after a pause that doubles while it keeps failing, and
 * when watch is forbidden but get is allowed the pod is read every POD_POLL_MS instead.
 */
async function watchForPodEnd(api: ClusterApi, forward: ActivePortForward, startVersion: string, logger: Logger | undefined): Promise<void> {
  const { namespace, pod } = forward;
  let resourceVersion = startVersion;
  let retryMs = 0;
  let polling = false;
  const gone = (why: string): void => {
    void forward.finish({ reason: 'pod-gone', message: `pod ${namespace}/${pod} ${why}: port-forward ${forward.description} ended` });
  };
  while (!forward.isEnded) {
    let failure: unknown;
    if (!polling) {
      try {
        let delivered = false;
        const startedAt = performance.now();
        const handle = await api.watchPods(namespace, { fieldSelector: `metadata.name=${pod}`, resourceVersion }, (type, object) => {
          delivered = true;
          resourceVersion = object.metadata?.resourceVersion ?? resourceVersion;
          if (type === 'DELETED') {
            gone('was deleted');
            return;
          }
          const reason = podGoneReason(object);
          if (reason !== undefined) gone(reason === 'the pod is being deleted' ? 'is being deleted' : reason.replace('the pod ', ''));
        });
        forward.setWatch(handle);
        await handle.done;
        // An idle end after a while is normal; one that ends at once with nothing delivered is a failure in disguise.
        retryMs = delivered || performance.now() - startedAt > WATCH_RETRY_FIRST_MS ? 0 : nextRetry(retryMs);
        if (retryMs > 0 && !(await pauseUnlessEnded(forward, retryMs))) return;
        continue;
      } catch (error) {
        failure = error;
      }
      if (forward.isEnded) return;
      if (failure instanceof ClusterError && failure.code === 403) {
        polling = true;
        logger?.info(`port-forward ${forward.description}: watching pods is forbidden (${failure.message}); reading the pod every ${POD_POLL_MS / 1000} s instead`);
      }
    }
    // 410 Gone, a failed resume or polling: read the pod again (404 means it is gone) and start over from there.
    try {
      const current = await api.readPod(namespace, pod);
      resourceVersion = current.metadata?.resourceVersion ?? '';
      const reason = podGoneReason(current);
      if (reason !== undefined) {
        gone(reason.replace('the pod ', ''));
        return;
      }
    } catch (readError) {
      if (readError instanceof ClusterError && readError.code === 404) {
        gone('was deleted');
        return;
      }
      // The API server is unreachable: keep the forward (its connections fail on their own) and retry slowly.
      logger?.debug(`port-forward ${forward.description}: pod watch failed: ${((failure ?? readError) as Error).message}`);
    }
    // After a 410 the fresh resourceVersion resumes at once, the first time; what keeps failing waits longer each time.
    const resumeNow = !polling && failure instanceof ClusterError && failure.code === 410 && retryMs === 0;
    retryMs = polling ? POD_POLL_MS : nextRetry(retryMs);
    if (!resumeNow && !(await pauseUnlessEnded(forward, retryMs))) return;
  }
}

function nextRetry(previousMs: number): number {
  return Math.min(Math.max(previousMs * 2, WATCH_RETRY_FIRST_MS), WATCH_RETRY_MAX_MS);
}

/** Waits `ms`, or less when the forward ends meanwhile; false when it ended. */
async function pauseUnlessEnded(forward: ActivePortForward, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const subscription = forward.onDidEnd(() => timer !== undefined && clearTimeout(timer));
  try {
    await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, ms))), forward.ended]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    subscription.dispose();
  }
  return !forward.isEnded;
}
