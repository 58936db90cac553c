/**
 * Commands of the target filesystem: Open Target Filesystem (container nodes), Download…, Upload…, Copy Remote
 * Path (k8s-target resources in the Explorer), and links on absolute paths printed in our debug terminals.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { Logger } from '../cluster/clusterApi';
import { currentPlatform, downloadTree, localFileName } from '../targetfs/download';
import { joinPath } from '../targetfs/names';
import { TargetFileType } from '../targetfs/targetFileSystem';
import { HOST_ROOT, parseTargetUri, TARGET_FS_SCHEME, targetLabel, type TargetRef } from '../targetfs/targetUri';
import { isNodeDebugPod, mountsHostRoot } from '../debug/nodeDebugPods';
import { isExplorerNode } from './attachCommand';
import type { Clusters } from './clusters';
import type { ErrorPresenter } from './errorPresenter';
import { targetUri, TargetFsProvider } from './targetFsProvider';
import { TargetFilesView, type TargetFileNode } from './targetFilesView';
import type { DebugSessions } from './debugSessions';

export interface TargetFsDependencies {
  readonly provider: TargetFsProvider;
  readonly clusters: Clusters;
  readonly errors: ErrorPresenter;
  readonly logger: Logger;
  readonly sessions: DebugSessions;
}

/** Downloaded files up to this size are also kept as artifacts of the filesystem session. */
const ARTIFACT_COPY_LIMIT = 20 << 20;

/** The target (and the debug container to prefer) of a container node: a regular container, or a debug container's target. */
async function targetOfNode(node: unknown, clusters: Clusters): Promise<{ ref: TargetRef; debugContainer?: string } | undefined> {
  if (!isExplorerNode(node)) return undefined;
  const d = node.descriptor;
  if (d.kind !== 'container' || d.namespace === undefined || d.pod === undefined || d.container === undefined) return undefined;
  const context = d.contextName || undefined;
  const api = await clusters.api(context);
  const base = { context: api.contextName, namespace: d.namespace, pod: d.pod };
  if (d.containerKind === 'ephemeral') {
    const pod = await api.readPod(d.namespace, d.pod);
    const target = pod.spec?.ephemeralContainers?.find((c) => c.name === d.container)?.targetContainerName;
    if (!target) throw new Error(`${d.container} has no target container: open the filesystem from the container it debugs`);
    return { ref: { ...base, container: target }, debugContainer: d.container };
  }
  // The debugger container of a node debug pod: the node's / at /host (the root-path variant).
  const pod = await api.readPod(d.namespace, d.pod);
  if (isNodeDebugPod(pod) && mountsHostRoot(pod, d.container)) return { ref: { ...base, container: d.container, root: HOST_ROOT } };
  return { ref: { ...base, container: d.container } };
}

function resourceOf(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  // A row of the Target Files view.
  const row = arg as Partial<TargetFileNode> | undefined;
  if (row?.resourceUri instanceof vscode.Uri && row.resourceUri.scheme === TARGET_FS_SCHEME && row.error === undefined) return row.resourceUri;
  const active = vscode.window.activeTextEditor?.document.uri;
  return active?.scheme === TARGET_FS_SCHEME ? active : undefined;
}

/** Absolute paths in terminal lines, with an optional :line[:column]. */
const PATH_IN_LINE = /(?:^|[\s'"`(=[,])(\/(?:[\w.@+~-]+\/?)+)(?::(\d+))?(?::(\d+))?/g;

interface TargetTerminalLink extends vscode.TerminalLink {
  readonly path: string;
  readonly line?: number;
  readonly terminalName: string;
}

export function registerTargetFs(deps: TargetFsDependencies): vscode.Disposable[] {
  const { provider, clusters, errors, sessions } = deps;
  const fsSession = (ref: TargetRef) => provider.fsSession(ref);
  const withSystem = async (uri: vscode.Uri) => {
    const { ref, path } = parseTargetUri(uri.authority, uri.path);
    return { ref, path, fs: await provider.system(ref) };
  };

  /** Which target a terminal of ours shows: from its name (`Debug: pod/container`, `Shell: pod/container`, `Root of X: pod`). */
  const terminalTarget = async (name: string): Promise<TargetRef | undefined> => {
    const m = /^(?:Debug|Shell): ([^/]+)\/(\S+)$/.exec(name) ?? /^Root of (\S+): (\S+)$/.exec(name);
    if (!m) return undefined;
    const rootOf = name.startsWith('Root of');
    const pod = rootOf ? m[2] : m[1];
    const container = rootOf ? m[1] : m[2];
    const api = await clusters.api();
    const pods = (await api.listPods(undefined, { fieldSelector: `metadata.name=${pod}` })).items;
    for (const p of pods) {
      const namespace = p.metadata?.namespace ?? '';
      if (rootOf && p.spec?.containers.some((c) => c.name === container)) return { context: api.contextName, namespace, pod, container };
      const eph = p.spec?.ephemeralContainers?.find((c) => c.name === container);
      if (eph?.targetContainerName) {
        provider.prefer({ context: api.contextName, namespace, pod, container: eph.targetContainerName }, container);
        return { context: api.contextName, namespace, pod, container: eph.targetContainerName };
      }
      if (p.spec?.containers.some((c) => c.name === container)) return { context: api.contextName, namespace, pod, container };
    }
    return undefined;
  };

  const filesView = new TargetFilesView();
  /**
   * Where to show a target's files. Adding a workspace folder reloads a window that is not already a multi-root
   * workspace (VS Code restarts its extension host: terminals and debug sessions end), so the Target Files view
   * comes first and the reload is said before it happens.
   */
  const openTarget = async (ref: TargetRef): Promise<void> => {
    const uri = targetUri(ref, '/');
    const reloads = vscode.workspace.workspaceFile === undefined;
    const choice = await vscode.window.showQuickPick([
      { label: 'Show in Target Files', description: 'a view in this side bar; terminals and debug sessions stay', id: 'view' },
      { label: 'Add to Workspace', description: reloads ? 'reloads this window: its terminals and debug sessions end' : 'as a folder of this workspace', id: 'workspace' },
      { label: 'Open in New Window', id: 'window' },
    ], { title: `Open the filesystem of ${targetLabel(ref)}` });
    if (choice?.id === 'view') {
      await filesView.show(ref);
    } else if (choice?.id === 'workspace') {
      const losing = vscode.window.terminals.length + (vscode.debug.activeDebugSession !== undefined ? 1 : 0);
      if (reloads && losing > 0) {
        const answer = await vscode.window.showWarningMessage(
          'Adding a folder reloads this window.',
          { modal: true, detail: `VS Code reloads a window that is not a multi-root workspace when a folder is added: its ${vscode.window.terminals.length} terminal(s) and any debug session end. The Target Files view needs no reload.` },
          'Add and Reload', 'Show in Target Files',
        );
        if (answer === 'Show in Target Files') await filesView.show(ref);
        if (answer !== 'Add and Reload') return;
      }
      vscode.workspace.updateWorkspaceFolders(vscode.workspace.workspaceFolders?.length ?? 0, 0, { uri, name: `${ref.pod}/${ref.container}` });
    } else if (choice?.id === 'window') {
      await vscode.commands.executeCommand('vscode.openFolder', uri, { forceNewWindow: true });
    }
  };

  return [
    vscode.workspace.registerFileSystemProvider(TARGET_FS_SCHEME, provider, { isCaseSensitive: true }),
    provider,
    filesView,
    vscode.commands.registerCommand('ephemeralDebug.targetFiles.close', (node?: TargetFileNode) => filesView.close(node)),
    vscode.commands.registerCommand('ephemeralDebug.targetFiles.refresh', (node?: TargetFileNode) => filesView.refresh(node)),

    vscode.commands.registerCommand('ephemeralDebug.openTargetFilesystem', async (node?: unknown) => {
      try {
        const target = await targetOfNode(node, clusters);
        if (target === undefined) {
          void vscode.window.showInformationMessage('Open Target Filesystem: choose a container in the Clusters view.');
          return;
        }
        provider.prefer(target.ref, target.debugContainer);
        const fs = await provider.system(target.ref);
        await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Connecting to the filesystem of ${targetLabel(target.ref)}` }, () => provider.connectInteractively(target.ref, () => fs.connect()));
        await sessions.note(await fsSession(target.ref), (r) => r.action('opened the target filesystem', { ...(target.debugContainer !== undefined ? { debugContainer: target.debugContainer } : {}) }));
        await openTarget(target.ref);
      } catch (error) {
        void errors.show(error, 'Open Target Filesystem');
      }
    }),

    vscode.commands.registerCommand('ephemeralDebug.targetFs.copyRemotePath', async (arg?: unknown) => {
      const uri = resourceOf(arg);
      if (uri === undefined) return;
      await vscode.env.clipboard.writeText(parseTargetUri(uri.authority, uri.path).path);
    }),

    vscode.commands.registerCommand('ephemeralDebug.targetFs.download', async (arg?: unknown) => {
      const uri = resourceOf(arg);
      if (uri === undefined) return;
      try {
        const { fs, path, ref } = await withSystem(uri);
        const stat = await fs.stat(path);
        // The remote name is the pod's: a single local name, never a path (`..`, `\\` on Windows).
        const base = localFileName(path.split('/').pop() || 'root', currentPlatform());
        const isDir = (stat.type & TargetFileType.Directory) !== 0;
        const dest = isDir
          ? (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: `Download ${base} here` }))?.[0]
          : await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(join(process.env.HOME ?? '/', base)) });
        if (dest === undefined) return;
        const local = isDir ? join(dest.fsPath, base) : dest.fsPath;
        await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Downloading ${path}`, cancellable: true }, async (progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          let total = 0;
          let last = 0;
          const files = await downloadTree(fs, path, local, {
            report: (bytes, name) => {
              total += bytes;
              if (total - last > 4 << 20) {
                last = total;
                progress.report({ message: `${(total / 1048576).toFixed(0)} MiB · ${name}` });
              }
            },
            signal: abort.signal,
          });
          deps.logger.info(`downloaded ${path} (${files} file(s), ${total} bytes) to ${local}`);
          const record = await fsSession(ref);
          await sessions.note(record, (r) => r.action(`downloaded ${path}`, { files, bytes: total, to: local }));
          // The evidence: a single file is kept with the session too (directories stay where the user put them).
          if (!isDir && total <= ARTIFACT_COPY_LIMIT) {
            await sessions.addArtifact(record, { fileName: base, kind: 'download', description: `${path} from ${targetLabel(ref)}`, mediaType: 'application/octet-stream' }, await fsp.readFile(local));
          }
        });
      } catch (error) {
        void errors.show(error, 'Download');
      }
    }),

    vscode.commands.registerCommand('ephemeralDebug.targetFs.upload', async (arg?: unknown) => {
      const uri = resourceOf(arg);
      if (uri === undefined) return;
      try {
        const { fs, path } = await withSystem(uri);
        const dir = ((await fs.stat(path)).type & TargetFileType.Directory) !== 0 ? path : path.replace(/\/[^/]*$/, '') || '/';
        const picked = await vscode.window.showOpenDialog({ canSelectMany: true, openLabel: `Upload to ${dir}` });
        if (picked === undefined) return;
        await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Uploading to ${dir}`, cancellable: true }, async (progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          for (const file of picked) {
            const name = file.path.split('/').pop()!;
            const remote = joinPath(dir, name);
            const size = (await fsp.stat(file.fsPath)).size;
            let overwrite = false;
            if (await fs.stat(remote).then(() => true, () => false)) {
              overwrite = (await vscode.window.showWarningMessage(`${remote} exists on the target. Replace it?`, { modal: true }, 'Replace')) === 'Replace';
              if (!overwrite) continue;
            }
            progress.report({ message: name });
            // Journaled by the filesystem's write audit, with the upload's origin.
            await fs.writeFile(remote, { size, open: () => createReadStream(file.fsPath) }, { create: true, overwrite, signal: abort.signal, origin: `upload of ${file.fsPath}` });
          }
        });
      } catch (error) {
        void errors.show(error, 'Upload');
      }
    }),

    vscode.window.registerTerminalLinkProvider({
      provideTerminalLinks(context): TargetTerminalLink[] {
        const name = context.terminal.name;
        if (!/^(Debug|Shell): |^Root of /.test(name)) return [];
        const links: TargetTerminalLink[] = [];
        for (const m of context.line.matchAll(PATH_IN_LINE)) {
          const text = m[0].slice(m[0].indexOf('/'));
          const path = m[1].replace(/^\/proc\/\d+\/root(?=\/)/, '');
          links.push({ startIndex: m.index + m[0].indexOf('/'), length: text.length, tooltip: 'Open in the target filesystem', path, line: m[2] ? Number(m[2]) : undefined, terminalName: name });
        }
        return links;
      },
      async handleTerminalLink(generic: vscode.TerminalLink) {
        const link = generic as TargetTerminalLink;
        try {
          const ref = await terminalTarget(link.terminalName);
          if (ref === undefined) throw new Error(`cannot tell which pod terminal "${link.terminalName}" belongs to`);
          const uri = targetUri(ref, link.path);
          const stat = await vscode.workspace.fs.stat(uri);
          if (stat.type & vscode.FileType.Directory) {
            await vscode.commands.executeCommand('revealInExplorer', uri);
            return;
          }
          const line = Math.max(0, (link.line ?? 1) - 1);
          await vscode.window.showTextDocument(uri, { selection: new vscode.Range(line, 0, line, 0) });
        } catch (error) {
          void errors.show(error, `Open ${link.path}`);
        }
      },
    }),
  ];
}
