/**
 * One exec in the debug container with binary stdout (a callback per chunk: no accumulation here), stderr
 * collected, optional stdin, exit code from the channel-3 Status and cancellation by closing the WebSocket.
 */
import { Writable, type Readable } from 'node:stream';
import type { ClusterApi } from '../cluster/clusterApi';
import { closeOnAbort } from '../cluster/closeOnAbort';

export interface ExecOutcome {
  /** 0 on Success; the ExitCode cause; undefined when the stream ended without a Status (connection lost). */
  readonly exitCode: number | undefined;
  readonly stderr: Buffer;
  readonly reason?: string;
  readonly message?: string;
}

export interface ExecRequest {
  readonly argv: readonly string[];
  readonly onStdout?: (chunk: Buffer) => void;
  /** Called with each stderr chunk as it arrives (before the Status), e.g. to read a size header. */
  readonly onStderr?: (chunk: Buffer) => void;
  readonly stdin?: Readable;
  readonly signal?: AbortSignal;
}

class CallbackSink extends Writable {
  constructor(private readonly onChunk: (chunk: Buffer) => void) {
    super();
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      this.onChunk(chunk);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }
}

export interface ExecTarget {
  readonly api: ClusterApi;
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
}

export async function runExec(target: ExecTarget, request: ExecRequest): Promise<ExecOutcome> {
  const stderrChunks: Buffer[] = [];
  let sinkError: Error | undefined;
  const stdout = new CallbackSink((chunk) => request.onStdout?.(chunk));
  stdout.on('error', (error) => (sinkError = error));
  const stderr = new CallbackSink((chunk) => {
    stderrChunks.push(chunk);
    request.onStderr?.(chunk);
  });
  if (request.signal?.aborted) throw request.signal.reason ?? new Error('aborted');
  const connection = await target.api.exec(target.namespace, target.pod, target.container, request.argv, {
    stdout,
    stderr,
    stdin: request.stdin ?? null,
    tty: false,
  });
  const stopListening = closeOnAbort(connection, request.signal);
  try {
    const status = await connection.closed;
    if (sinkError !== undefined) throw sinkError;
    const cause = status?.details?.causes?.find((c) => c.reason === 'ExitCode');
    const exitCode = status === undefined ? undefined : status.status === 'Success' ? 0 : cause?.message !== undefined ? Number(cause.message) : -1;
    return { exitCode, stderr: Buffer.concat(stderrChunks), reason: status?.reason, message: status?.message };
  } finally {
    stopListening();
  }
}
