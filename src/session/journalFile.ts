/**
 * The journal file itself: JSON lines, appended by several VS Code windows at once. Each event is one
 * `write` on an O_APPEND descriptor, which Linux and macOS place atomically at the end of the file, so lines
 * from different windows never interleave. Only a crash mid-write leaves a partial line; readers skip it.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import type { JournalEvent } from './types';

export const JOURNAL_FILE_NAME = 'journal.jsonl';

export interface LoadedJournal {
  readonly events: JournalEvent[];
  /** One line each: lines that were skipped, and why. */
  readonly problems: string[];
}

/**
 * Appends one event. Holds the journal's lock while doing so: a compaction (rewriteJournal) replaces the file by
 * a rename, and a line written to the old file after the compaction's last read would be lost with it.
 */
export async function appendEvent(path: string, event: JournalEvent): Promise<void> {
  const data = Buffer.from(`${JSON.stringify(event)}\n`, 'utf8');
  const lockPath = `${path}.lock`;
  const locked = await acquireLock(lockPath, APPEND_LOCK_WAIT_MS);
  try {
    const handle = await open(path, 'a', 0o600);
    try {
      const { bytesWritten } = await handle.write(data, 0, data.length);
      if (bytesWritten !== data.length) {
        throw new Error(`Could not record the session event: only ${bytesWritten} of ${data.length} bytes reached ${path} (disk full?). Free some space and retry.`);
      }
    } finally {
      await handle.close();
    }
  } finally {
    // Without the lock (held past the wait by a window that hung) the line is still written: losing it to a
    // compaction is then possible, but less likely than losing it by not writing it.
    if (locked) await unlink(lockPath).catch(() => undefined);
  }
}

/**
 * Ends a partial last line (left by a crash) with a newline, so the next append starts a line of its own
 * instead of being glued to the fragment and lost with it.
 */
export async function terminatePartialLine(path: string): Promise<void> {
  const handle = await open(path, 'a+').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!handle) return;
  try {
    const { size } = await handle.stat();
    if (size === 0) return;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    if (last[0] !== 0x0a) await handle.write('\n');
  } finally {
    await handle.close();
  }
}

export async function loadJournal(path: string): Promise<LoadedJournal> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { events: [], problems: [] };
    throw error;
  }
  return parseJournal(text);
}

export function parseJournal(text: string): LoadedJournal {
  const events: JournalEvent[] = [];
  const problems: string[] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const event = parseEvent(line);
    if (event) {
      events.push(event);
    } else if (index === lines.length - 1) {
      problems.push(`The session journal's last line is incomplete (a window closed while writing it?); it was skipped.`);
    } else {
      problems.push(`Line ${index + 1} of the session journal is damaged; it was skipped.`);
    }
  });
  return { events, problems };
}

function parseEvent(line: string): JournalEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const e = value as Record<string, unknown>;
  if (typeof e.sessionId !== 'string' || typeof e.at !== 'string' || Number.isNaN(Date.parse(e.at))) return undefined;
  switch (e.type) {
    case 'start': return isObject(e.session) && typeof e.session.kind === 'string' ? value as JournalEvent : undefined;
    case 'update': return isObject(e.fields) ? value as JournalEvent : undefined;
    case 'action': return typeof e.description === 'string' ? value as JournalEvent : undefined;
    case 'artifact': return isObject(e.artifact) && typeof e.artifact.fileName === 'string' ? value as JournalEvent : undefined;
    case 'end': return isObject(e.outcome) ? value as JournalEvent : undefined;
    default: return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const STALE_LOCK_MS = 120_000;
/** How long an append waits for a compaction (or another window's append) to release the lock. */
const APPEND_LOCK_WAIT_MS = 5_000;
/** How long a compaction waits for appends to release the lock before leaving it for next time. */
const COMPACT_LOCK_WAIT_MS = 1_000;

/**
 * Rewrites the journal keeping only the events `keep` accepts (retention). The journal's lock file keeps
 * appends (appendEvent takes it too) and other compactions out until the rewritten file has replaced the old
 * one; lines an append left without the lock are still carried over before the rename. When the lock stays
 * held this returns false and the caller tries again next time. `beforeRename` is for tests: it runs where a
 * concurrent append used to be lost.
 */
export async function rewriteJournal(path: string, keep: (event: JournalEvent) => boolean, hooks: { readonly beforeRename?: () => Promise<void> } = {}): Promise<boolean> {
  const lockPath = `${path}.lock`;
  if (!await acquireLock(lockPath, COMPACT_LOCK_WAIT_MS)) return false;
  const tmpPath = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    let content: Buffer;
    try {
      content = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
      throw error;
    }
    let consumed = completeLinesLength(content);
    await writeFile(tmpPath, keptLines(content.subarray(0, consumed), keep), { mode: 0o600 });
    for (let attempt = 0; attempt < 20; attempt++) {
      const { size } = await stat(path);
      if (size === consumed) break;
      const tail = await readRange(path, consumed, size);
      const complete = completeLinesLength(tail);
      await writeFile(tmpPath, keptLines(tail.subarray(0, complete), keep), { flag: 'a' });
      consumed += complete;
      // A line still being written: give the writer a moment.
      if (complete < tail.length) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await hooks.beforeRename?.();
    await rename(tmpPath, path);
    return true;
  } finally {
    await unlink(tmpPath).catch(() => undefined);
    await unlink(lockPath).catch(() => undefined);
  }
}

/** Creates the lock file, waiting up to `waitMs` while another holds it; false when it stays held. */
async function acquireLock(lockPath: string, waitMs: number): Promise<boolean> {
  const giveUpAt = Date.now() + waitMs;
  for (let pause = 2; ; pause = Math.min(pause * 2, 50)) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      await handle.close();
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    // Released meanwhile: try again at once (unlinking here could remove the next holder's lock).
    const held = await stat(lockPath).catch(() => undefined);
    if (held === undefined) continue;
    // A window that crashed while holding it leaves the lock behind.
    if (Date.now() - held.mtimeMs >= STALE_LOCK_MS) {
      await unlink(lockPath).catch(() => undefined);
      continue;
    }
    if (Date.now() >= giveUpAt) return false;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/** Bytes up to and including the last newline. A partial last line at the end of the file is kept out. */
function completeLinesLength(content: Buffer): number {
  return content.lastIndexOf(0x0a) + 1;
}

function keptLines(content: Buffer, keep: (event: JournalEvent) => boolean): string {
  let out = '';
  for (const line of content.toString('utf8').split('\n')) {
    if (line.trim() === '') continue;
    const event = parseEvent(line);
    if (event && keep(event)) out += `${line}\n`;
  }
  return out;
}

async function readRange(path: string, start: number, end: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(end - start);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
