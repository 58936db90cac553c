/**
 * The vscode-free core shared by the attach and exec terminals: keystrokes in, output out, resize, close, and
 * on end a reason plus whether Reattach makes sense. The UI wraps it in a Pseudoterminal: open → open(cols,
 * rows), handleInput → input, setDimensions → resize, close → close; output/end events → onDidWrite/onDidClose.
 */
import { PassThrough } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { V1Pod, V1Status } from '@kubernetes/client-node';
import { ClusterError, type ClusterApi, type StreamConnection } from '../cluster/clusterApi';
import { ephemeralContainerStatus } from '../debug/debugContainers';
import { TerminalOutput } from './terminalOutput';

export interface TerminalTarget {
  readonly namespace: string;
  readonly podName: string;
  readonly containerName: string;
  readonly image?: string;
  readonly profile?: string;
  readonly targetContainer?: string;
  /** What the debug container reaches (debugContainerReach), shown under the banner. */
  readonly reach?: string;
}

export type TerminalEndKind = 'exited' | 'connection-lost' | 'closed-by-user' | 'failed-to-open';

export interface TerminalEnd {
  readonly kind: TerminalEndKind;
  /** One line for the terminal and the notification. */
  readonly message: string;
  /** The process's exit code, when known. */
  readonly exitCode?: number;
  /** The container still runs, so attaching again would reach the same session. */
  readonly canReattach: boolean;
  readonly status?: V1Status;
}

export interface TerminalStreams {
  readonly output: TerminalOutput;
  readonly stdin: PassThrough;
}

export interface Disposable {
  dispose(): void;
}

type Listener<T> = (value: T) => void;

/**
 * A minimal event: `on(listener)` returns a Disposable, like vscode.Event. Values fired while nobody listens are
 * kept and delivered to the first listener, so output that arrives before the UI subscribes is not lost.
 */
export class Emitter<T> {
  private readonly listeners = new Set<Listener<T>>();
  private pending: T[] = [];
  readonly on = (listener: Listener<T>): Disposable => {
    this.listeners.add(listener);
    const backlog = this.pending;
    this.pending = [];
    backlog.forEach((value) => listener(value));
    return { dispose: () => this.listeners.delete(listener) };
  };
  fire(value: T): void {
    if (this.listeners.size === 0) {
      this.pending.push(value);
      return;
    }
    for (const listener of [...this.listeners]) {
      listener(value);
    }
  }
}

/** How long to wait for the kubelet to report the container terminated after its stream closed. */
const EXIT_STATUS_GRACE_MS = 2_000;
const EXIT_STATUS_POLL_MS = 200;

export abstract class TerminalSession {
  private readonly outputEmitter = new Emitter<string>();
  private readonly endEmitter = new Emitter<TerminalEnd>();
  /** Text written to the terminal (UTF-8 decoded, sequences kept whole). */
  readonly onOutput = this.outputEmitter.on;
  /** Fires once when the session is over. */
  readonly onEnd = this.endEmitter.on;
  /** Resolves with the same value as onEnd. */
  readonly ended: Promise<TerminalEnd>;

  private resolveEnded!: (end: TerminalEnd) => void;
  private readonly decoder = new StringDecoder('utf8');
  private stdin = new PassThrough();
  private output: TerminalOutput | undefined;
  private connection: StreamConnection | undefined;
  private closedByUser = false;
  private finished = false;

  protected constructor(
    protected readonly api: ClusterApi,
    readonly target: TerminalTarget,
  ) {
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  /** The line shown before the stream (pod/container/image/profile). */
  abstract banner(): string;

  /**
   * Opens the stream with streams from `newStreams()`: a TTY-sized stdout and our stdin. Call it again for
   * another attempt: client-node ends both when a connection closes.
   */
  protected abstract connect(newStreams: () => TerminalStreams): Promise<StreamConnection>;

  /** Opens the stream. Never rejects: a failure ends the session with kind 'failed-to-open'. */
  async open(columns: number, rows: number): Promise<void> {
    this.write(`${this.banner()}\r\n`);
    const newStreams = (): TerminalStreams => {
      this.stdin.end();
      this.stdin = new PassThrough();
      this.output = new TerminalOutput(this.output?.columns ?? columns, this.output?.rows ?? rows, (chunk) => this.write(this.decoder.write(chunk)));
      return { output: this.output, stdin: this.stdin };
    };
    try {
      this.connection = await this.connect(newStreams);
    } catch (error) {
      this.finish({ kind: 'failed-to-open', message: `Could not open the terminal: ${error instanceof Error ? error.message : String(error)}`, canReattach: false, status: statusOf(error) });
      return;
    }
    if (this.closedByUser) {
      this.connection.close();
    }
    if (this.output !== undefined) {
      this.afterOpen(this.output);
    }
    this.connection.closed.then(
      (status) => this.onStreamClosed(status),
      (error: unknown) => this.onStreamClosed(undefined, error),
    );
  }

  /** Hook after the stream opened (e.g. kubectl's resize nudge). */
  protected afterOpen(_output: TerminalOutput): void {}

  /** Keystrokes as typed; control characters (Ctrl-C \x03, Ctrl-D \x04) pass through unchanged. */
  input(data: string): void {
    if (!this.finished) {
      this.stdin.write(data);
    }
  }

  resize(columns: number, rows: number): void {
    this.output?.setDimensions(columns, rows);
  }

  /** Closes the socket; the remote process keeps running (send "exit" or Ctrl-D to end it). */
  close(): void {
    this.closedByUser = true;
    this.stdin.end();
    this.connection?.close();
    if (this.connection === undefined && this.output === undefined) {
      this.finish({ kind: 'closed-by-user', message: 'Closed before it opened', canReattach: false });
    }
  }

  protected write(text: string): void {
    if (text.length > 0) {
      this.outputEmitter.fire(text);
    }
  }

  private async onStreamClosed(status: V1Status | undefined, error?: unknown): Promise<void> {
    const rest = this.decoder.end();
    this.write(rest);
    this.finish(await this.describeEnd(status, error, this.closedByUser));
  }

  /** Why the stream ended, from the Status (exec) or the container's state (attach). */
  protected async describeEnd(status: V1Status | undefined, error: unknown, closedByUser: boolean): Promise<TerminalEnd> {
    const exitCode = exitCodeOf(status);
    const state = await this.settledContainerState(closedByUser || exitCode !== undefined);
    const running = state === 'running';
    if (closedByUser) {
      return { kind: 'closed-by-user', message: running ? 'Closed; the debug container keeps running: Reattach to continue' : 'Closed', canReattach: running, status };
    }
    if (exitCode !== undefined) {
      return { kind: 'exited', message: `Exited with code ${exitCode}`, exitCode, canReattach: running, status };
    }
    if (typeof state === 'object') {
      return { kind: 'exited', message: `Container ${this.target.containerName} exited with code ${state.exitCode}${state.reason ? ` (${state.reason})` : ''}`, exitCode: state.exitCode, canReattach: false, status };
    }
    if (state === 'pod-deleted') {
      return { kind: 'connection-lost', message: `The pod ${this.target.namespace}/${this.target.podName} was deleted, and its debug container with it: nothing to reattach to`, canReattach: false, status };
    }
    if (state === 'running') {
      const why = error instanceof Error ? `: ${error.message}` : '';
      return { kind: 'connection-lost', message: `Connection lost${why}; the debug container is still running: Reattach to continue`, canReattach: true, status };
    }
    return { kind: 'connection-lost', message: `Connection lost and the pod could not be read (${state}); try Reattach once the cluster is reachable`, canReattach: false, status };
  }

  /**
   * 'running', the terminated state, or why it is unknown. After a stream ends the kubelet may take a moment
   * to report the exit, so a running state is re-checked briefly unless the end is already explained.
   * 'pod-deleted' when the pod is gone (404) or being deleted.
   */
  private async settledContainerState(explained: boolean): Promise<'running' | 'pod-deleted' | { exitCode: number; reason?: string } | string> {
    const deadline = Date.now() + (explained ? 0 : EXIT_STATUS_GRACE_MS);
    for (;;) {
      let state;
      try {
        const pod = await this.api.readPod(this.target.namespace, this.target.podName);
        if (pod.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null) return 'pod-deleted';
        state = containerState(pod, this.target.containerName);
      } catch (error) {
        if (error instanceof ClusterError && error.code === 404) return 'pod-deleted';
        return error instanceof Error ? error.message : String(error);
      }
      if (state?.terminated !== undefined) {
        return { exitCode: state.terminated.exitCode, reason: state.terminated.reason };
      }
      if (Date.now() >= deadline) {
        return state?.running !== undefined ? 'running' : 'not running';
      }
      await new Promise((resolve) => setTimeout(resolve, EXIT_STATUS_POLL_MS));
    }
  }

  private finish(end: TerminalEnd): void {
    if (this.finished) {
      return;
    }
    this.finished = true;
    this.stdin.end();
    this.endEmitter.fire(end);
    this.resolveEnded(end);
  }
}

function containerState(pod: V1Pod, name: string) {
  const all = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  return (ephemeralContainerStatus(pod, name) ?? all.find((s) => s.name === name))?.state;
}

/** The exit code from an exec Status: 0 on Success, the ExitCode cause on NonZeroExitCode. */
export function exitCodeOf(status: V1Status | undefined): number | undefined {
  if (status === undefined) {
    return undefined;
  }
  if (status.status === 'Success') {
    return 0;
  }
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  return cause?.message !== undefined ? Number(cause.message) : undefined;
}

function statusOf(error: unknown): V1Status | undefined {
  return typeof error === 'object' && error !== null && 'status' in error ? ((error as { status?: V1Status }).status ?? undefined) : undefined;
}
