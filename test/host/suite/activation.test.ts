/**
 * The extension as VS Code loads it: found under its id (as the extension under development, from this
 * checkout), activates, returns its API, and registers every command its manifest contributes. Its activation
 * time as VS Code measured it (Running Extensions: code loading + the activate call) is reported, not bounded.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, hostTestConfig, note, ui, waitFor } from './support';

interface ManifestCommand {
  readonly command: string;
}

describe('extension in the editor', () => {
  it('is the extension under development from this checkout and activates with its API', async () => {
    const extension = vscode.extensions.getExtension<{ attach(args?: unknown): Promise<unknown> }>(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is not loaded`);
    assert.equal(extension.extensionUri.fsPath, hostTestConfig().extensionPath);
    const api = await extension.activate();
    assert.equal(extension.isActive, true);
    assert.equal(typeof api.attach, 'function');
  });

  it('registers every command its manifest contributes', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension);
    await extension.activate();
    const contributed = ((extension.packageJSON as { contributes: { commands: ManifestCommand[] } }).contributes.commands).map((c) => c.command);
    assert.ok(contributed.length >= 13, `only ${contributed.length} contributed commands`);
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((command) => !registered.has(command));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });

  it('reports VS Code\'s own activation time for it (Running Extensions)', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension);
    await extension.activate();
    const name = (extension.packageJSON as { displayName: string }).displayName;
    await vscode.commands.executeCommand('workbench.action.showRuntimeExtensions');
    try {
      let rows: { name: string; activation: string }[] = [];
      const row = await waitFor(`${name} with its activation time in Running Extensions`, async () => {
        rows = await ui<{ name: string; activation: string }[]>({ action: 'runningExtensions' });
        // Listed by display name, or by id while it runs from a folder (no marketplace information).
        return rows.find((r) => (r.name === name || r.name === EXTENSION_ID) && /\d+ms$/.test(r.activation));
      }).catch((error: unknown) => {
        throw new Error(`${String(error)}; rows: ${JSON.stringify(rows)}`);
      });
      const ms = Number(/(\d+)ms$/.exec(row.activation)?.[1]);
      assert.ok(Number.isInteger(ms) && ms >= 0, row.activation);
      await note(`activation time (VS Code's Running Extensions, code loading + activate call): ${ms} ms (${row.activation})`);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    }
  });
});
