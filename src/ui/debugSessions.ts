/**
 * The session audit in the editor: one journal in the extension's global storage, a session per attach, shell,
 * filesystem, debugger or copy (its id is the debug container's DEBUG_SESSION_ID), the identity the server
 * reports, terminal recordings when enabled, and "Show Debug Sessions" (artifacts, export). Journal failures
 * never block the feature they describe: they are logged and the feature goes on.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ClusterApi, Logger } from '../cluster/clusterApi';
import {
  SessionAnnouncer,
  SessionArchiver,
  SessionJournal,
  exportSessionFolder,
  exportSessionZip,
  newSessionId,
  recordingBanner,
  resolveIdentity,
  startSessionRecording,
  type ArtifactInput,
  type SessionDetails,
  type SessionIdentity,
  type SessionKind,
  type SessionRecord,
  type SessionSummary,
} from '../session';
import type { Clusters } from './clusters';
import type { ErrorPresenter } from './errorPresenter';
import type { SettingsReader } from './settings';

/** What a terminal needs to record itself (see Terminals.openSession). */
export interface TerminalRecorder {
  readonly banner: string;
  output(text: string): void;
  input(text: string): void;
  resize(columns: number, rows: number): void;
  close(): Promise<void>;
}

export interface SessionTarget extends SessionDetails {
  readonly namespace: string;
  readonly pod: string;
}

export class DebugSessions implements vscode.Disposable {
  private journalPromise: Promise<SessionJournal> | undefined;
  private announcer: SessionAnnouncer | undefined;
  private archiver: SessionArchiver | undefined;
  private readonly identities = new Map<string, Promise<SessionIdentity>>();
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly storageDir: string,
    private readonly settings: SettingsReader,
    private readonly clusters: Clusters,
    private readonly errors: ErrorPresenter,
    private readonly logger: Logger,
  ) {
    // Another kubeconfig may mean another user behind the same context name.
    this.subscription = clusters.onDidChange(() => this.identities.clear());
  }

  journal(): Promise<SessionJournal> {
    this.journalPromise ??= SessionJournal.open(join(this.storageDir, 'debug-sessions'), { retentionDays: this.settings.current.sessions.retentionDays }).then((journal) => {
      journal.problems.forEach((p) => this.logger.warn(`session journal: ${p}`));
      if (journal.pruned.length > 0) this.logger.info(`session journal: removed ${journal.pruned.length} session(s) older than ${this.settings.current.sessions.retentionDays} days`);
      this.announcer = new SessionAnnouncer(journal, {
        enabled: () => this.settings.current.sessions.clusterEvents,
        reportingInstance: hostname(),
        logger: this.logger,
      });
      this.archiver = new SessionArchiver(journal, { directory: () => this.settings.current.sessions.archiveDirectory, logger: this.logger });
      return journal;
    });
    this.journalPromise.catch(() => (this.journalPromise = undefined));
    return this.journalPromise;
  }

  /** A fresh id to put into the debug container's env before the session is journaled. */
  newId(): string {
    return newSessionId();
  }

  /** Starts a journaled session; undefined (and a log line) when the journal cannot be written. */
  async begin(kind: SessionKind, api: ClusterApi, target: SessionTarget, id?: string): Promise<SessionRecord | undefined> {
    try {
      const [journal, identity] = await Promise.all([this.journal(), this.identity(api)]);
      const sessionId = id ?? newSessionId();
      this.announcer?.track(sessionId, api);
      const record = await journal.start({ kind, identity, context: api.contextName, ...target }, sessionId);
      this.logger.info(`session ${record.id}: ${kind} on ${target.namespace}/${target.pod}${target.container !== undefined ? `/${target.container}` : ''} as ${identity.username}`);
      return record;
    } catch (error) {
      this.logger.warn(`session journal: could not record a ${kind} session on ${target.namespace}/${target.pod}: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }

  /** Best effort, like begin: a journal write that fails is logged, never thrown at the feature. */
  async note(record: SessionRecord | undefined, write: (record: SessionRecord) => Promise<unknown>): Promise<void> {
    if (record === undefined) return;
    try {
      await write(record);
    } catch (error) {
      this.logger.warn(`session ${record.id}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async addArtifact(record: SessionRecord | undefined, meta: ArtifactInput, content: string | Buffer): Promise<string | undefined> {
    if (record === undefined) return undefined;
    try {
      const info = await record.addArtifact(meta, content);
      return record.artifactPath(info.fileName);
    } catch (error) {
      this.logger.warn(`session ${record.id}: could not save artifact ${meta.fileName}: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }

  /** A recorder for an attach or shell terminal when recording is on (sessions.recordTerminals). */
  async recorder(record: SessionRecord | undefined, name: string): Promise<TerminalRecorder | undefined> {
    const { recordTerminals, recordInput } = this.settings.current.sessions;
    if (record === undefined || !recordTerminals) return undefined;
    try {
      const recording = await startSessionRecording(record, { name, width: 80, height: 24, recordInput, title: name });
      const banner = recordingBanner(recordInput);
      recording.recorder.output(banner);
      return {
        banner,
        output: (text) => recording.recorder.output(text),
        input: (text) => recording.recorder.input(text),
        resize: (columns, rows) => recording.recorder.resize(columns, rows),
        close: async () => {
          await recording.close();
        },
      };
    } catch (error) {
      this.logger.warn(`session ${record.id}: recording could not start: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }

  private identity(api: ClusterApi): Promise<SessionIdentity> {
    let identity = this.identities.get(api.contextName);
    if (identity === undefined) {
      identity = this.clusters.kubeconfig().then((state) => {
        const user = state.loaded?.kubeConfig.getContextObject(api.contextName)?.user;
        return resolveIdentity(api, user);
      });
      identity.catch(() => this.identities.delete(api.contextName));
      this.identities.set(api.contextName, identity);
    }
    return identity;
  }

  /** "Show Debug Sessions": newest first; then the session's artifacts and exports. */
  async show(): Promise<void> {
    try {
      const journal = await this.journal();
      const sessions = (await journal.list()).reverse();
      if (sessions.length === 0) {
        void vscode.window.showInformationMessage('No debug sessions recorded yet: Attach Debug Container, open a shell, the target filesystem, a debugger or a copy to start one.');
        return;
      }
      const picked = await vscode.window.showQuickPick(
        sessions.map((s) => ({
          label: `${s.kind} · ${s.namespace}/${s.pod}${s.container !== undefined ? `/${s.container}` : ''}`,
          description: `${new Date(s.startedAt).toLocaleString()} · ${s.identity.username}`,
          detail: `${s.id} · ${s.endedAt === undefined ? 'open' : s.outcome?.status ?? 'ended'} · ${s.artifacts.length} artifact(s) · ${s.actions.length} action(s)${s.image !== undefined ? ` · ${s.image}` : ''}`,
          session: s,
        })),
        { title: 'Debug Sessions', placeHolder: 'Choose a session to see its artifacts or export it', matchOnDescription: true, matchOnDetail: true },
      );
      if (picked !== undefined) await this.showSession(journal, picked.session);
    } catch (error) {
      void this.errors.show(error, 'Show Debug Sessions');
    }
  }

  private async showSession(journal: SessionJournal, session: SessionSummary): Promise<void> {
    type Item = vscode.QuickPickItem & { run: () => Promise<void> };
    const items: Item[] = [
      ...session.artifacts.map((a): Item => ({
        label: `$(file) ${a.fileName}`,
        description: `${a.kind} · ${a.size} bytes`,
        detail: a.description,
        run: async () => {
          const uri = vscode.Uri.file(join(session.folder, a.fileName));
          if (a.mediaType === 'text/markdown') await vscode.commands.executeCommand('markdown.showPreview', uri);
          else await vscode.window.showTextDocument(uri, { preview: true });
        },
      })),
      { label: '$(json) Show Record', description: 'the journal entry as JSON', run: async () => this.openJson(session) },
      { label: '$(file-zip) Export as Zip…', run: async () => this.export(journal, session, 'zip') },
      { label: '$(folder) Export to Folder…', run: async () => this.export(journal, session, 'folder') },
    ];
    const picked = await vscode.window.showQuickPick(items, { title: `Session ${session.id}`, placeHolder: `${session.kind} on ${session.namespace}/${session.pod}` });
    await picked?.run();
  }

  private async openJson(session: SessionSummary): Promise<void> {
    const document = await vscode.workspace.openTextDocument({ language: 'json', content: JSON.stringify({ ...session, folder: undefined }, null, 2) });
    await vscode.window.showTextDocument(document, { preview: true });
  }

  private async export(journal: SessionJournal, session: SessionSummary, as: 'zip' | 'folder'): Promise<void> {
    const home = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(process.env.HOME ?? '/');
    if (as === 'zip') {
      const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(home, `debug-session-${session.id}.zip`), filters: { Zip: ['zip'] }, title: 'Export Debug Session' });
      if (target === undefined) return;
      const result = await exportSessionZip(journal, session.id, target.fsPath);
      void vscode.window.showInformationMessage(`Exported session ${session.id} to ${result.path} (${result.entries.length} files${result.missing.length > 0 ? `, ${result.missing.length} artifact(s) missing` : ''}).`);
    } else {
      const folders = await vscode.window.showOpenDialog({ defaultUri: home, canSelectFiles: false, canSelectFolders: true, openLabel: 'Export Here', title: 'Export Debug Session' });
      if (folders?.[0] === undefined) return;
      const result = await exportSessionFolder(journal, session.id, join(folders[0].fsPath, `debug-session-${session.id}`));
      void vscode.window.showInformationMessage(`Exported session ${session.id} to ${result.path}${result.missing.length > 0 ? ` (${result.missing.length} artifact(s) missing)` : ''}.`);
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.announcer?.dispose();
    this.archiver?.dispose();
  }
}

/** "Show Debug Sessions". */
export function registerSessionCommands(sessions: DebugSessions): vscode.Disposable[] {
  return [vscode.commands.registerCommand('ephemeralDebug.showSessions', () => sessions.show())];
}
