/**
 * Terminal recording as asciinema v2 (.cast): a JSON header line, then one `[seconds, code, data]` line per
 * event ("o" output, "i" input, "r" resize to "COLSxROWS"). Written with synchronous appends of small
 * batches, so a window that dies mid-session leaves a valid file missing at most the last few milliseconds.
 * https://docs.asciinema.org/manual/asciicast/v2/
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { SessionRecord } from './journal';
import type { ArtifactInfo } from './types';

export const CAST_MEDIA_TYPE = 'application/x-asciicast';

/** Shown in the terminal when recording starts, so the person typing knows. */
export const RECORDING_BANNER =
  '\x1b[1;33m● This terminal is being recorded\x1b[0m (asciinema .cast, kept with the debug session\'s artifacts).\r\n';

/** The banner, saying whether keystrokes are in the recording. */
export function recordingBanner(recordInput: boolean): string {
  return RECORDING_BANNER + (recordInput
    ? '  What you type is recorded too, including anything you type at a password prompt.\r\n'
    : '  What you type is not recorded; what the terminal shows is.\r\n');
}

export interface CastRecorderOptions {
  readonly width: number;
  readonly height: number;
  readonly title?: string;
  /** The header's env.TERM; nothing else from the environment is recorded. */
  readonly term?: string;
  /** false leaves keystrokes out ("i" events). */
  readonly recordInput: boolean;
  /** Monotonic milliseconds (tests); performance.now() by default. */
  readonly clock?: () => number;
  /** Wall-clock start for the header's timestamp (tests). */
  readonly startedAt?: Date;
  /** Batch writes for this long; 0 writes every event at once. */
  readonly flushDelayMs?: number;
}

const MAX_BATCH_CHARS = 16 * 1024;

export class CastRecorder {
  private fd: number | undefined;
  private pending = '';
  private timer: NodeJS.Timeout | undefined;
  private lastTime = 0;
  private readonly start: number;
  private readonly clock: () => number;
  private readonly outputDecoder = new StringDecoder('utf8');
  private readonly inputDecoder = new StringDecoder('utf8');

  /** Creates `path` (which must not exist) and writes the header. */
  constructor(readonly path: string, private readonly options: CastRecorderOptions) {
    this.clock = options.clock ?? (() => performance.now());
    this.start = this.clock();
    this.fd = openSync(path, 'wx', 0o600);
    const header = {
      version: 2,
      width: options.width,
      height: options.height,
      timestamp: Math.floor((options.startedAt ?? new Date()).getTime() / 1000),
      ...(options.title ? { title: options.title } : {}),
      env: { TERM: options.term ?? 'xterm-256color' },
    };
    writeSync(this.fd, `${JSON.stringify(header)}\n`);
  }

  get closed(): boolean {
    return this.fd === undefined;
  }

  /** What the terminal showed. Bytes may split a UTF-8 character; it is joined with the next call's. */
  output(data: string | Uint8Array): void {
    this.event('o', typeof data === 'string' ? data : this.outputDecoder.write(Buffer.from(data)));
  }

  /** What the user typed; dropped when recordInput is false. */
  input(data: string | Uint8Array): void {
    if (!this.options.recordInput) return;
    this.event('i', typeof data === 'string' ? data : this.inputDecoder.write(Buffer.from(data)));
  }

  resize(cols: number, rows: number): void {
    this.event('r', `${cols}x${rows}`, true);
  }

  /** Writes what is pending and closes the file. Safe to call twice. */
  close(): void {
    if (this.fd === undefined) return;
    const tailOut = this.outputDecoder.end();
    if (tailOut) this.event('o', tailOut);
    const tailIn = this.inputDecoder.end();
    if (tailIn && this.options.recordInput) this.event('i', tailIn);
    this.flush();
    closeSync(this.fd);
    this.fd = undefined;
  }

  private event(code: 'o' | 'i' | 'r', data: string, force = false): void {
    if (this.fd === undefined || (data === '' && !force)) return;
    // Never backwards, even if the clock is adjusted: players expect non-decreasing times.
    const seconds = Math.max(this.lastTime, (this.clock() - this.start) / 1000);
    this.lastTime = seconds;
    this.pending += `${JSON.stringify([Number(seconds.toFixed(6)), code, data])}\n`;
    const delay = this.options.flushDelayMs ?? 50;
    if (delay <= 0 || this.pending.length >= MAX_BATCH_CHARS) {
      this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), delay);
      this.timer.unref();
    }
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.fd === undefined || this.pending === '') return;
    const data = this.pending;
    this.pending = '';
    writeSync(this.fd, data);
  }
}

export interface SessionRecordingOptions extends Omit<CastRecorderOptions, 'startedAt'> {
  /** Names the file `<name>.cast` (e.g. 'attach', 'shell'); a number is added when taken. */
  readonly name: string;
}

/** A recorder whose file is a listed artifact of the session from the start, and re-listed at close. */
export interface SessionRecording {
  readonly recorder: CastRecorder;
  readonly artifact: ArtifactInfo;
  /** Closes the recorder and records the final size. */
  close(): Promise<ArtifactInfo>;
}

export async function startSessionRecording(record: SessionRecord, options: SessionRecordingOptions): Promise<SessionRecording> {
  const fileName = await record.newArtifactName(`${options.name}.cast`);
  const recorder = new CastRecorder(record.artifactPath(fileName), options);
  const meta = {
    fileName,
    kind: 'recording' as const,
    description: `Recording of the ${options.name} terminal${options.recordInput ? ' (with input)' : ' (output only)'}`,
    mediaType: CAST_MEDIA_TYPE,
  };
  let artifact: ArtifactInfo;
  try {
    artifact = await record.registerArtifact(meta);
  } catch (error) {
    recorder.close();
    throw error;
  }
  return {
    recorder,
    artifact,
    close: async () => {
      recorder.close();
      return record.registerArtifact(meta);
    },
  };
}
