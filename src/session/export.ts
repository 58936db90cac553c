/**
 * Exporting one session for a ticket or an incident review: its record as session.json plus its artifact
 * files, as a folder or a zip. Both appear only when complete (built under a temporary name, then renamed).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { artifactNameProblem } from './artifacts';
import type { SessionJournal } from './journal';
import type { SessionSummary } from './types';
import { ZipWriter } from './zipWriter';

export const SESSION_RECORD_FILE = 'session.json';
export const ARTIFACTS_FOLDER = 'artifacts';
export const EXPORT_FORMAT = 'kubernetes-ephemeral-debug.session/v1';

export interface SessionExport {
  /** The folder or zip written. */
  readonly path: string;
  /** Paths inside the export, session.json first. */
  readonly entries: readonly string[];
  /** Artifacts in the record whose file is gone (deleted by hand) or whose name is unsafe; listed, not copied. */
  readonly missing: readonly string[];
}

/**
 * Writes `destDir/session.json` and `destDir/artifacts/<file>`. `destDir` must not exist or be empty;
 * it is never merged into.
 */
export async function exportSessionFolder(journal: SessionJournal, id: string, destDir: string): Promise<SessionExport> {
  const session = await requireSession(journal, id);
  const { present, missing } = await presentArtifacts(session);
  const staging = join(dirname(destDir), `.${basename(destDir)}.${randomBytes(6).toString('hex')}.partial`);
  const entries = [SESSION_RECORD_FILE];
  try {
    await mkdir(join(staging, ARTIFACTS_FOLDER), { recursive: true });
    await writeRecord(join(staging, SESSION_RECORD_FILE), session, missing);
    for (const name of present) {
      await copyFile(join(session.folder, name), join(staging, ARTIFACTS_FOLDER, name));
      entries.push(`${ARTIFACTS_FOLDER}/${name}`);
    }
    await rename(staging, destDir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOTEMPTY' || error.code === 'EEXIST' || error.code === 'ENOTDIR') {
        throw new Error(`Cannot export session ${id} to ${destDir}: it already exists and is not an empty folder. Choose a new folder.`);
      }
      throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { path: destDir, entries, missing };
}

/**
 * Writes a zip whose entries are `<id>/session.json` and `<id>/artifacts/<file>`, so unpacking makes one
 * folder. An existing `destFile` is replaced (callers confirm that in their save dialog).
 */
export async function exportSessionZip(journal: SessionJournal, id: string, destFile: string): Promise<SessionExport> {
  const session = await requireSession(journal, id);
  const { present, missing } = await presentArtifacts(session);
  const tmpPath = join(dirname(destFile), `.${basename(destFile)}.${randomBytes(6).toString('hex')}.partial`);
  const entries: string[] = [];
  const handle = await open(tmpPath, 'wx', 0o600);
  try {
    const zip = new ZipWriter(handle);
    const recordEntry = `${id}/${SESSION_RECORD_FILE}`;
    await zip.addEntry(recordEntry, Buffer.from(recordText(session, missing), 'utf8'));
    entries.push(recordEntry);
    for (const name of present) {
      const path = join(session.folder, name);
      const { mtime } = await stat(path);
      const entry = `${id}/${ARTIFACTS_FOLDER}/${name}`;
      await zip.addEntry(entry, createReadStream(path), mtime);
      entries.push(entry);
    }
    await zip.finish();
    await handle.sync();
    await handle.close();
    await rename(tmpPath, destFile);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(tmpPath, { force: true });
    throw error;
  }
  return { path: destFile, entries, missing };
}

/** The record as exported: the summary without the local folder path, which means nothing elsewhere. */
export function exportedRecord(session: SessionSummary, missing: readonly string[] = []): object {
  const { folder: _folder, ...record } = session;
  return { format: EXPORT_FORMAT, ...record, ...(missing.length ? { missingArtifacts: missing } : {}) };
}

async function requireSession(journal: SessionJournal, id: string): Promise<SessionSummary> {
  const session = await journal.get(id);
  if (!session) throw new Error(`Cannot export session ${id}: it is not in the journal (removed by retention?). Refresh the session list.`);
  return session;
}

async function presentArtifacts(session: SessionSummary): Promise<{ present: string[]; missing: string[] }> {
  const present: string[] = [];
  const missing: string[] = [];
  for (const { fileName } of session.artifacts) {
    // Names come from a file anyone can edit: never let one reach outside the session folder.
    const exists = artifactNameProblem(fileName) === undefined
      && await stat(join(session.folder, fileName)).then((s) => s.isFile(), () => false);
    (exists ? present : missing).push(fileName);
  }
  return { present, missing };
}

function recordText(session: SessionSummary, missing: readonly string[]): string {
  return `${JSON.stringify(exportedRecord(session, missing), null, 2)}\n`;
}

async function writeRecord(path: string, session: SessionSummary, missing: readonly string[]): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(recordText(session, missing), 'utf8');
  } finally {
    await handle.close();
  }
}
