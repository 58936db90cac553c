/**
 * Open Target Filesystem without a reload: its first choice shows the target in the Target Files view of this
 * window, whose rows are the target's files (read through `k8s-target:`); a click opens one in an editor. The
 * workspace folders are untouched and a terminal opened before is still there, so nothing was reloaded.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { ensureNodeAppDebugContainer } from './targetDebugContainer';
import { kubeConfig, ui, waitFor, type UiRow } from './support';

const VIEW = 'ephemeralDebug.targetFiles';

describe('Target Files view (Open Target Filesystem without a reload)', () => {
  it('shows demo/node-app/app in the Target Files view, opens /app/server.js from it, and keeps the window\'s terminals and folders', async function () {
    this.timeout(120_000);
    await ensureNodeAppDebugContainer();
    const foldersBefore = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.toString());
    const terminal = vscode.window.createTerminal({ name: 'kept across Open Target Filesystem' });
    const context = kubeConfig().getCurrentContext();
    // What a container row of the Clusters view passes to the command.
    const node = { id: 'node-app/app', descriptor: { kind: 'container', contextName: context, namespace: 'demo', pod: 'node-app', container: 'app', containerKind: 'regular' } };

    let settled = false;
    const running = Promise.resolve(vscode.commands.executeCommand('ephemeralDebug.openTargetFilesystem', node)).finally(() => (settled = true));
    // Enter on the quick pick: its first item, "Show in Target Files".
    for (let i = 0; !settled && i < 100; i++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    }
    await running;

    let rows: UiRow[] = [];
    await waitFor('the target and its top-level folders in the Target Files view', async () => {
      rows = await ui<UiRow[]>({ action: 'viewRows', viewId: VIEW });
      return rows.some((r) => r.label === 'node-app/app') && rows.some((r) => r.label === 'app' && r.level === 2) ? true : undefined;
    }, 30_000).catch((error: unknown) => {
      throw new Error(`${String(error)}; rows: ${JSON.stringify(rows.map((r) => `${r.level} ${r.label}`))}`);
    });
    assert.equal(rows.find((r) => r.label === 'node-app/app')?.description, `demo · ${context}`);

    // Clusters rows collapsed, so the only "app" row is the target's /app folder: expand it, open server.js.
    await vscode.commands.executeCommand('workbench.actions.treeView.ephemeralDebug.explorer.collapseAll');
    await ui({ action: 'clickRow', viewId: VIEW, label: 'app' });
    await waitFor('server.js under /app', async () => ((await ui<UiRow[]>({ action: 'viewRows', viewId: VIEW })).some((r) => r.label === 'server.js') ? true : undefined), 30_000);
    await ui({ action: 'clickRow', viewId: VIEW, label: 'server.js' });
    const editor = await waitFor('server.js open from the Target Files view', () => {
      const active = vscode.window.activeTextEditor;
      return active?.document.uri.scheme === 'k8s-target' && active.document.uri.path.endsWith('/app/server.js') ? active : undefined;
    }, 30_000);
    assert.match(editor.document.getText(), /createServer/);
    await ui({ action: 'screenshot', name: 'target-files-view' });

    assert.deepEqual((vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.toString()), foldersBefore, 'no workspace folder was added');
    assert.ok(vscode.window.terminals.includes(terminal) && terminal.exitStatus === undefined, 'the terminal opened before is still there: the window did not reload');
    terminal.dispose();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
