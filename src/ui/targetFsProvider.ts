/**
 * The `k8s-target` FileSystemProvider: a thin adapter over src/targetfs's TargetFileSystem (one per target
 * container), mapping its errors to vscode.FileSystemError and its types to vscode.FileType. Writes are off
 * unless `ephemeralDebug.targetFilesystem.allowWrites` is set (they change a running container); `watch` polls
 * only when `ephemeralDebug.targetFilesystem.watchPollSeconds` > 0.
 */
import * as vscode from 'vscode';
import type { Logger } from '../cluster/clusterApi';
import { attachDebugContainer, type AttachResult } from '../debug/attachFlow';
import { TargetFsError } from '../targetfs/errors';
import { TargetFileSystem, writeAuditAction, type DebugContainerRequest, type WriteAudit } from '../targetfs/targetFileSystem';
import type { SessionRecord } from '../session';
import { formatTargetUri, parseTargetUri, TARGET_FS_SCHEME, targetKey, targetLabel, type TargetRef } from '../targetfs/targetUri';
import type { Clusters } from './clusters';
import type { DebugSessions } from './debugSessions';
import { isCancellation } from './pure/errorText';
import { targetFilesystemAttach } from './pure/attachPlan';
import { journalDebugContainer } from './sessionDetails';
import type { SettingsReader } from './settings';
import type { TimeLimits } from './timeLimits';

export function targetUri(ref: TargetRef, path: string): vscode.Uri {
  return vscode.Uri.from({ scheme: TARGET_FS_SCHEME, ...formatTargetUri(ref, path) });
}

export function toFileSystemError(error: unknown, uri: vscode.Uri): Error {
  if (error instanceof vscode.FileSystemError) return error;
  if (!(error instanceof TargetFsError)) return vscode.FileSystemError.Unavailable(`${uri.path}: ${error instanceof Error ? error.message : String(error)}`);
  switch (error.code) {
    case 'FileNotFound': return vscode.FileSystemError.FileNotFound(error.message);
    case 'FileExists': return vscode.FileSystemError.FileExists(error.message);
    case 'NoPermissions': return vscode.FileSystemError.NoPermissions(error.message);
    case 'FileIsADirectory': return vscode.FileSystemError.FileIsADirectory(error.message);
    case 'FileNotADirectory': return vscode.FileSystemError.FileNotADirectory(error.message);
    case 'Unavailable': return vscode.FileSystemError.Unavailable(error.message);
    case 'Cancelled': return new vscode.CancellationError();
    default: return new vscode.FileSystemError(error.message);
  }
}

export class TargetFsProvider implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly changes = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changes.event;
  private readonly systems = new Map<string, TargetFileSystem>();
  /** Debug container chosen by the command that opened a target (preferred over others). */
  private readonly preferred = new Map<string, string>();
  /** Targets a command is connecting to right now: only then may a missing debug container be asked for in a modal. */
  private readonly interactive = new Set<string>();
  /** Targets whose "Add Debug Container" notification is showing: one at a time, however many reads fail meanwhile. */
  private readonly offered = new Set<string>();
  /** One journaled filesystem session per target and window, started when it is first opened, used or changed. */
  private readonly fsSessions = new Map<string, Promise<SessionRecord | undefined>>();

  constructor(
    private readonly clusters: Clusters,
    private readonly settings: SettingsReader,
    private readonly logger: Logger,
    private readonly sessions: DebugSessions,
    private readonly timeLimits: TimeLimits,
  ) {}

  dispose(): void {
    this.changes.dispose();
  }

  fsSession(ref: TargetRef): Promise<SessionRecord | undefined> {
    const key = targetKey(ref);
    let record = this.fsSessions.get(key);
    if (record === undefined) {
      record = this.clusters.api(ref.context).then(
        (api) => this.sessions.begin('filesystem', api, { namespace: ref.namespace, pod: ref.pod, targetContainer: ref.container }),
        () => undefined,
      );
      this.fsSessions.set(key, record);
    }
    return record;
  }

  /** Every save, delete, rename and upload is an action of the target's filesystem session. */
  private async journalWrite(ref: TargetRef, audit: WriteAudit): Promise<void> {
    const { description, details } = writeAuditAction(audit);
    await this.sessions.note(await this.fsSession(ref), (r) => r.action(description, details));
  }

  prefer(ref: TargetRef, debugContainer: string | undefined): void {
    if (debugContainer !== undefined) this.preferred.set(targetKey(ref), debugContainer);
  }

  async system(ref: TargetRef): Promise<TargetFileSystem> {
    const key = targetKey(ref);
    let fs = this.systems.get(key);
    if (fs === undefined) {
      const api = await this.clusters.api(ref.context);
      fs = new TargetFileSystem(api, ref, {
        debugContainer: this.preferred.get(key),
        allowWrites: () => this.settings.current.targetFilesystem.allowWrites,
        cacheTtlMs: this.settings.current.targetFilesystem.cacheSeconds * 1000,
        logger: this.logger,
        policy: () => this.settings.current.policy,
        onWrite: (audit) => void this.journalWrite(ref, audit),
        provideDebugContainer: (request) => this.askForDebugContainer(ref, request),
        confirmOverwrite: async (info) => {
          const answer = await vscode.window.showWarningMessage(
            `${info.path} changed in ${targetLabel(ref)} since it was opened (now ${info.current.replace(':', ' bytes, mtime ')}). Overwrite it?`,
            { modal: true, detail: 'Your version replaces the one on the running container.' },
            'Overwrite',
          );
          return answer === 'Overwrite';
        },
      });
      this.systems.set(key, fs);
    }
    return fs;
  }

  /**
   * Runs a command's connect: a missing debug container is asked for in a modal. Without this (the Explorer
   * re-reading a workspace folder after its debug container stopped) the read fails at once and a notification
   * offers to add one, so nothing the user did not start blocks the window.
   */
  async connectInteractively<T>(ref: TargetRef, connect: () => Promise<T>): Promise<T> {
    const key = targetKey(ref);
    this.interactive.add(key);
    try {
      return await connect();
    } finally {
      this.interactive.delete(key);
    }
  }

  private async askForDebugContainer(ref: TargetRef, request: DebugContainerRequest): Promise<string | undefined> {
    if (!this.interactive.has(targetKey(ref))) {
      this.offerDebugContainer(ref, request);
      return undefined;
    }
    return this.askInModal(ref, request);
  }

  private offerDebugContainer(ref: TargetRef, request: DebugContainerRequest): void {
    const key = targetKey(ref);
    if (this.offered.has(key)) return;
    this.offered.add(key);
    void vscode.window.showWarningMessage(`${targetLabel(ref)}: ${request.message}, so its files cannot be read.`, 'Add Debug Container').then(async (answer) => {
      this.offered.delete(key);
      if (answer !== 'Add Debug Container') return;
      try {
        const container = await this.addDebugContainer(ref);
        this.prefer(ref, container);
        const fs = this.systems.get(key);
        fs?.reset();
        // The Explorer reads the folder again.
        this.changes.fire([{ uri: targetUri(ref, '/'), type: vscode.FileChangeType.Changed }]);
      } catch (error) {
        if (!isCancellation(error)) void vscode.window.showErrorMessage(`Add Debug Container for ${targetLabel(ref)} failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      }
    });
  }

  private async askInModal(ref: TargetRef, request: DebugContainerRequest): Promise<string | undefined> {
    const answer = await vscode.window.showWarningMessage(
      `${request.message}.`,
      { modal: true, detail: `Add a debug container (image ${this.settings.current.defaultImage}, profile auto) to ${ref.namespace}/${ref.pod} to read container ${ref.container}'s filesystem? Ephemeral containers stay in the pod spec until the pod is replaced.` },
      'Add Debug Container',
    );
    if (answer !== 'Add Debug Container') return undefined;
    return this.addDebugContainer(ref);
  }

  /** Adds a debug container (profile auto) targeting the container, journaled as a filesystem session. */
  private async addDebugContainer(ref: TargetRef): Promise<string> {
    const api = await this.clusters.api(ref.context);
    const { sessions } = this;
    const attach = targetFilesystemAttach(ref, this.settings.current, sessions.newId());
    const record = await sessions.begin('filesystem', api, { namespace: ref.namespace, pod: ref.pod, image: attach.request.image, profile: 'auto', targetContainer: ref.container }, attach.request.sessionId);
    let result: AttachResult;
    try {
      result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Adding a debug container to ${ref.pod}`, cancellable: true }, (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        return attachDebugContainer(api, attach.request, attach.settings, {
          onProgress: (message) => progress.report({ message }),
          confirmPrivileged: async (info) => (await vscode.window.showWarningMessage(`Profile ${info.profile} grants ${info.grants.join(', ')}. Continue?`, { modal: true, detail: info.profileReason }, 'Continue')) === 'Continue',
        }, abort.signal);
      });
    } catch (error) {
      await sessions.note(record, (r) => r.end({ status: isCancellation(error) ? 'cancelled' : 'failed', message: error instanceof Error ? error.message : String(error) }));
      throw error;
    }
    await journalDebugContainer(sessions, record, result.pod, result.containerName, 'added the debug container for the target filesystem');
    await sessions.note(record, (r) => r.end({ status: 'completed', message: 'debug container added for the target filesystem' }));
    this.timeLimits.track(api, result.pod, result.containerName);
    return result.containerName;
  }

  private async run<T>(uri: vscode.Uri, op: (fs: TargetFileSystem, path: string) => Promise<T>): Promise<T> {
    let parsed: { ref: TargetRef; path: string };
    try {
      parsed = parseTargetUri(uri.authority, uri.path);
    } catch (error) {
      throw vscode.FileSystemError.FileNotFound(error instanceof Error ? error.message : String(error));
    }
    try {
      return await op(await this.system(parsed.ref), parsed.path);
    } catch (error) {
      throw toFileSystemError(error, uri);
    }
  }

  watch(uri: vscode.Uri, options: { readonly recursive: boolean; readonly excludes: readonly string[] }): vscode.Disposable {
    const seconds = this.settings.current.targetFilesystem.watchPollSeconds;
    if (!(seconds > 0)) return new vscode.Disposable(() => undefined);
    void options;
    let inner: { dispose(): void } | undefined;
    let disposed = false;
    void this.run(uri, async (fs, path) => {
      if (disposed) return;
      const { ref } = parseTargetUri(uri.authority, uri.path);
      inner = fs.watch(path, seconds * 1000, (events) => this.changes.fire(events.map((e) => ({
        uri: targetUri(ref, e.path),
        type: e.type === 'created' ? vscode.FileChangeType.Created : e.type === 'deleted' ? vscode.FileChangeType.Deleted : vscode.FileChangeType.Changed,
      }))));
    }).catch((error: unknown) => this.logger.debug(`watch ${uri.toString()}: ${String(error)}`));
    return new vscode.Disposable(() => {
      disposed = true;
      inner?.dispose();
    });
  }

  stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    return this.run(uri, async (fs, path) => {
      const s = await fs.stat(path);
      return { type: s.type as vscode.FileType, size: s.size, mtime: s.mtime, ctime: s.ctime, ...(s.readonly ? { permissions: vscode.FilePermission.Readonly } : {}) };
    });
  }

  readDirectory(uri: vscode.Uri): Promise<[string, vscode.FileType][]> {
    return this.run(uri, async (fs, path) => (await fs.readDirectory(path)) as [string, vscode.FileType][]);
  }

  readFile(uri: vscode.Uri): Promise<Uint8Array> {
    return this.run(uri, (fs, path) => fs.readFile(path));
  }

  writeFile(uri: vscode.Uri, content: Uint8Array, options: { readonly create: boolean; readonly overwrite: boolean }): Promise<void> {
    return this.run(uri, async (fs, path) => {
      const existed = await fs.stat(path).then(() => true, () => false);
      await fs.writeFile(path, content, options);
      this.changes.fire([{ uri, type: existed ? vscode.FileChangeType.Changed : vscode.FileChangeType.Created }]);
    });
  }

  createDirectory(uri: vscode.Uri): Promise<void> {
    return this.run(uri, async (fs, path) => {
      await fs.createDirectory(path);
      this.changes.fire([{ uri, type: vscode.FileChangeType.Created }]);
    });
  }

  delete(uri: vscode.Uri, options: { readonly recursive: boolean }): Promise<void> {
    return this.run(uri, async (fs, path) => {
      await fs.delete(path, options);
      this.changes.fire([{ uri, type: vscode.FileChangeType.Deleted }]);
    });
  }

  rename(oldUri: vscode.Uri, newUri: vscode.Uri, options: { readonly overwrite: boolean }): Promise<void> {
    return this.run(oldUri, async (fs, path) => {
      const target = this.samePathTarget(oldUri, newUri);
      await fs.rename(path, target, options);
      this.changes.fire([{ uri: oldUri, type: vscode.FileChangeType.Deleted }, { uri: newUri, type: vscode.FileChangeType.Created }]);
    });
  }

  copy(source: vscode.Uri, destination: vscode.Uri, options: { readonly overwrite: boolean }): Promise<void> {
    return this.run(source, async (fs, path) => {
      await fs.copy(path, this.samePathTarget(source, destination), options);
      this.changes.fire([{ uri: destination, type: vscode.FileChangeType.Created }]);
    });
  }

  /** Rename/copy stay within one target (VS Code copies across targets itself by read + write). */
  private samePathTarget(from: vscode.Uri, to: vscode.Uri): string {
    const a = parseTargetUri(from.authority, from.path);
    const b = parseTargetUri(to.authority, to.path);
    if (targetKey(a.ref) !== targetKey(b.ref)) throw vscode.FileSystemError.Unavailable('rename/copy between different target containers: copy through the editor instead');
    return b.path;
  }
}
