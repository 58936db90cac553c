/**
 * Contracts between the loopback cluster's parts: the API server (api/), which owns the object store
 * and every HTTP/WebSocket protocol, and the kubelet (kubelet/), which turns pods into Linux process
 * trees. Each side depends only on these interfaces, so each can be tested alone.
 */
import type { Duplex, Readable, Writable } from 'node:stream';
import type { V1Pod } from '@kubernetes/client-node';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** The one node: the API server binds every pod to it (no scheduler), the kubelet runs the pods bound to it. */
export const NODE_NAME = 'loopback';

/** The API server's pod store as the kubelet sees it (in-process, no HTTP). */
export interface PodStore {
  listPods(): V1Pod[];
  getPod(namespace: string, name: string): V1Pod | undefined;
  /**
   * Change a pod's status (and only its status): bumps resourceVersion and emits MODIFIED.
   * A no-op when the pod is gone, or when `uid` is given and the pod of that name is another one (deleted and
   * created again: the old pod's teardown must not touch its successor). `mutate` gets a copy it may change in place.
   */
  updatePodStatus(namespace: string, name: string, mutate: (pod: V1Pod) => void, uid?: string): void;
  /** Finish a deletion once the kubelet has stopped every process of the pod: emits DELETED. Same `uid` rule. */
  removePod(namespace: string, name: string, uid?: string): void;
  /** Every change to every pod, after it is stored. Returns an unsubscribe function. */
  onPodChange(listener: (type: WatchEventType, pod: V1Pod) => void): () => void;
}

/** A process started in a container (exec), or a container's main process (attach). */
export interface ContainerStreams {
  /** null when the caller did not ask for stdin. */
  stdin: Writable | null;
  stdout: Readable;
  /** null with a TTY (stderr is merged into the terminal), or when not asked for. */
  stderr: Readable | null;
  /** Set the terminal size; a no-op without a TTY. */
  resize(cols: number, rows: number): void;
}

export interface ExitStatus {
  /** 0..255; 128+N when killed by signal N. */
  exitCode: number;
}

export interface ExecProcess extends ContainerStreams {
  /** Signal the process (default SIGKILL). */
  kill(signal?: NodeJS.Signals): void;
  readonly exited: Promise<ExitStatus>;
}

export interface AttachSession extends ContainerStreams {
  /** Stop relaying; the container keeps running. */
  detach(): void;
  /** Resolves when the container's main process ends (the API server then closes the stream). */
  readonly ended: Promise<ExitStatus>;
}

export interface LogOptions {
  follow?: boolean;
  tailLines?: number;
  previous?: boolean;
  timestamps?: boolean;
  sinceSeconds?: number;
  limitBytes?: number;
}

/**
 * Thrown by the kubelet for a request it cannot serve; the API server turns it into a metav1.Status
 * with this code and message (e.g. 400 'container app is not valid for pod x', 404, 500).
 */
export class KubeletError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly reason: string = code === 404 ? 'NotFound' : code === 400 ? 'BadRequest' : 'InternalError',
  ) {
    super(message);
  }
}

/** The kubelet as the API server sees it: streaming endpoints end up here. */
export interface KubeletApi {
  exec(namespace: string, pod: string, container: string, command: string[],
    options: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }): Promise<ExecProcess>;
  attach(namespace: string, pod: string, container: string,
    options: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }): Promise<AttachSession>;
  /** A byte stream connected to 127.0.0.1:port inside the pod's network namespace. Rejects when refused. */
  portForward(namespace: string, pod: string, port: number): Promise<Duplex>;
  logs(namespace: string, pod: string, container: string, options: LogOptions): Promise<Readable>;
}

/** How containers are isolated: real Linux namespaces (root on Linux), or plain processes otherwise. */
export type IsolationMode = 'namespaces' | 'plain';
