/**
 * exec and attach after the upgrade (kubelet cri/streaming/remotecommand): relay stdin/stdout/stderr and
 * resize events, then report the outcome on the error channel and close the socket.
 */
import { finished } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import type { AttachSession, ContainerStreams, ExecProcess } from '../../contracts';
import type { ChannelConnection } from './channels';
import { internalErrorStatus, nonZeroExitStatus, successStatus, type Status } from './status';

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const ERROR = 3;
export const RESIZE = 4;

export interface RemoteCommandOptions {
  container: string;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/**
 * The API server's query conversion for booleans: absent is false, "0"/"false" (any case) are false,
 * anything else (even an empty value) is true.
 */
export function queryBool(query: URLSearchParams, name: string): boolean {
  const values = query.getAll(name);
  if (values.length === 0) return false;
  const v = values[0];
  return !(v === '0' || v.toLowerCase() === 'false');
}

/** How long output may keep flowing after the process has exited (a background child holding the pipe). */
const OUTPUT_DRAIN_GRACE_MS = 2000;

/** Parses a stream of concatenated JSON objects, as the kubelet's json.Decoder over the resize channel. */
export class ResizeDecoder {
  private buffer = '';

  constructor(private readonly onSize: (width: number, height: number) => void) {}

  push(chunk: Buffer): void {
    this.buffer += chunk.toString('utf8');
    for (;;) {
      const end = this.objectEnd();
      if (end < 0) break;
      const text = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end);
      this.deliver(text);
    }
    // A garbage stream must not grow forever.
    if (this.buffer.length > 64 * 1024) this.buffer = '';
  }

  /** Index just past the first complete top-level JSON object, or -1. */
  private objectEnd(): number {
    let depth = 0;
    let inString = false;
    let escaped = false;
    let started = false;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '{') { depth++; started = true; }
      else if (c === '}') {
        depth--;
        if (started && depth === 0) return i + 1;
      }
    }
    return -1;
  }

  private deliver(text: string): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return;
    }
    if (value === null || typeof value !== 'object') return;
    // Go's encoding/json matches field names case-insensitively; Width/Height are uint16.
    let width: unknown;
    let height: unknown;
    for (const [k, v] of Object.entries(value)) {
      if (k.toLowerCase() === 'width') width = v;
      else if (k.toLowerCase() === 'height') height = v;
    }
    const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffff;
    if ((width === undefined || ok(width)) && (height === undefined || ok(height))) {
      this.onSize(width ?? 0, height ?? 0);
    }
  }
}

/** Wires the container's streams to the channels; resolves when all requested output has been queued. */
function relay(conn: ChannelConnection, streams: ContainerStreams, opts: RemoteCommandOptions): Promise<void> {
  // kubelet: "Send an empty message to the lowest writable channel to notify the client the connection is
  // established".
  conn.send(opts.stdout ? STDOUT : opts.stderr ? STDERR : ERROR, Buffer.alloc(0));

  const stdin = opts.stdin ? streams.stdin : null;
  if (stdin) {
    // EPIPE when the process has exited without reading everything is expected, not fatal.
    stdin.on('error', () => undefined);
    conn.on(STDIN, (payload) => {
      if (stdin.writableEnded || stdin.destroyed || payload.length === 0) return;
      if (!stdin.write(payload)) {
        conn.pauseInbound();
        stdin.once('drain', () => conn.resumeInbound());
      }
    });
    conn.onChannelClose(STDIN, () => endStdin(stdin));
  }
  const resize = new ResizeDecoder((w, h) => streams.resize(w, h));
  conn.on(RESIZE, (payload) => resize.push(payload));

  const outputs: Array<Promise<void>> = [];
  const pipeTo = (source: Readable | null, wanted: boolean, channel: number): void => {
    if (!source) return;
    source.on('error', () => undefined);
    if (!wanted) {
      // Not asked for: drain it so the process never blocks on a full pipe.
      source.resume();
      return;
    }
    const sink: Writable = conn.writable(channel);
    source.pipe(sink);
    outputs.push(finished(sink).then(() => undefined, () => undefined));
  };
  pipeTo(streams.stdout, opts.stdout, STDOUT);
  // With a TTY, stderr is part of the terminal (and the kubelet drops the stderr request).
  pipeTo(opts.tty ? null : streams.stderr, opts.stderr && !opts.tty, STDERR);
  return Promise.all(outputs).then(() => undefined);
}

function endStdin(stdin: Writable): void {
  if (!stdin.writableEnded && !stdin.destroyed) stdin.end();
}

/** Output may outlive the process (a background child keeps the pipe): stop waiting after a grace period. */
function drained(output: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, OUTPUT_DRAIN_GRACE_MS);
    timer.unref();
    void output.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** v4+: JSON Status. Pre-v4: only a failure's message as text, nothing on success. */
export function writeStatus(conn: ChannelConnection, status: Status): void {
  if (conn.protocol.version >= 4) {
    conn.send(ERROR, Buffer.from(JSON.stringify(status)));
  } else if (status.status !== 'Success') {
    conn.send(ERROR, Buffer.from(status.message ?? ''));
  }
}

/** Report a failure to start the process/attach after the upgrade, as the kubelet does, and close. */
export function failAfterUpgrade(conn: ChannelConnection, message: string): void {
  writeStatus(conn, internalErrorStatus(message));
  conn.close();
}

export function serveExec(conn: ChannelConnection, proc: ExecProcess, opts: RemoteCommandOptions): void {
  const output = relay(conn, proc, opts);
  conn.onClose(() => {
    // The client went away: like the kubelet, close the process's stdin and let it run to its end
    // (its output is discarded). It is not killed.
    if (opts.stdin && proc.stdin) endStdin(proc.stdin);
  });
  void proc.exited.then(
    async ({ exitCode }) => {
      await drained(output);
      if (!conn.isOpen) return;
      writeStatus(conn, exitCode === 0 ? successStatus() : nonZeroExitStatus(opts.command, exitCode));
      conn.close();
    },
    (err: unknown) => {
      if (!conn.isOpen) return;
      failAfterUpgrade(conn, `error executing command in container: ${errorMessage(err)}`);
    },
  );
}

export function serveAttach(conn: ChannelConnection, session: AttachSession, opts: RemoteCommandOptions): void {
  const output = relay(conn, session, opts);
  let ended = false;
  conn.onClose(() => {
    if (ended) return;
    // Closing the socket is this client's stdin EOF (the kubelet closes the container's stdin only for
    // stdinOnce) and a detach; the container keeps running.
    if (opts.stdin && session.stdin) endStdin(session.stdin);
    session.detach();
  });
  void session.ended.then(
    async () => {
      await drained(output);
      ended = true;
      if (!conn.isOpen) return;
      writeStatus(conn, successStatus());
      conn.close();
    },
    (err: unknown) => {
      ended = true;
      if (!conn.isOpen) return;
      failAfterUpgrade(conn, `error attaching to container: ${errorMessage(err)}`);
    },
  );
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
