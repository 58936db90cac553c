/**
 * Container logs in the CRI format the real kubelet reads (/var/log/pods/.../N.log):
 *   2024-05-01T10:00:00.123456789Z stdout F a whole line
 * "P" marks a partial line (no newline yet) that the next entry continues.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import type { LogOptions } from '../contracts';

export type LogStream = 'stdout' | 'stderr';

interface Entry {
  time: string;
  stream: LogStream;
  partial: boolean;
  text: string;
}

/** RFC3339 with nanoseconds, as CRI writes it. */
function criTime(ms = Date.now()): string {
  const iso = new Date(ms).toISOString(); // ...T10:00:00.123Z
  const nanos = String(process.hrtime.bigint() % 1_000_000n).padStart(6, '0');
  return iso.replace(/\.(\d{3})Z$/, `.$1${nanos}Z`);
}

/** One container instance's log file. Writes are synchronous so a follower never misses a line. */
export class LogFile extends EventEmitter {
  private readonly pending: Record<LogStream, string> = { stdout: '', stderr: '' };
  private fd: number | undefined;
  closed = false;

  constructor(readonly path: string) {
    super();
    this.fd = fs.openSync(path, 'a');
  }

  write(stream: LogStream, chunk: Buffer | string): void {
    if (this.closed) return;
    let text = this.pending[stream] + chunk.toString('utf8');
    let nl: number;
    while ((nl = text.indexOf('\n')) >= 0) {
      this.append({ time: criTime(), stream, partial: false, text: text.slice(0, nl).replace(/\r$/, '') });
      text = text.slice(nl + 1);
    }
    // Long unterminated output is flushed as partial lines, like CRI's 16 KiB buffer.
    if (text.length >= 16384) {
      this.append({ time: criTime(), stream, partial: true, text });
      text = '';
    }
    this.pending[stream] = text;
  }

  close(): void {
    if (this.closed) return;
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.pending[stream]) this.append({ time: criTime(), stream, partial: false, text: this.pending[stream] });
      this.pending[stream] = '';
    }
    this.closed = true;
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    this.emit('close');
  }

  private append(entry: Entry): void {
    if (this.fd === undefined) return;
    fs.writeSync(this.fd, `${entry.time} ${entry.stream} ${entry.partial ? 'P' : 'F'} ${entry.text}\n`);
    this.emit('entry', entry);
  }
}

function parseLine(line: string): Entry | undefined {
  const m = /^(\S+) (stdout|stderr) ([PF]) (.*)$/.exec(line);
  return m ? { time: m[1], stream: m[2] as LogStream, partial: m[3] === 'P', text: m[4] } : undefined;
}

function render(entry: Entry, timestamps: boolean): string {
  return (timestamps ? `${entry.time} ` : '') + entry.text + (entry.partial ? '' : '\n');
}

/** What `kubectl logs` shows for one instance's file, honouring tail/since/timestamps/limitBytes/follow. */
export function readLogs(path: string, options: LogOptions, live?: LogFile): Readable {
  const out = new PassThrough();
  let entries: Entry[] = [];
  try {
    entries = fs.readFileSync(path, 'utf8').split('\n').filter(Boolean).map(parseLine).filter((e): e is Entry => !!e);
  } catch {
    entries = [];
  }
  const since = options.sinceSeconds !== undefined ? Date.now() - options.sinceSeconds * 1000 : undefined;
  const keep = (e: Entry) => since === undefined || Date.parse(e.time) >= since;
  entries = entries.filter(keep);
  if (options.tailLines !== undefined) {
    // tailLines counts whole lines: a run of partial entries plus its final one is one line.
    const lineEnds = entries.map((e, i) => (!e.partial ? i : -1)).filter((i) => i >= 0);
    const n = Math.max(0, options.tailLines);
    const firstEnd = lineEnds.length > n ? lineEnds[lineEnds.length - n - 1] + 1 : 0;
    entries = n === 0 ? [] : entries.slice(firstEnd);
  }
  let budget = options.limitBytes ?? Infinity;
  const emit = (text: string): boolean => {
    if (budget <= 0) return false;
    const buf = Buffer.from(text);
    const piece = buf.length > budget ? buf.subarray(0, budget) : buf;
    budget -= piece.length;
    out.write(piece);
    return budget > 0;
  };
  const timestamps = !!options.timestamps;
  let open = true;
  for (const e of entries) {
    if (!emit(render(e, timestamps))) {
      open = false;
      break;
    }
  }
  if (!open || !options.follow || !live || live.closed) {
    out.end();
    return out;
  }
  const onEntry = (e: Entry) => {
    if (keep(e) && !emit(render(e, timestamps))) finish();
  };
  const finish = () => {
    live.off('entry', onEntry);
    live.off('close', finish);
    out.end();
  };
  live.on('entry', onEntry);
  live.on('close', finish);
  out.on('close', () => {
    live.off('entry', onEntry);
    live.off('close', finish);
  });
  return out;
}
