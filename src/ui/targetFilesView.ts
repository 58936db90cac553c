/**
 * The Target Files view: the target filesystems opened in this window, browsed through the `k8s-target`
 * FileSystemProvider without touching the workspace's folders. Adding a folder to a window that holds one
 * folder (or none) makes VS Code reload it — its terminals and debug sessions end — so Open Target Filesystem
 * shows the target here first; files open in ordinary editors (breakpoints in them bind, see
 * targetSourceTracker.ts). Download…, Upload… and Copy Remote Path work on its rows as on the Explorer's.
 */
import * as vscode from 'vscode';
import { parseTargetUri, targetKey, targetLabel, type TargetRef } from '../targetfs/targetUri';
import { targetUri } from './targetFsProvider';

export const TARGET_FILES_VIEW = 'ephemeralDebug.targetFiles';

export interface TargetFileNode {
  readonly resourceUri: vscode.Uri;
  readonly type: vscode.FileType;
  /** Set on the root row of a target. */
  readonly ref?: TargetRef;
  /** A row that only says why a directory could not be listed. */
  readonly error?: string;
}

export class TargetFilesView implements vscode.TreeDataProvider<TargetFileNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TargetFileNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly roots = new Map<string, TargetFileNode>();
  private readonly view: vscode.TreeView<TargetFileNode>;

  constructor() {
    this.view = vscode.window.createTreeView(TARGET_FILES_VIEW, { treeDataProvider: this, showCollapseAll: true });
    void vscode.commands.executeCommand('setContext', 'ephemeralDebug.hasTargetFiles', false);
  }

  /** Shows a target's root in the view (once), expanded and focused. */
  async show(ref: TargetRef): Promise<void> {
    const key = targetKey(ref);
    let root = this.roots.get(key);
    if (root === undefined) {
      root = { resourceUri: targetUri(ref, '/'), type: vscode.FileType.Directory, ref };
      this.roots.set(key, root);
      this.changed.fire(undefined);
      await vscode.commands.executeCommand('setContext', 'ephemeralDebug.hasTargetFiles', true);
    }
    await vscode.commands.executeCommand(`${TARGET_FILES_VIEW}.focus`);
    await this.view.reveal(root, { expand: true, focus: true, select: true });
  }

  close(node: TargetFileNode | undefined): void {
    if (node?.ref === undefined) return;
    this.roots.delete(targetKey(node.ref));
    this.changed.fire(undefined);
    void vscode.commands.executeCommand('setContext', 'ephemeralDebug.hasTargetFiles', this.roots.size > 0);
  }

  refresh(node?: TargetFileNode): void {
    this.changed.fire(node);
  }

  /** The targets shown, in the order they were opened. */
  targets(): readonly TargetRef[] {
    return [...this.roots.values()].map((r) => r.ref!);
  }

  getTreeItem(node: TargetFileNode): vscode.TreeItem {
    if (node.error !== undefined) {
      const item = new vscode.TreeItem(node.error, vscode.TreeItemCollapsibleState.None);
      item.iconPath = new vscode.ThemeIcon('warning');
      item.contextValue = 'targetFileError';
      return item;
    }
    const isDirectory = (node.type & vscode.FileType.Directory) !== 0;
    const state = node.ref !== undefined ? vscode.TreeItemCollapsibleState.Expanded : isDirectory ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None;
    const item = new vscode.TreeItem(node.resourceUri, state);
    if (node.ref !== undefined) {
      item.label = `${node.ref.pod}/${node.ref.container}`;
      item.description = `${node.ref.namespace} · ${node.ref.context}`;
      item.tooltip = `The filesystem of ${targetLabel(node.ref)} in ${node.ref.context}`;
      item.iconPath = new vscode.ThemeIcon('root-folder');
      item.contextValue = 'targetRoot';
    } else {
      item.contextValue = isDirectory ? 'targetDirectory' : 'targetFile';
      if (!isDirectory) item.command = { command: 'vscode.open', title: 'Open', arguments: [node.resourceUri] };
    }
    item.id = node.resourceUri.toString();
    return item;
  }

  async getChildren(node?: TargetFileNode): Promise<TargetFileNode[]> {
    if (node === undefined) return [...this.roots.values()];
    if ((node.type & vscode.FileType.Directory) === 0 || node.error !== undefined) return [];
    try {
      const entries = await vscode.workspace.fs.readDirectory(node.resourceUri);
      const directory = (type: vscode.FileType): number => ((type & vscode.FileType.Directory) !== 0 ? 0 : 1);
      return entries
        .sort(([a, at], [b, bt]) => directory(at) - directory(bt) || a.localeCompare(b))
        .map(([name, type]) => ({ resourceUri: vscode.Uri.joinPath(node.resourceUri, name), type }));
    } catch (error) {
      return [{ resourceUri: vscode.Uri.joinPath(node.resourceUri, '.error'), type: vscode.FileType.Unknown, error: error instanceof Error ? error.message : String(error) }];
    }
  }

  getParent(node: TargetFileNode): TargetFileNode | undefined {
    if (node.ref !== undefined) return undefined;
    const { ref, path } = parseTargetUri(node.resourceUri.authority, node.resourceUri.path);
    const root = this.roots.get(targetKey(ref));
    if (root === undefined || path === '/') return root;
    const parentPath = path.replace(/\/[^/]*$/, '') || '/';
    return parentPath === '/' ? root : { resourceUri: targetUri(ref, parentPath), type: vscode.FileType.Directory };
  }

  dispose(): void {
    this.view.dispose();
    this.changed.dispose();
  }
}
