/**
 * The team archive: when a session ends, its export (the zip "Export Debug Session" makes: the journal record
 * and the artifacts) is written into one folder the team shares (`ephemeralDebug.sessions.archiveDirectory`).
 * Written under a temporary name and renamed, so readers never see half a zip; named
 * `<session id>_<kind>_<namespace>_<pod>.zip`, and the id starts with the UTC start time, so sorting the
 * folder by name sorts it by time.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../cluster/clusterApi';
import { exportSessionZip } from './export';
import type { SessionJournal } from './journal';

export interface SessionArchiverOptions {
  /** Read at each session end: undefined means no archive. */
  readonly directory: () => string | undefined;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
}

export class SessionArchiver {
  private readonly unsubscribe: () => void;
  private readonly pending = new Set<Promise<void>>();
  /** Folders already reported missing, so an unmounted share is said once, not at every session. */
  private readonly reportedMissing = new Set<string>();

  constructor(private readonly journal: SessionJournal, private readonly options: SessionArchiverOptions) {
    this.unsubscribe = journal.onDidAppend((event) => {
      if (event.type !== 'end') return;
      const directory = options.directory();
      if (directory === undefined) return;
      const work = this.archive(event.sessionId, directory);
      this.pending.add(work);
      void work.finally(() => this.pending.delete(work));
    });
  }

  /** Settles once every archive started so far is written (or has failed and been logged). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  dispose(): void {
    this.unsubscribe();
  }

  private async archive(id: string, directory: string): Promise<void> {
    try {
      const folder = await stat(directory).catch(() => undefined);
      if (!folder?.isDirectory()) {
        // Never created here: a share that is not mounted would otherwise fill a local folder of the same name.
        if (!this.reportedMissing.has(directory)) {
          this.reportedMissing.add(directory);
          this.options.logger.warn(`session archive: ${directory} is not a folder (not mounted?); sessions are not archived until it exists. Create or mount it, or clear ephemeralDebug.sessions.archiveDirectory.`);
        }
        return;
      }
      this.reportedMissing.delete(directory);
      const session = await this.journal.get(id);
      if (session === undefined) return;
      const result = await exportSessionZip(this.journal, id, join(directory, archiveFileName(session)));
      this.options.logger.info(`session ${id}: archived to ${result.path}${result.missing.length > 0 ? ` (${result.missing.length} artifact(s) missing)` : ''}`);
    } catch (error) {
      this.options.logger.warn(`session ${id}: could not archive to ${directory}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** `<id>_<kind>_<namespace>_<pod>.zip`; names from the cluster are DNS names, anything else is replaced. */
export function archiveFileName(session: { readonly id: string; readonly kind: string; readonly namespace: string; readonly pod: string }): string {
  const safe = (text: string) => text.replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 80);
  return `${safe(session.id)}_${safe(session.kind)}_${safe(session.namespace)}_${safe(session.pod)}.zip`;
}
