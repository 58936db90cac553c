/** Runs a short, non-interactive command through `api.exec` and collects its output and exit code. */
import { Writable, type Readable } from 'node:stream';
import type { V1Status } from '@kubernetes/client-node';
import type { ClusterApi } from '../cluster/clusterApi';
import { closeOnAbort } from '../cluster/closeOnAbort';

export interface CapturedExec {
  readonly stdout: string;
  readonly stderr: string;
  /** 0 on Success; the ExitCode cause otherwise; undefined when the stream ended without a Status. */
  readonly exitCode: number | undefined;
  readonly status: V1Status | undefined;
}

class TextSink extends Writable {
  private readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(chunk);
    callback();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export async function execCapture(api: ClusterApi, namespace: string, pod: string, container: string, command: readonly string[], signal?: AbortSignal, stdin?: Readable): Promise<CapturedExec> {
  const stdout = new TextSink();
  const stderr = new TextSink();
  const connection = await api.exec(namespace, pod, container, command, { stdout, stderr, stdin: stdin ?? null, tty: false });
  const stopListening = closeOnAbort(connection, signal);
  try {
    const status = await connection.closed;
    const cause = status?.details?.causes?.find((c) => c.reason === 'ExitCode');
    const exitCode = status === undefined ? undefined : status.status === 'Success' ? 0 : cause?.message !== undefined ? Number(cause.message) : undefined;
    return { stdout: stdout.text(), stderr: stderr.text(), exitCode, status };
  } finally {
    stopListening();
  }
}
