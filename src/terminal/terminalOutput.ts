/**
 * The stdout stream handed to `api.attach`/`api.exec` for a TTY. client-node resizes the remote terminal only
 * when stdout has `rows`, `columns` and emits 'resize' (the shape of a process.stdout TTY), sending a
 * channel-4 message each time; everything written to it is passed to `onData`.
 */
import { Writable } from 'node:stream';
import type { TerminalSizedWritable } from '../cluster/clusterApi';

export class TerminalOutput extends Writable implements TerminalSizedWritable {
  rows: number;
  columns: number;
  /** Like a TTY stream; some code checks it. */
  readonly isTTY = true;

  constructor(
    columns: number,
    rows: number,
    private readonly onData: (chunk: Buffer) => void,
  ) {
    super();
    this.columns = columns;
    this.rows = rows;
  }

  setDimensions(columns: number, rows: number): void {
    if (columns === this.columns && rows === this.rows) {
      return;
    }
    this.columns = columns;
    this.rows = rows;
    this.emit('resize');
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.onData(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    callback();
  }
}
