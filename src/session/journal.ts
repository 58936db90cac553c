/**
 * The session journal: `<dir>/journal.jsonl` (one JSON event per line, append-only) plus one artifact folder
 * per session under `<dir>/sessions/<id>/`. Every read goes back to the file, so sessions other windows
 * append show up, and a new instance on the same folder (a reload) sees everything.
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { checkArtifactName, uniqueName, writeFileAtomic } from './artifacts';
import { foldSessions, lastActivity } from './fold';
import { JOURNAL_FILE_NAME, appendEvent, loadJournal, rewriteJournal, terminatePartialLine } from './journalFile';
import { isValidSessionId, newSessionId } from './sessionId';
import type {
  ArtifactInfo, ArtifactInput, JournalEvent, JsonValue, SessionDetails, SessionOutcome, SessionStart, SessionSummary,
} from './types';

export interface SessionJournalOptions {
  /** Sessions last active longer ago than this are deleted with their artifacts; 0 keeps them forever. */
  readonly retentionDays: number;
  /** The clock (tests). */
  readonly now?: Date | (() => Date);
}

const DAY_MS = 24 * 60 * 60 * 1000;

export class SessionJournal {
  /** Why lines were skipped at the last read (a crash mid-write, a damaged line). */
  problems: readonly string[] = [];
  /** Ids removed by retention when the journal was opened. */
  pruned: readonly string[] = [];
  readonly journalPath: string;
  private writes: Promise<unknown> = Promise.resolve();
  private readonly clock: () => Date;
  private readonly appendListeners = new Set<(event: JournalEvent) => void>();

  private constructor(readonly dir: string, private readonly options: SessionJournalOptions) {
    this.journalPath = join(dir, JOURNAL_FILE_NAME);
    const now = options.now;
    this.clock = now === undefined ? () => new Date() : typeof now === 'function' ? now : () => now;
  }

  /** Opens (creating) the journal in `dir`, repairs a crash-cut last line and applies retention. */
  static async open(dir: string, options: SessionJournalOptions): Promise<SessionJournal> {
    await mkdir(join(dir, 'sessions'), { recursive: true, mode: 0o700 });
    const journal = new SessionJournal(dir, options);
    await journal.load();
    await terminatePartialLine(journal.journalPath);
    journal.pruned = await journal.prune();
    return journal;
  }

  sessionFolder(id: string): string {
    if (!isValidSessionId(id)) throw new Error(`"${id}" is not a session id.`);
    return join(this.dir, 'sessions', id);
  }

  /** Records the start of a session; `id` when the caller made one already (e.g. for DEBUG_SESSION_ID). */
  async start(info: SessionStart, id: string = newSessionId(this.clock())): Promise<SessionRecord> {
    const folder = this.sessionFolder(id);
    await this.append({ type: 'start', sessionId: id, at: this.at(), session: info });
    return new SessionRecord(this, id, folder);
  }

  /** A handle on a session already in the journal (e.g. to add an artifact after a reload). */
  resume(id: string): SessionRecord {
    return new SessionRecord(this, id, this.sessionFolder(id));
  }

  /** Every session's complete record, oldest first. */
  async list(): Promise<SessionSummary[]> {
    const { events } = await this.load();
    return foldSessions(events, (id) => this.sessionFolder(id));
  }

  async get(id: string): Promise<SessionSummary | undefined> {
    return (await this.list()).find((s) => s.id === id);
  }

  /**
   * Deletes sessions last active before the retention window, journal lines and artifact folders both, and
   * returns their ids. Nothing else is touched: unknown folders stay. Skipped (returns []) while another
   * window is compacting.
   */
  async prune(): Promise<string[]> {
    const days = this.options.retentionDays;
    if (!(days > 0) || !Number.isFinite(days)) return [];
    const cutoff = new Date(this.clock().getTime() - days * DAY_MS).toISOString();
    const { events } = await this.load();
    const expired = new Set([...lastActivity(events)].filter(([, at]) => at < cutoff).map(([id]) => id));
    if (expired.size === 0) return [];
    const done = await this.serialised(() => rewriteJournal(this.journalPath, (e) => !expired.has(e.sessionId)));
    if (!done) return [];
    for (const id of expired) {
      if (isValidSessionId(id)) await rm(this.sessionFolder(id), { recursive: true, force: true });
    }
    return [...expired].sort();
  }

  /**
   * Called after each event this instance wrote (not other windows' events): what announces sessions
   * elsewhere (cluster Events, the team archive) hangs here. A listener's failure is its own business.
   */
  onDidAppend(listener: (event: JournalEvent) => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  /** @internal Appends one event after the ones this instance already queued. */
  async append(event: JournalEvent): Promise<void> {
    await this.serialised(() => appendEvent(this.journalPath, event));
    for (const listener of this.appendListeners) {
      try {
        listener(event);
      } catch {
        // A listener must not turn a written journal line into a failed one.
      }
    }
  }

  /** @internal */
  at(): string {
    return this.clock().toISOString();
  }

  private serialised<T>(write: () => Promise<T>): Promise<T> {
    const result = this.writes.then(write, write);
    this.writes = result.catch(() => undefined);
    return result;
  }

  private async load(): Promise<{ events: JournalEvent[] }> {
    const loaded = await loadJournal(this.journalPath);
    this.problems = loaded.problems;
    return loaded;
  }
}

/** The handle of one running session: everything it records goes through here. */
export class SessionRecord {
  private readonly names = new Set<string>();

  /** @internal Made by SessionJournal.start. */
  constructor(private readonly journal: SessionJournal, readonly id: string, readonly folder: string) {}

  /** Details that became known later: imageID once the container runs, the securityContext sent, … */
  update(fields: SessionDetails): Promise<void> {
    return this.journal.append({ type: 'update', sessionId: this.id, at: this.journal.at(), fields });
  }

  /**
   * Something the extension did (created the ephemeral container, ran jcmd, downloaded a file). `details`
   * values under keys that look like credentials are replaced; never pass env values or tokens anyway.
   */
  action(description: string, details?: { readonly [key: string]: JsonValue }): Promise<void> {
    return this.journal.append({
      type: 'action', sessionId: this.id, at: this.journal.at(), description,
      ...(details ? { details: redact(details) as { [key: string]: JsonValue } } : {}),
    });
  }

  /**
   * Stores `content` atomically in the session folder and records it. A name already used gets a `-2`
   * suffix; the returned info has the name actually used, the size and the SHA-256.
   */
  async addArtifact(meta: ArtifactInput, content: string | Buffer | Readable): Promise<ArtifactInfo> {
    checkArtifactName(meta.fileName);
    let fileName = await this.newArtifactName(meta.fileName);
    for (;;) {
      try {
        const stored = await writeFileAtomic(this.folder, fileName, content);
        return await this.record({ ...meta, fileName }, stored);
      } catch (error) {
        // Another writer took the name between the check and the write; a stream cannot be replayed.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !(typeof content === 'string' || Buffer.isBuffer(content))) throw error;
        this.names.add(fileName);
        fileName = await this.newArtifactName(meta.fileName);
      }
    }
  }

  /**
   * Records a file written in place at `artifactPath(meta.fileName)` (a recording in progress). Call again
   * when it is complete so the recorded size is final.
   */
  async registerArtifact(meta: ArtifactInput): Promise<ArtifactInfo> {
    checkArtifactName(meta.fileName);
    const { size } = await stat(this.artifactPath(meta.fileName));
    return this.record(meta, { size });
  }

  /** Where an artifact of that name lives (whether or not it exists yet). */
  artifactPath(fileName: string): string {
    checkArtifactName(fileName);
    return join(this.folder, fileName);
  }

  /** `fileName`, or `name-2.ext`, … when taken, reserved for this record; creates the session folder. */
  async newArtifactName(fileName: string): Promise<string> {
    checkArtifactName(fileName);
    await mkdir(this.folder, { recursive: true, mode: 0o700 });
    const taken = new Set([...this.names, ...await readdir(this.folder)]);
    const name = uniqueName(fileName, taken);
    this.names.add(name);
    return name;
  }

  end(outcome: SessionOutcome): Promise<void> {
    return this.journal.append({ type: 'end', sessionId: this.id, at: this.journal.at(), outcome });
  }

  private async record(meta: ArtifactInput, stored: { size: number; sha256?: string }): Promise<ArtifactInfo> {
    const artifact: ArtifactInfo = {
      fileName: meta.fileName, kind: meta.kind, description: meta.description, mediaType: meta.mediaType,
      size: stored.size, ...(stored.sha256 ? { sha256: stored.sha256 } : {}), at: this.journal.at(),
    };
    await this.journal.append({ type: 'artifact', sessionId: this.id, at: artifact.at, artifact });
    return artifact;
  }
}

const CREDENTIAL_KEY = /token|password|passwd|secret|authorization|credential|private.?key/i;

function redact(value: JsonValue, key = ''): JsonValue {
  if (key && CREDENTIAL_KEY.test(key)) return '<redacted>';
  if (Array.isArray(value)) return value.map((v) => redact(v));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k)]));
  }
  return value;
}
