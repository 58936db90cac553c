/**
 * The extension as VS Code loads it: found under its id (as the extension under development, from this
 * checkout), activates, returns its API, and registers every command its manifest contributes.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, hostTestConfig } from './support';

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
});
